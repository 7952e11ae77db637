"""Printable token cards: PDF sheets, one card as SVG or PNG, and a table tent.

One layout is computed per card (in millimetres) and then drawn three ways (PDF with
fpdf2, SVG by hand, PNG with Pillow), so every format shows the same card.

- The QR holds the card's full URL, error correction M, with the full four-module quiet
  zone kept clear of text and cut marks. Dark modules are merged into rectangles and
  drawn as vectors (PDF, SVG) or on whole pixels at 300 dpi (PNG), so they stay sharp.
- Under the label every card carries a short reference such as "K7QM-4XA9": a digest of
  the card's secret code in letters and digits that cannot be misread (no 0/O, 1/I/L,
  U), so staff can read it over the phone and match a card on the /admin list. It does
  not open the tab, and a reissued card (new code) gets a new reference.
- Text uses a Unicode TrueType font found on the machine (DejaVu, Liberation or Noto;
  a font dropped into static/print/ comes first), falling back glyph by glyph to a CJK
  font for names such as "카페". With no usable font at all, text is drawn with the
  PDF core font after folding it to Latin-1, so printing never fails over a name.
- Sheets put 10 cards (2 × 5, 85 × 55 mm, edge to edge) in the middle of the page with
  cut marks in the margins. US Letter is only 279.4 mm tall, so its top and bottom
  margins are 2.2 mm: those cut marks are short, and the side marks carry the
  horizontal cuts. Ink stays at least 4 mm inside each card.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import qrcode
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from models import Shop, TokenCard
from services import Refused

MM_PER_PT = 25.4 / 72
DPI = 300
PX_PER_MM = DPI / 25.4
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks

CARD_W, CARD_H = 85.0, 55.0
COLUMNS, ROWS = 2, 5
CARDS_PER_PAGE = COLUMNS * ROWS
PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
A6 = (105.0, 148.0)

SCAN_PROMPT = "Scan to open your tab"

# A reference alphabet with nothing that reads like something else.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

STATIC_FONTS = Path(__file__).resolve().parent.parent / "static" / "print"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/nanum"),
    Path("/usr/share/fonts/truetype/unfonts-core"),
    Path("/usr/share/fonts/truetype/wqy"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
# (file name, face index in a collection). Main faces first, then glyph fallbacks.
REGULAR_FACES = (
    ("DejaVuSans.ttf", 0),
    ("LiberationSans-Regular.ttf", 0),
    ("NotoSans-Regular.ttf", 0),
    ("Arial.ttf", 0),
)
BOLD_FACES = (
    ("DejaVuSans-Bold.ttf", 0),
    ("LiberationSans-Bold.ttf", 0),
    ("NotoSans-Bold.ttf", 0),
    ("Arial Bold.ttf", 0),
)
# Index 1 of the Noto CJK collections is the Korean face; every face has all the CJK
# and Hangul glyphs, only the regional glyph shapes differ.
FALLBACK_REGULAR = (
    ("NotoSansCJK-Regular.ttc", 1),
    ("NanumGothic.ttf", 0),
    ("UnDotum.ttf", 0),
    ("wqy-microhei.ttc", 0),
)
FALLBACK_BOLD = (
    ("NotoSansCJK-Bold.ttc", 1),
    ("NanumGothicBold.ttf", 0),
    ("UnDotumBold.ttf", 0),
) + FALLBACK_REGULAR
SVG_FONT_FAMILY = "DejaVu Sans, Liberation Sans, Noto Sans, Noto Sans CJK KR, sans-serif"


# -- public API -----------------------------------------------------------------------


def cards_pdf(shop: Shop, cards: list[TokenCard], paper: str) -> bytes:
    """Sheets of business-card-size cards, 10 to a page, for A4 or US Letter."""
    size = PAPERS.get((paper or "").lower())
    if size is None:
        raise Refused("Choose A4 or Letter paper.")
    if not cards:
        raise Refused("There are no cards to print.")
    page_w, page_h = size
    left, top = (page_w - COLUMNS * CARD_W) / 2, (page_h - ROWS * CARD_H) / 2
    pdf = _Pdf(page_w, page_h, f"{shop.name} – token cards")
    for start in range(0, len(cards), CARDS_PER_PAGE):
        pdf.add_page()
        for n, card in enumerate(cards[start : start + CARDS_PER_PAGE]):
            x = left + (n % COLUMNS) * CARD_W
            y = top + (n // COLUMNS) * CARD_H
            pdf.draw(_card_layout(shop, card), x, y)
        pdf.cut_marks(left, top)
    return pdf.to_bytes()


def card_svg(shop: Shop, card: TokenCard) -> str:
    """One card, 85 × 55 mm, as a standalone SVG (vector QR, text as text)."""
    return _svg(_card_layout(shop, card), CARD_W, CARD_H, outline=True)


def card_png(shop: Shop, card: TokenCard) -> bytes:
    """One card, 85 × 55 mm, as a PNG at 300 dpi."""
    return _png(_card_layout(shop, card), CARD_W, CARD_H, outline=True)


def table_tent_pdf(shop: Shop, card: TokenCard) -> bytes:
    """An A6 table tent: fold along the middle line; both faces read the right way up."""
    width, height = A6
    panel_h = height / 2
    layout = _tent_layout(shop, card, width, panel_h)
    pdf = _Pdf(width, height, f"{shop.name} – {card.label}")
    pdf.add_page()
    pdf.draw(layout, 0, panel_h)
    with pdf.rotation(180, x=width / 2, y=panel_h / 2):
        pdf.draw(layout, 0, 0)
    pdf.fold_line(panel_h, width)
    return pdf.to_bytes()


def download_name(shop: Shop, what: str, ext: str, day: date) -> str:
    """A safe ASCII file name: "blue-door-cafe-cards-2026-11-26.pdf"."""
    parts = [_slug(shop.slug) or _slug(shop.name) or "shop", _slug(what), day.isoformat()]
    extension = _slug(ext.lstrip(".")) or "bin"
    return "-".join(part for part in parts if part) + "." + extension


def can_draw(text: str) -> bool:
    """Whether the fonts found on this machine have a glyph for every letter of `text`."""
    faces = _faces(False)
    return all(any(ord(c) in f.advances for f in faces) for c in text if not c.isspace())


def short_reference(card: TokenCard) -> str:
    """The reference printed on the card ("K7QM-4XA9"); see the module notes."""
    digest = int.from_bytes(hashlib.sha256(card.code.encode()).digest()[:8], "big")
    letters = []
    for _ in range(8):
        digest, index = divmod(digest, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[index])
    return "".join(letters[:4]) + "-" + "".join(letters[4:])


# -- layout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: float  # mm; the left end, or the centre when `centred`
    baseline: float  # mm
    size: float  # pt
    bold: bool
    text: str
    centred: bool = False
    grey: bool = False


@dataclass(frozen=True)
class Qr:
    x: float  # mm, top-left of the quiet zone
    y: float
    size: float  # mm, quiet zone included
    matrix: tuple[tuple[bool, ...], ...]

    @property
    def modules(self) -> int:
        return len(self.matrix) + 2 * QUIET_ZONE


@dataclass(frozen=True)
class Layout:
    qr: Qr
    texts: tuple[Text, ...]


def _card_layout(shop: Shop, card: TokenCard) -> Layout:
    qr = Qr(x=3, y=5, size=45, matrix=_qr_matrix(card.url))
    column_x, width = 49.0, 32.0
    texts: list[Text] = []
    texts += _block(shop.name, column_x, 10, width, size=9, bold=True, max_lines=2, grey=True)
    below = texts[-1].baseline + 9
    texts += _block(card.label, column_x, below, width, size=15, bold=True, max_lines=2)
    texts += _block(SCAN_PROMPT, column_x, 39, width, size=7.5, bold=False, max_lines=2)
    texts.append(Text(column_x, 50, 8, True, short_reference(card), grey=True))
    return Layout(qr, tuple(texts))


def _tent_layout(shop: Shop, card: TokenCard, width: float, height: float) -> Layout:
    qr = Qr(x=3, y=(height - 64) / 2, size=64, matrix=_qr_matrix(card.url))
    column_x, column_w = 69.0, width - 69.0 - 4
    texts: list[Text] = []
    texts += _block(SCAN_PROMPT, column_x, 13, column_w, size=13, bold=True, max_lines=3)
    below = texts[-1].baseline + 10
    texts += _block(card.label, column_x, below, column_w, size=18, bold=True, max_lines=2)
    below = texts[-1].baseline + 8
    texts += _block(shop.name, column_x, below, column_w, size=10, bold=False, max_lines=3)
    texts.append(Text(column_x, height - 8, 7, False, short_reference(card), grey=True))
    return Layout(qr, tuple(texts))


def _block(text, x, baseline, width, *, size, bold, max_lines, grey=False) -> list[Text]:
    """`text` wrapped into at most `max_lines` lines of `width` mm, shrinking to fit."""
    text = " ".join(str(text).split())
    smallest = max(size * 0.6, 6)
    while True:
        lines = _wrap(text, width, size, bold)
        if len(lines) <= max_lines or size <= smallest:
            break
        size = max(size - 0.5, smallest)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _shorten(lines[-1] + "…", width, size, bold)
    leading = size * MM_PER_PT * 1.2
    return [
        Text(x, baseline + i * leading, size, bold, line, grey=grey) for i, line in enumerate(lines)
    ]


def _wrap(text: str, width: float, size: float, bold: bool) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if _measure(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        # A word wider than the column (or a name with no spaces) is broken anywhere.
        line = ""
        for char in word:
            if line and _measure(line + char, size, bold) > width:
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return lines


def _shorten(line: str, width: float, size: float, bold: bool) -> str:
    while len(line) > 1 and _measure(line, size, bold) > width:
        line = line[:-2] + "…"
    return line


@lru_cache(maxsize=1024)  # reprinting a batch skips qrcode's slow mask search
def _qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _dark_rects(matrix) -> list[tuple[int, int, int, int]]:
    """Dark modules as (column, row, width, height) rectangles: runs along each row,
    stacked with identical runs in the rows below. Far fewer shapes than modules."""
    open_runs: dict[tuple[int, int], list[int]] = {}
    rects: list[list[int]] = []
    for y, row in enumerate(matrix):
        runs = []
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((start, x - start))
            else:
                x += 1
        still_open: dict[tuple[int, int], list[int]] = {}
        for run in runs:
            rect = open_runs.get(run)
            if rect is not None and rect[1] + rect[3] == y:
                rect[3] += 1
            else:
                rect = [run[0], y, run[1], 1]
                rects.append(rect)
            still_open[run] = rect
        open_runs = still_open
    return [tuple(rect) for rect in rects]


# -- fonts ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Face:
    path: str
    index: int
    advances: dict  # code point -> advance width in em
    key: str  # a name for fpdf2

    def width(self, text: str, size: float) -> float:
        return sum(self.advances.get(ord(c), 0.5) for c in text) * size * MM_PER_PT


@cache
def _face(path: str, index: int) -> Face | None:
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=index, lazy=True)
        cmap = font.getBestCmap()
        hmtx = font["hmtx"]
        em = font["head"].unitsPerEm
        advances = {point: hmtx[glyph][0] / em for point, glyph in cmap.items()}
    except Exception:  # a broken or unreadable font file is skipped, not fatal
        return None
    key = "f" + hashlib.sha1(f"{path}#{index}".encode()).hexdigest()[:10]
    return Face(path, index, advances, key)


def _find(candidates) -> list[Face]:
    dirs = (STATIC_FONTS, *FONT_DIRS)
    faces = []
    for name, index in candidates:
        for folder in dirs:
            path = folder / name
            if path.is_file() and (face := _face(str(path), index)):
                faces.append(face)
                break
    return faces


@cache
def _faces(bold: bool) -> tuple[Face, ...]:
    """The main face first, then faces used for glyphs it lacks. Empty: no usable font."""
    own = sorted(STATIC_FONTS.glob("*.tt[fc]")) + sorted(STATIC_FONTS.glob("*.otf"))
    main = [f for p in own if (f := _face(str(p), 0))][:1]
    main = main or _find(BOLD_FACES if bold else REGULAR_FACES)[:1]
    if not main and bold:
        main = _find(REGULAR_FACES)[:1]
    fallbacks = _find(FALLBACK_BOLD if bold else FALLBACK_REGULAR)
    return tuple(main + [f for f in fallbacks if f not in main])


def _runs(text: str, bold: bool) -> list[tuple[Face | None, str]]:
    """`text` split into pieces, each with the first face that has all its glyphs."""
    faces = _faces(bold)
    if not faces:
        return [(None, _latin1(text))]
    runs: list[tuple[Face | None, str]] = []
    for char in text:
        face = next((f for f in faces if ord(char) in f.advances), faces[0])
        if runs and runs[-1][0] is face:
            runs[-1] = (face, runs[-1][1] + char)
        else:
            runs.append((face, char))
    return runs


def _measure(text: str, size: float, bold: bool) -> float:
    """Width in mm of `text` at `size` pt, as the PDF and PNG will draw it."""
    total = 0.0
    for face, piece in _runs(text, bold):
        # Helvetica's average advance, for the no-font fallback.
        total += face.width(piece, size) if face else len(piece) * 0.56 * size * MM_PER_PT
    return total


def _latin1(text: str) -> str:
    """Fold text into what the PDF core fonts can draw: accents kept where Latin-1 has
    them, other letters reduced to their base letter, anything else as "?"."""
    out = []
    for char in text.replace("…", "..."):
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


# -- PDF ------------------------------------------------------------------------------


class _Pdf(FPDF):
    def __init__(self, width: float, height: float, title: str):
        super().__init__(unit="mm", format=(width, height))
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_title(title)
        self.set_creator("Tabby")
        self._tabby_fonts: set[str] = set()

    def _use(self, face: Face | None, bold: bool, size: float) -> None:
        if face is None:
            self.set_font("helvetica", "B" if bold else "", size)
            return
        if face.key not in self._tabby_fonts:
            self.add_font(face.key, "", face.path, collection_font_number=face.index)
            self._tabby_fonts.add(face.key)
        self.set_font(face.key, "", size)

    def draw(self, layout: Layout, dx: float, dy: float) -> None:
        qr = layout.qr
        module = qr.size / qr.modules
        left = dx + qr.x + QUIET_ZONE * module
        top = dy + qr.y + QUIET_ZONE * module
        self.set_fill_color(0)
        for col, row, w, h in _dark_rects(qr.matrix):
            self.rect(left + col * module, top + row * module, w * module, h * module, "F")
        for text in layout.texts:
            self.set_text_color(90 if text.grey else 0)
            x = dx + text.x
            if text.centred:
                x -= _measure(text.text, text.size, text.bold) / 2
            for face, piece in _runs(text.text, text.bold):
                self._use(face, text.bold, text.size)
                self.text(x, dy + text.baseline, piece)
                x += self.get_string_width(piece)
        self.set_text_color(0)

    def cut_marks(self, left: float, top: float) -> None:
        """Marks in the margins along every cut line, stopping short of the cards."""
        gap, longest = 1.0, 6.0
        right, bottom = left + COLUMNS * CARD_W, top + ROWS * CARD_H
        self.set_draw_color(0)
        self.set_line_width(0.2)
        mark = min(longest, top - gap - 0.5)
        if mark > 0.3:
            for i in range(COLUMNS + 1):
                x = left + i * CARD_W
                self.line(x, top - gap - mark, x, top - gap)
                self.line(x, bottom + gap, x, bottom + gap + mark)
        mark = min(longest, left - gap - 0.5)
        if mark > 0.3:
            for i in range(ROWS + 1):
                y = top + i * CARD_H
                self.line(left - gap - mark, y, left - gap, y)
                self.line(right + gap, y, right + gap + mark, y)

    def fold_line(self, y: float, width: float) -> None:
        self.set_draw_color(150)
        self.set_line_width(0.2)
        self.set_dash_pattern(dash=2, gap=2)
        self.line(2, y, width - 2, y)
        self.set_dash_pattern()

    def to_bytes(self) -> bytes:
        return bytes(self.output())


# -- SVG and PNG ----------------------------------------------------------------------


def _svg(layout: Layout, width: float, height: float, *, outline: bool) -> str:
    qr = layout.qr
    module = qr.size / qr.modules
    left, top = qr.x + QUIET_ZONE * module, qr.y + QUIET_ZONE * module
    path = "".join(
        f"M{_n(left + c * module)} {_n(top + r * module)}h{_n(w * module)}v{_n(h * module)}"
        f"h{_n(-w * module)}z"
        for c, r, w, h in _dark_rects(qr.matrix)
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}mm" height="{_n(height)}mm"'
        f' viewBox="0 0 {_n(width)} {_n(height)}">',
        f'<rect width="{_n(width)}" height="{_n(height)}" fill="#fff"'
        + (' stroke="#ccc" stroke-width="0.2"' if outline else "")
        + "/>",
        f'<path d="{path}" fill="#000" shape-rendering="crispEdges"/>',
        f'<g font-family="{SVG_FONT_FAMILY}">',
    ]
    for text in layout.texts:
        attributes = [
            f'x="{_n(text.x)}"',
            f'y="{_n(text.baseline)}"',
            f'font-size="{_n(text.size * MM_PER_PT)}"',
            f'fill="{"#5a5a5a" if text.grey else "#000"}"',
        ]
        if text.bold:
            attributes.append('font-weight="bold"')
        if text.centred:
            attributes.append('text-anchor="middle"')
        parts.append(f"<text {' '.join(attributes)}>{escape(text.text)}</text>")
    parts += ["</g>", "</svg>"]
    return "\n".join(parts) + "\n"


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _png(layout: Layout, width: float, height: float, *, outline: bool) -> bytes:
    size = (round(width * PX_PER_MM), round(height * PX_PER_MM))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    if outline:
        draw.rectangle((0, 0, size[0] - 1, size[1] - 1), outline=204, width=2)
    qr = layout.qr
    # Whole pixels per module, so every module is the same size and edges are sharp.
    module = int(qr.size * PX_PER_MM // qr.modules)
    left = round(qr.x * PX_PER_MM) + QUIET_ZONE * module
    top = round(qr.y * PX_PER_MM) + QUIET_ZONE * module
    for c, r, w, h in _dark_rects(qr.matrix):
        x, y = left + c * module, top + r * module
        draw.rectangle((x, y, x + w * module - 1, y + h * module - 1), fill=0)
    for text in layout.texts:
        pixels = text.size * MM_PER_PT * PX_PER_MM
        x = text.x * PX_PER_MM
        if text.centred:
            x -= _measure(text.text, text.size, text.bold) * PX_PER_MM / 2
        y = text.baseline * PX_PER_MM
        for face, piece in _runs(text.text, text.bold):
            font = _pil_font(face, round(pixels))
            draw.text((x, y), piece, font=font, fill=90 if text.grey else 0, anchor="ls")
            x += draw.textlength(piece, font=font)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


@cache
def _pil_font(face: Face | None, pixels: int):
    if face is not None:
        try:
            return ImageFont.truetype(face.path, pixels, index=face.index)
        except OSError:
            pass
    return ImageFont.load_default(pixels)
