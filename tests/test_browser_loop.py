"""The whole loop in real Chromium: a phone scans a table card, opens a tab, orders from
the menu, sees an item turn "Ready" without reloading, asks to pay, and lands on the
receipt once the counter (a tablet, second browser context) has taken the payment.

Every customer screen is saved as a full-page screenshot under
<output_dir>/screenshots, with the staff counter, so people can look at them.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Tab
from money import format_money
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 6000  # the pages poll every 500 ms in tests
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
# The bill's pay button says the amount: "Pay €7.59 at the counter".
PAY_AT_THE_COUNTER = re.compile(r"^Pay .+ at the counter$")


class Problems:
    """JavaScript errors, CSP violations and other console errors seen on a page."""

    def __init__(self, page, who: str):
        self.who = who
        self.seen: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))

    def _console(self, message):
        if message.type == "error":
            self.seen.append(f"console error at {message.location.get('url')}: {message.text}")

    def assert_none(self):
        assert not self.seen, f"{self.who}: " + "\n".join(self.seen)


@pytest.fixture
def shots(output_dir):
    folder = output_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    saved = []

    def shoot(page, name: str):
        path = folder / f"loop-{name}.png"
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        return path

    shoot.saved = saved
    return shoot


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(base_url=live_server, **PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def staff_page(browser, live_server):
    context = browser.new_context(base_url=live_server, **TABLET)
    page = context.new_page()
    yield page
    context.close()


def paid_tab(public_id: str) -> Tab:
    return db.session.execute(
        select(Tab).where(Tab.public_id == public_id).options(selectinload(Tab.payments))
    ).scalar_one()


def test_phone_and_counter_play_the_whole_loop(cafe, phone_page, staff_page, shots, in_app):
    shop = cafe.shop
    phone, counter = phone_page, staff_page
    phone_problems = Problems(phone, "phone")
    counter_problems = Problems(counter, "counter")

    def money(minor: int) -> str:
        return format_money(minor, shop.currency, shop.locale)

    # -- the card: the shop, its service note, one button ---------------------------
    phone.goto(f"/t/{cafe.table.code}")
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Welcome to {shop.name}")
    expect(phone.locator(".welcome")).to_contain_text(shop.service_note)
    shots(phone, "01-card")

    phone.get_by_label("Your first name").fill("Ana")
    phone.get_by_role("button", name="Open my tab").tap()
    expect(phone).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
    public_id = phone.url.rsplit("/tab/", 1)[1]
    expect(phone.get_by_role("heading", name="My tab")).to_be_visible()
    expect(phone.locator(".tab-ref")).to_contain_text("Ana")
    expect(phone.locator("#tab-body")).to_contain_text("Nothing ordered yet")
    expect(phone.locator("[data-total]")).to_have_text(money(0))
    shots(phone, "02-tab-empty")

    # -- the menu: two items, one with a note ---------------------------------------
    phone.get_by_role("link", name="Add from menu").tap()
    expect(phone.get_by_role("heading", name="Menu", exact=True)).to_be_visible()
    flat_white = phone.locator(f"#item-{cafe.flat_white.id}")
    croissant = phone.locator(f"#item-{cafe.croissant.id}")
    flat_white_price = flat_white.locator(".price").inner_text()
    croissant_price = croissant.locator(".price").inner_text()
    assert flat_white_price == money(380)
    assert croissant_price == money(280)
    expect(phone.locator(f"#item-{cafe.sold_out.id}")).to_contain_text("Not available right now")

    expect(phone.get_by_label("Quantity of Flat white")).to_have_value("1")
    phone.get_by_label("Note for Flat white").fill("oat milk")
    phone.get_by_role("button", name="Add Flat white").tap()
    expect(phone.locator(".flash-success")).to_have_text("Added 1 × Flat white to your tab.")

    expect(phone.get_by_label("Quantity of Butter croissant")).to_have_value("1")
    phone.get_by_role("button", name="Add Butter croissant").tap()
    expect(phone.locator(".flash-success")).to_have_text("Added 1 × Butter croissant to your tab.")
    back_to_tab = phone.locator(".sticky-bar a")
    expect(back_to_tab).to_contain_text("2 items")
    total_on_menu = back_to_tab.inner_text().rsplit("·", 1)[1].strip(" )")
    assert total_on_menu == money(660)
    shots(phone, "03-menu")

    # -- the tab: both lines "Ordered", the total -----------------------------------
    back_to_tab.tap()
    expect(phone).to_have_url(re.compile(rf"/tab/{public_id}$"))
    lines = phone.locator("#tab-body li.line")
    expect(lines).to_have_count(2)
    flat_white_line = lines.filter(has_text="Flat white")
    croissant_line = lines.filter(has_text="Butter croissant")
    expect(flat_white_line.locator(".line-name")).to_have_text("1 × Flat white")
    expect(flat_white_line.locator(".line-note")).to_contain_text("oat milk")
    expect(flat_white_line.locator(".status")).to_have_text("Ordered")
    expect(flat_white_line.locator(".line-price")).to_have_text(flat_white_price)
    expect(croissant_line.locator(".line-name")).to_have_text("1 × Butter croissant")
    expect(croissant_line.locator(".status")).to_have_text("Ordered")
    expect(croissant_line.locator(".line-price")).to_have_text(croissant_price)
    expect(phone.locator("[data-total]")).to_have_text(total_on_menu)
    shots(phone, "04-tab-ordered")

    # Proof that what happens next reaches this page without a reload.
    phone.evaluate("window.__noReload = 1")

    # -- the counter: log in, see the queue, one tap "Ready" ------------------------
    counter.goto("/staff/login")
    counter.get_by_label("Email").fill(cafe.staff.email)
    counter.get_by_label("Password").fill(PASSWORD)
    counter.get_by_role("button", name="Log in").tap()
    expect(counter).to_have_url(re.compile(r"/staff$"))
    queue = counter.locator(".queue-row")
    expect(queue).to_have_count(2)
    expect(queue.filter(has_text="1 × Flat white")).to_contain_text("Ana")
    expect(queue.filter(has_text="1 × Flat white")).to_contain_text("oat milk")
    expect(queue.filter(has_text="1 × Butter croissant")).to_contain_text("Ana")
    counter.evaluate("window.__noReload = 1")

    counter.get_by_role("button", name="Ready: 1 × Flat white for Ana").tap()
    expect(queue.filter(has_text="Flat white").locator(".status")).to_have_text(
        "Ready", timeout=LIVE_TIMEOUT_MS
    )

    # -- the phone hears about it, without a reload ---------------------------------
    expect(flat_white_line.locator(".status")).to_have_text("Ready", timeout=LIVE_TIMEOUT_MS)
    expect(croissant_line.locator(".status")).to_have_text("Ordered")
    assert phone.evaluate("window.__noReload") == 1
    # Said once, in the page: the banner, not a toast over it saying the same.
    expect(phone.locator("#ready-alert")).to_be_visible()
    expect(phone.locator("#ready-alert")).to_contain_text("Flat white is ready")
    expect(phone.locator("#toast")).to_be_hidden()
    expect(phone.locator("#live-status")).to_have_text("Flat white is ready")
    shots(phone, "05-tab-ready")

    # -- the bill, then "Pay at the counter" ----------------------------------------
    phone.get_by_role("link", name="I'm done — pay").tap()
    expect(phone.get_by_role("heading", name="Your bill")).to_be_visible()
    rows = phone.locator(".bill-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="1 × Flat white")).to_contain_text("oat milk")
    expect(rows.filter(has_text="1 × Flat white")).to_contain_text(flat_white_price)
    expect(rows.filter(has_text="1 × Butter croissant")).to_contain_text(croissant_price)
    expect(phone.locator(".bill-table tfoot")).to_contain_text(total_on_menu)
    shots(phone, "06-bill")

    phone.get_by_role("button", name=PAY_AT_THE_COUNTER).tap()
    expect(phone).to_have_url(re.compile(rf"/tab/{public_id}$"))
    banner = phone.locator(".banner-pay")
    expect(banner).to_contain_text("Pay at the counter")
    expect(banner).to_contain_text(total_on_menu)
    expect(phone.get_by_role("link", name="I'm done — pay")).to_have_count(0)
    shots(phone, "07-waiting-to-pay")

    # -- the counter sees it (it polls) and takes cash plus a tip -------------------
    waiting = counter.locator(".waiting-row")
    expect(waiting).to_contain_text("Ana", timeout=LIVE_TIMEOUT_MS)
    expect(waiting).to_contain_text(total_on_menu)
    assert counter.evaluate("window.__noReload") == 1
    shots(counter, "staff-counter")

    waiting.get_by_role("link", name="Take payment").tap()
    expect(counter.get_by_role("heading", name="Take payment")).to_be_visible()
    expect(counter.locator("[data-to-take]")).to_have_text(total_on_menu)
    counter.get_by_label("Tip (EUR)").fill("0.50")
    expect(counter.locator("[data-to-take]")).to_have_text(money(710))
    counter.get_by_role("button", name="Paid by cash").tap()
    expect(counter).to_have_url(re.compile(r"/staff$"))
    expect(counter.locator(".flash-success")).to_have_text("Paid: Ana, cash.")

    # -- the phone, untouched, ends on the receipt ----------------------------------
    expect(phone).to_have_url(re.compile(rf"/tab/{public_id}/receipt$"), timeout=LIVE_TIMEOUT_MS)
    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    receipt = phone.locator(".receipt .bill-table")
    expect(receipt.locator("tbody tr")).to_have_count(2)
    expect(receipt.locator("tfoot")).to_contain_text(total_on_menu)
    expect(receipt.locator("tfoot tr", has_text="Tip")).to_contain_text(money(50))
    expect(receipt.locator("tfoot tr", has_text="Paid by cash")).to_contain_text(money(710))
    shots(phone, "08-receipt")

    tab = in_app(paid_tab, public_id)
    assert tab.status == "paid"
    assert [(p.method, p.amount, p.tip) for p in tab.payments] == [("cash", 660, 50)]

    # -- every screen was saved; nothing went wrong in the pages --------------------
    names = [path.name for path in shots.saved]
    assert len(names) == 9, names
    for path in shots.saved:
        assert path.is_file() and path.stat().st_size > 0, path
    phone_problems.assert_none()
    counter_problems.assert_none()
