"""Printed token cards really scan: every PDF page, the SVG, the PNG and the table tent
are rendered to pixels and read back with an independent QR decoder (zxing-cpp)."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from services import Refused, printing

PT_PER_MM = 72 / 25.4
RENDER_DPI = 200


def pdf_pages(data: bytes) -> list[tuple[tuple[float, float], Image.Image, str]]:
    """(size in mm, grey image at RENDER_DPI, text) for every page."""
    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in document:
            width, height = page.get_size()
            image = page.render(scale=RENDER_DPI / 72).to_pil().convert("L")
            text = page.get_textpage().get_text_range()
            pages.append(((width / PT_PER_MM, height / PT_PER_MM), image, text))
            page.close()
        return pages
    finally:
        document.close()


def scan(image: Image.Image) -> list:
    return [code for code in zxingcpp.read_barcodes(image) if code.format.name == "QRCode"]


def centre(code) -> tuple[float, float]:
    p = code.position
    corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    return sum(c.x for c in corners) / 4, sum(c.y for c in corners) / 4


def assert_quiet_zone(image: Image.Image, code) -> None:
    """Four modules of white all round the symbol (a pixel of anti-aliasing allowed)."""
    p = code.position
    xs = [c.x for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
    ys = [c.y for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    module = (right - left) / (17 + 4 * int(code.extra["Version"]))
    zone = round(4 * module) - 2
    pixels = image.load()
    for x in range(left - zone, right + zone + 1):
        for y in [*range(top - zone, top - 2), *range(bottom + 3, bottom + zone + 1)]:
            assert pixels[x, y] > 200, (x, y)
    for y in range(top - zone, bottom + zone + 1):
        for x in [*range(left - zone, left - 2), *range(right + 3, right + zone + 1)]:
            assert pixels[x, y] > 200, (x, y)


def make_cards(create_card, shop, count, kind="table"):
    return [create_card(shop, kind, f"{kind.title()} {n}") for n in range(1, count + 1)]


@pytest.fixture
def shop(create_shop):
    return create_shop(slug="blue-door-cafe", name="Blue Door Café")


# -- PDF sheets -----------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "size_mm"), [("a4", (210.0, 297.0)), ("letter", (215.9, 279.4))])
def test_every_card_on_every_sheet_scans_to_its_own_url(ctx, shop, create_card, paper, size_mm):
    cards = make_cards(create_card, shop, 13)
    pages = pdf_pages(printing.cards_pdf(shop, cards, paper))

    assert len(pages) == 2
    page_w, page_h = size_mm
    left = (page_w - 2 * printing.CARD_W) / 2
    top = (page_h - 5 * printing.CARD_H) / 2
    px = RENDER_DPI / 25.4
    for number, (size, image, text) in enumerate(pages):
        assert size == pytest.approx(size_mm, abs=0.1)
        on_page = cards[number * 10 : number * 10 + 10]
        codes = scan(image)
        assert len(codes) == len(on_page) == (10 if number == 0 else 3)
        for code in codes:
            # Which slot of the 2 × 5 grid the symbol sits in.
            x, y = centre(code)
            column = int((x / px - left) // printing.CARD_W)
            row = int((y / px - top) // printing.CARD_H)
            card = on_page[row * 2 + column]
            assert code.text == card.url
            assert code.ec_level in ("M", "Q", "H")
            assert_quiet_zone(image, code)
        for card in on_page:
            assert card.label in text
            assert printing.short_reference(card) in text
        assert text.count("Blue Door Café") == len(on_page)


def test_the_qr_holds_the_full_card_address(ctx, shop, create_card):
    card = create_card(shop, "personal", "Card 1")
    [(_, image, _)] = pdf_pages(printing.cards_pdf(shop, [card], "A4"))

    [code] = scan(image)
    assert code.text == f"http://localhost/t/{card.code}"


def test_a_big_batch_makes_one_page_per_ten_cards(ctx, shop, create_card):
    cards = make_cards(create_card, shop, 41)
    data = printing.cards_pdf(shop, cards, "a4")

    pages = pdf_pages(data)
    assert len(pages) == 5
    assert [len(scan(image)) for _, image, _ in pages] == [10, 10, 10, 10, 1]
    # Vector modules merged into rectangles keep a sheet small.
    assert len(data) < 60_000 * len(pages)


def test_unknown_paper_or_no_cards_is_refused(ctx, shop, create_card):
    card = create_card(shop)
    with pytest.raises(Refused, match="A4 or Letter"):
        printing.cards_pdf(shop, [card], "a3")
    with pytest.raises(Refused, match="no cards"):
        printing.cards_pdf(shop, [], "a4")


def test_non_latin_shop_names_print_and_scan(ctx, create_shop, create_card):
    shop = create_shop(slug="cafe-seoul", name="카페 서울 Café")
    card = create_card(shop, "table", "테이블 1")

    [(_, image, text)] = pdf_pages(printing.cards_pdf(shop, [card], "a4"))
    [code] = scan(image)
    assert code.text == card.url
    if not printing.can_draw("카페 서울 테이블"):
        pytest.skip("no CJK font installed (.ci/run installs fonts-noto-cjk)")
    assert "카페 서울 Café" in text
    assert "테이블 1" in text


def test_without_any_font_file_text_falls_back_and_still_prints(
    ctx, create_shop, create_card, monkeypatch
):
    monkeypatch.setattr(printing, "_faces", lambda bold: ())
    shop = create_shop(name="Ça Café 카페 Ωmega")
    card = create_card(shop, "table", "Tisch Ü")

    [(_, image, text)] = pdf_pages(printing.cards_pdf(shop, [card], "letter"))
    assert [code.text for code in scan(image)] == [card.url]
    assert "Ça Café ?? ?mega" in text
    assert "Tisch Ü" in text
    assert [c.text for c in scan(Image.open(io.BytesIO(printing.card_png(shop, card))))] == [
        card.url
    ]


def test_long_labels_stay_inside_the_card(ctx, shop, create_card):
    card = create_card(shop, "personal", "W" * 60)
    layout = printing._card_layout(shop, card)

    for text in layout.texts:
        assert text.x + printing._measure(text.text, text.size, text.bold) <= printing.CARD_W - 3
        assert text.baseline <= printing.CARD_H - 3
    [(_, image, _)] = pdf_pages(printing.cards_pdf(shop, [card], "a4"))
    assert [code.text for code in scan(image)] == [card.url]


# -- one card as SVG and PNG ----------------------------------------------------------


def rasterise_svg(svg: str, px_per_unit: float = 12) -> Image.Image:
    """Draw the SVG's QR path (M x y h w v h h -w z rectangles) with Pillow."""
    root = ET.fromstring(svg.encode())
    ns = {"svg": "http://www.w3.org/2000/svg"}
    _, _, width, height = map(float, root.get("viewBox").split())
    image = Image.new("L", (round(width * px_per_unit), round(height * px_per_unit)), 255)
    draw = ImageDraw.Draw(image)
    for path in root.iterfind("svg:path", ns):
        for x, y, w, h in re.findall(
            r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+z", path.get("d")
        ):
            x0, y0 = float(x) * px_per_unit, float(y) * px_per_unit
            x1, y1 = x0 + float(w) * px_per_unit, y0 + float(h) * px_per_unit
            draw.rectangle((round(x0), round(y0), round(x1) - 1, round(y1) - 1), fill=0)
    return image


def test_card_svg_is_card_sized_and_scans(ctx, shop, create_card):
    card = create_card(shop, "table", "Table <7> & co")
    svg = printing.card_svg(shop, card)

    root = ET.fromstring(svg.encode())  # well-formed even with <, > and & in the label
    assert (root.get("width"), root.get("height")) == ("85mm", "55mm")
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Table <7> & co" in " ".join(texts)  # the label may wrap onto two lines
    assert "Blue Door Café" in texts
    assert printing.short_reference(card) in texts
    assert "<script" not in svg and "<image" not in svg  # vector only, nothing embedded
    image = rasterise_svg(svg)
    [code] = scan(image)
    assert code.text == card.url
    assert_quiet_zone(image, code)


@pytest.mark.browser
def test_card_svg_scans_as_chromium_draws_it(ctx, shop, create_card, browser):
    card = create_card(shop, "personal", "Card 9")
    svg = printing.card_svg(shop, card)

    page = browser.new_page(device_scale_factor=3)
    try:
        page.set_content(f"<body style='margin:0;background:#fff'>{svg.split('?>', 1)[1]}</body>")
        shot = page.locator("svg").screenshot()
    finally:
        page.close()
    assert [code.text for code in scan(Image.open(io.BytesIO(shot)).convert("L"))] == [card.url]


def test_card_png_is_300_dpi_and_scans(ctx, shop, create_card):
    card = create_card(shop, "personal", "Card 3")
    image = Image.open(io.BytesIO(printing.card_png(shop, card)))

    assert image.format == "PNG"
    assert image.size == (1004, 650)  # 85 × 55 mm at 300 dpi
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    grey = image.convert("L")
    [code] = scan(grey)
    assert code.text == card.url
    assert_quiet_zone(grey, code)


# -- table tent -----------------------------------------------------------------------


def test_table_tent_is_a6_and_both_faces_scan(ctx, shop, create_card):
    card = create_card(shop, "table", "Table 4")
    [(size, image, text)] = pdf_pages(printing.table_tent_pdf(shop, card))

    assert size == pytest.approx((105.0, 148.0), abs=0.1)
    codes = scan(image)
    assert [code.text for code in codes] == [card.url, card.url]
    # One face the right way up, one upside down for the far side of the fold.
    assert sorted(abs(code.orientation) for code in codes) == [0, 180]
    assert "Scan to" in text and "Table 4" in text and "Blue Door Café" in text
    for code in codes:
        assert_quiet_zone(image, code)


# -- names and references -------------------------------------------------------------


def test_download_names_carry_the_shop_the_thing_and_the_date(create_shop):
    shop = create_shop(slug="blue-door-cafe", name="Blue Door Café")
    day = date(2026, 11, 26)

    assert printing.download_name(shop, "cards", "pdf", day) == (
        "blue-door-cafe-cards-2026-11-26.pdf"
    )
    assert printing.download_name(shop, "Table tent: Table 4!", ".PNG", day) == (
        "blue-door-cafe-table-tent-table-4-2026-11-26.png"
    )
    korean = create_shop(slug="cafe-seoul", name="카페")
    name = printing.download_name(korean, "카드 cards", "svg", day)
    assert name == "cafe-seoul-cards-2026-11-26.svg"
    assert name.isascii()


def test_the_short_reference_is_readable_and_changes_when_a_card_is_reissued(shop, create_card):
    card = create_card(shop)
    reissued = create_card(shop, label=card.label)
    reference = printing.short_reference(card)

    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", reference)
    assert printing.short_reference(card) == reference  # stable across prints
    assert printing.short_reference(reissued) != reference
    assert reference.replace("-", "") not in card.code  # not a piece of the secret


def test_qr_rectangles_cover_exactly_the_dark_modules():
    matrix = printing._qr_matrix("https://tabby.example.com/t/" + "x" * 22)
    rects = printing._dark_rects(matrix)
    drawn = [[False] * len(row) for row in matrix]
    for col, row, width, height in rects:
        for y in range(row, row + height):
            for x in range(col, col + width):
                assert not drawn[y][x]
                drawn[y][x] = True
    assert [list(row) for row in matrix] == drawn
    assert len(rects) < sum(map(sum, matrix)) / 2
