"""Draw the demo café's item photos with Pillow: flat, friendly pictures that compress
to a few KB, so the repository carries them at no real cost.

    .venv/bin/python tools/draw_demo_photos.py

Writes tools/demo_photos/*.webp (640×480). `flask demo` gives each to its item through
the same pipeline as an owner's upload (services.photos: checked, cut to 4:3, resized
to 640×480 WebP and JPEG, stored under its content hash). Commit the results.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent / "demo_photos"
W, H = 800, 600
TABLE = (214, 186, 150)
WOOD_LINE = (196, 166, 128)


def table() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (W, H), TABLE)
    draw = ImageDraw.Draw(image)
    for y in range(40, H, 90):
        draw.line([(0, y), (W, y + 14)], fill=WOOD_LINE, width=4)
    return image, draw


def shadow(image: Image.Image, box, radius=24) -> None:
    layer = Image.new("L", image.size, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=90)
    layer = layer.filter(ImageFilter.GaussianBlur(radius))
    image.paste((120, 96, 70), mask=layer)


def save(image: Image.Image, name: str) -> None:
    """At the size the menu stores (640×480), as WebP: a few KB for flat drawings."""
    image = image.resize((640, 480), Image.Resampling.LANCZOS)
    image.save(OUT / f"{name}.webp", "WEBP", quality=70, method=6)


def cup(name: str, coffee, foam, art: bool) -> None:
    image, draw = table()
    shadow(image, (200, 130, 640, 570))
    draw = ImageDraw.Draw(image)
    draw.ellipse((560, 250, 700, 350), outline=(245, 245, 240), width=22)  # handle
    draw.ellipse((170, 100, 610, 540), fill=(248, 248, 244))  # saucer-cup rim
    draw.ellipse((215, 145, 565, 495), fill=coffee)
    if art:  # a simple rosetta: stacked hearts of milk
        for i, size in enumerate((120, 96, 74, 54)):
            top = 210 + i * 52
            draw.ellipse((390 - size, top, 390 + size, top + size), fill=foam)
            draw.ellipse((390 - size + 14, top + 14, 390 + size - 14, top + size - 8), fill=coffee)
        draw.line([(390, 200), (390, 450)], fill=foam, width=10)
    else:
        draw.ellipse((250, 180, 530, 460), fill=foam)
    save(image, name)


def croissant() -> None:
    image, draw = table()
    draw.ellipse((110, 110, 690, 520), fill=(250, 250, 246))  # plate
    shadow(image, (190, 230, 620, 470), 18)
    draw = ImageDraw.Draw(image)
    golden, dark = (226, 160, 70), (190, 118, 40)
    for i, (x, w) in enumerate(((400, 150), (300, 110), (500, 110), (225, 80), (575, 80))):
        top = 220 + (0 if i == 0 else 30 if i < 3 else 70)
        draw.ellipse((x - w // 2, top, x + w // 2, top + 190 - (i > 0) * 40), fill=golden)
        draw.arc(
            (x - w // 2, top, x + w // 2, top + 190 - (i > 0) * 40), 200, 340, fill=dark, width=6
        )
    save(image, "croissant")


def orange_juice() -> None:
    image, draw = table()
    shadow(image, (260, 470, 560, 560), 14)
    draw = ImageDraw.Draw(image)
    draw.polygon([(280, 80), (520, 80), (495, 520), (305, 520)], fill=(236, 240, 242))
    draw.polygon([(292, 160), (508, 160), (490, 505), (310, 505)], fill=(247, 150, 30))
    draw.rectangle((292, 160, 508, 176), fill=(255, 196, 90))
    draw.ellipse((520, 330, 720, 530), fill=(247, 140, 20))  # half an orange beside it
    draw.ellipse((540, 350, 700, 510), fill=(255, 190, 80))
    for angle in range(0, 360, 45):
        draw.pieslice((548, 358, 692, 502), angle + 4, angle + 41, fill=(252, 170, 50))
    draw.line([(420, 40), (450, 300)], fill=(60, 170, 120), width=12)  # a straw
    save(image, "orange-juice")


def avocado_toast() -> None:
    image, draw = table()
    draw.ellipse((80, 90, 720, 530), fill=(250, 250, 246))
    shadow(image, (180, 170, 620, 470), 18)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((200, 160, 600, 450), 60, fill=(200, 140, 70))  # crust
    draw.rounded_rectangle((220, 180, 580, 430), 50, fill=(236, 200, 140))
    for i, x in enumerate(range(250, 560, 62)):
        draw.ellipse((x, 200 + (i % 2) * 20, x + 70, 410 - (i % 2) * 20), fill=(150, 190, 70))
        draw.ellipse((x + 12, 215 + (i % 2) * 20, x + 58, 395 - (i % 2) * 20), fill=(190, 215, 100))
    for x, y in ((280, 240), (360, 330), (450, 250), (520, 360), (330, 390)):
        draw.ellipse((x, y, x + 12, y + 12), fill=(200, 40, 30))  # chilli
    draw.pieslice((560, 380, 700, 520), 180, 360, fill=(170, 210, 60))  # lime
    save(image, "avocado-toast")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    cup("latte", (150, 95, 55), (245, 232, 212), art=True)
    cup("flat-white", (120, 72, 40), (236, 220, 196), art=False)
    croissant()
    orange_juice()
    avocado_toast()
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
