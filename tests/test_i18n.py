"""Tabby speaks the customer's language (English or Korean, from Accept-Language or the
switch on the page) while money and times stay in the shop's locale and currency."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from sqlalchemy import select

from live import PHONE_COOKIE
from money import format_money
from tests.helpers import open_tab

ROOT = Path(__file__).resolve().parent.parent
KO_PO = ROOT / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}


def catalog():
    with KO_PO.open("rb") as handle:
        return read_po(handle, locale="ko")


class VisibleText(HTMLParser):
    """The text a customer reads: text nodes, plus labels screen readers announce."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "alt", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_phrases() -> set[str]:
    """Every English sentence Tabby may show, cut at its placeholders and markup into the
    literal pieces a reader would see. Pieces too short to be telling ("OK", "Tab") or
    that are data (the brand) are left out."""
    pieces = set()
    for message in catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            for piece in re.split(r"%\(\w+\)[sd0-9]*|<[^>]+>", text):
                piece = piece.strip(" .,:;()·—")
                if len(piece) >= 6 and re.search(r"[a-z]{3}", piece) and piece != "Tabby":
                    pieces.add(piece)
    return pieces


def test_korean_catalogue_is_complete():
    entries = [m for m in catalog() if m.id]
    assert len(entries) > 150
    empty = [
        m.id for m in entries if not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert empty == [] and fuzzy == []
    assert not catalog().fuzzy
    assert (KO_PO.with_suffix(".mo")).stat().st_mtime >= KO_PO.stat().st_mtime - 1


def test_catalogue_holds_every_string_in_the_code(tmp_path):
    from babel.messages.frontend import CommandLineInterface

    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "lazy_gettext",
            "-k",
            "_l",
            "--ignore-dirs=.* _* tests bench migrations node_modules",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    known = {m.id for m in catalog() if m.id}
    assert wanted - known == set(), "run `make translations` and translate the new strings"


@pytest.fixture
def korean_screens(screens, new_client):
    """Each customer screen, fetched by its viewer's phone asking for Korean."""
    pages = {}
    for screen in screens.all:
        if screen.audience != "customer":
            continue
        phone = new_client()
        if screen.who in screens.phone_cookies:
            phone.set_cookie(PHONE_COOKIE, screens.phone_cookies[screen.who])
        response = phone.get(screen.path, headers=KOREAN)
        assert response.status_code == screen.status, screen.name
        pages[screen.name] = response.get_data(as_text=True)
    return pages


def shop_data(app, shop) -> list[str]:
    """What the café itself wrote (names, notes): shown as written, in any language."""
    from extensions import db
    from models import MenuItem, OptionChoice, OptionGroup, Shop, TokenCard

    with app.app_context():
        shop = db.session.get(Shop, shop.id)
        items = db.session.scalars(select(MenuItem).where(MenuItem.shop_id == shop.id)).all()
        cards = db.session.scalars(select(TokenCard).where(TokenCard.shop_id == shop.id)).all()
        # The ready board's secret address is random, shown to the owner as it is.
        data = [shop.name, shop.service_note or "", shop.board_key or ""]
        # Option groups and choices are the café's words too (Size, Oat milk).
        for model in (OptionGroup, OptionChoice):
            data += db.session.scalars(select(model.name).where(model.shop_id == shop.id)).all()
        data += [text for item in items for text in (item.name, item.description or "")]
        data += [card.label for card in cards]
    return sorted({d for d in data if d}, key=len, reverse=True) + ["oat milk"]


def test_korean_customer_pages_have_no_english_left(korean_screens, screens, app):
    phrases = english_phrases()
    assert len(korean_screens) >= 14
    for name, html in korean_screens.items():
        assert '<html lang="ko">' in html, name
        text = visible_text(html)
        for value in shop_data(app, screens.cafe.shop):
            text = text.replace(value, "")
        left = sorted(p for p in phrases if p in text)
        assert left == [], f"{name} still shows Tabby's English: {left}"
        # Words never wrapped for translation are in no catalogue; a run of English
        # words is one of them.
        runs = re.findall(r"[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]{2,})+", text)
        assert runs == [], f"{name} shows untranslated words: {runs}"
        assert re.search("[가-힣]", text), name


@pytest.fixture
def korean_staff_screens(screens, new_client, login):
    """Each staff screen (the counter side, not the owner's back office), fetched by a
    member of staff whose browser asks for Korean."""
    staff = login(screens.cafe.staff)
    pages = {}
    for screen in screens.all:
        if not screen.path.startswith("/staff"):
            continue
        viewer = staff if screen.who == "staff" else new_client()
        response = viewer.get(screen.path, headers=KOREAN)
        assert response.status_code == screen.status, screen.name
        pages[screen.name] = response.get_data(as_text=True)
    return pages


def staff_data(app, shop) -> list[str]:
    """Besides the café's own words, what customers and staff typed (names, notes,
    reasons), what a push service answered, and the random codes that name tabs and
    cards (a random "KQ MZ" reads like English to the check below): shown as given."""
    from extensions import db
    from models import PushMessage, StaffMember, Tab, TabLine, TokenCard
    from services.printing import short_reference

    with app.app_context():
        tabs = db.session.scalars(select(Tab).where(Tab.shop_id == shop.id)).all()
        lines = db.session.scalars(select(TabLine).where(TabLine.shop_id == shop.id)).all()
        staff = db.session.scalars(select(StaffMember).where(StaffMember.shop_id == shop.id))
        pushes = db.session.scalars(select(PushMessage).where(PushMessage.shop_id == shop.id))
        data = [tab.display_name for tab in tabs] + [tab.close_reason or "" for tab in tabs]
        data += [text for line in lines for text in (line.flag_note or "", line.note or "")]
        data += [member.display_name for member in staff]
        data += [message.last_error or "" for message in pushes]
        data += [tab.reference for tab in tabs]
        cards = db.session.scalars(select(TokenCard).where(TokenCard.shop_id == shop.id))
        data += [text for card in cards for text in (card.code, short_reference(card))]
    return shop_data(app, shop) + sorted({d for d in data if d}, key=len, reverse=True)


def test_korean_staff_pages_have_no_english_left(korean_staff_screens, screens, app):
    phrases = english_phrases()
    assert len(korean_staff_screens) >= 6
    for name, html in korean_staff_screens.items():
        assert '<html lang="ko">' in html, name
        assert 'href="/staff' in html and "?lang=en" in html, f"{name} has no language switch"
        text = visible_text(html)
        for value in staff_data(app, screens.cafe.shop):
            text = text.replace(value, "")
        left = sorted(p for p in phrases if p in text)
        assert left == [], f"{name} still shows Tabby's English: {left}"
        runs = re.findall(r"[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]{2,})+", text)
        assert runs == [], f"{name} shows untranslated words: {runs}"
        assert re.search("[가-힣]", text), name
    words = re.search(
        r'<script type="application/json" id="i18n">(.*?)</script>',
        korean_staff_screens["staff-counter"],
        re.S,
    )
    assert json.loads(words.group(1))["manyNew"] == "카운터에 새 주문 {count}개"


@pytest.fixture
def korean_owner_screens(screens, login):
    """Each screen of the owner's back office, fetched by an owner whose browser asks
    for Korean."""
    owner = login(screens.cafe.owner)
    pages = {}
    for screen in screens.all:
        if not screen.path.startswith("/admin"):
            continue
        response = owner.get(screen.path, headers=KOREAN)
        assert response.status_code == screen.status, screen.name
        pages[screen.name] = response.get_data(as_text=True)
    return pages


def test_korean_owner_pages_have_no_english_left(korean_owner_screens, screens, app):
    from extensions import db
    from models import TokenCard
    from services.printing import short_reference

    phrases = english_phrases()
    # Besides what staff and customers typed, the cards' printed references are data.
    shop_id = screens.cafe.shop.id
    with app.app_context():
        cards = db.session.scalars(select(TokenCard).where(TokenCard.shop_id == shop_id)).all()
        references = [short_reference(card) for card in cards]
        db.session.rollback()
    owner_data = staff_data(app, screens.cafe.shop) + references
    assert len(korean_owner_screens) >= 7
    for name, html in korean_owner_screens.items():
        assert '<html lang="ko">' in html, name
        assert 'href="/admin' in html and "?lang=en" in html, f"{name} has no language switch"
        text = visible_text(html)
        for value in owner_data:
            text = text.replace(value, "")
        left = sorted(p for p in phrases if p in text)
        assert left == [], f"{name} still shows Tabby's English: {left}"
        runs = re.findall(r"[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]{2,})+", text)
        assert runs == [], f"{name} shows untranslated words: {runs}"
        assert re.search("[가-힣]", text), name
    # What a button asks before it acts is in the owner's language too.
    assert "사용을 중지할까요?" in korean_owner_screens["admin-cards"]


def test_owner_actions_answer_in_the_owner_language(login, cafe):
    owner = login(cafe.owner)
    response = owner.post_form("/admin/menu/categories", {"name": "Tea"}, headers=KOREAN)
    page = owner.get(response.headers["Location"], headers=KOREAN).get_data(as_text=True)
    assert "Tea 카테고리를 추가했어요." in page
    response = owner.post_form("/admin/menu/categories", {"name": "Tea"}, headers=KOREAN)
    assert response.status_code == 409
    assert "Tea 카테고리가 이미 있어요." in response.get_data(as_text=True)
    response = owner.post_form("/admin/menu/categories", {"name": "Cake"})
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added the category Cake." in page


def test_staff_actions_answer_in_the_staff_language(staff_client, cafe):
    response = staff_client.post_form("/staff/tabs/new", {"customer_name": "Mina"}, headers=KOREAN)
    assert response.status_code == 303
    page = staff_client.get(response.headers["Location"], headers=KOREAN).get_data(as_text=True)
    assert "Mina님의 탭을 열었어요." in page
    staff_client.set_cookie("lang", "en")
    response = staff_client.post_form("/staff/tabs/new", {"customer_name": "Jun"})
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Opened a tab for Jun." in page


def test_english_is_the_default_and_the_fallback(client):
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    page = client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Scan the code" in page
    page = client.get("/", headers=KOREAN).get_data(as_text=True)
    assert '<html lang="ko">' in page and "코드를 스캔" in page


def test_the_switch_overrides_the_browser_and_persists(client):
    page = client.get("/", headers=KOREAN).get_data(as_text=True)
    assert 'href="/?lang=en"' in page
    response = client.get("/?lang=en", headers=KOREAN)
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    # Later pages, without the query, keep the choice over Accept-Language.
    assert '<html lang="en">' in client.get("/", headers=KOREAN).get_data(as_text=True)
    client.get("/?lang=ko")
    page = client.get("/no/such/page").get_data(as_text=True)
    assert '<html lang="ko">' in page and "여기에는 아무것도 없어요" in page
    # An unknown choice changes nothing.
    assert '<html lang="ko">' in client.get("/?lang=xx").get_data(as_text=True)


def test_the_switch_keeps_the_other_query_arguments(phone, cafe):
    page = phone.get(f"/t/{cafe.table.code}?x=1", headers=KOREAN).get_data(as_text=True)
    assert re.search(r'href="/t/[\w-]+\?x=1&amp;lang=en"', page)


def test_services_refuse_in_the_customers_language(phone, cafe):
    public_id = open_tab(phone, cafe.table, "Ana")
    response = phone.post_json(
        f"/tab/{public_id}/order",
        {"item_id": cafe.sold_out.id, "quantity": "1", "request_key": "k1"},
        headers=KOREAN,
    )
    assert response.status_code == 400
    assert "은(는) 지금 주문할 수 없어요." in response.get_json()["error"]


def test_script_words_come_as_a_json_block(phone, cafe):
    public_id = open_tab(phone, cafe.table)
    page = phone.get(f"/tab/{public_id}", headers=KOREAN).get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', page, re.S)
    words = json.loads(block.group(1))
    assert words["ready"] == "주문이 나오면 이 휴대폰으로 알림을 받아 보세요."
    assert words["oneReady"] == "{names} 나왔어요"


@pytest.mark.parametrize(
    ("currency", "locale", "price"),
    [("KRW", "ko_KR", 4500), ("EUR", "de_DE", 380), ("EUR", "en_IE", 380), ("USD", "en_US", 380)],
)
def test_prices_follow_the_shops_locale_whatever_the_language(
    make_shop, create_item, new_client, currency, locale, price
):
    major = Decimal(price).scaleb(-2 if currency != "KRW" else 0)
    expected = format_currency(major, currency, locale=locale)
    assert format_money(price, currency, locale) == expected
    place = make_shop(currency=currency, locale=locale)
    create_item(place.shop, "Yuja tea", price)
    for language in ("en", "ko"):
        phone = new_client()
        phone.set_cookie("lang", language)
        public_id = open_tab(phone, place.table)
        page = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
        assert f'<html lang="{language}">' in page
        assert f'<span class="price">{expected}</span>' in page


def test_times_follow_the_shops_locale(app):
    moment = datetime(2026, 3, 1, 13, 5, tzinfo=UTC)
    template = app.jinja_env.from_string("{{ moment | local_time('Asia/Seoul') }}")
    with app.test_request_context():
        shop = type("Shop", (), {"locale": "ko_KR"})()
        shown = template.render(moment=moment, shop=shop)
    assert shown == format_time(moment, "short", tzinfo=ZoneInfo("Asia/Seoul"), locale="ko_KR")
    assert "10:05" in shown
