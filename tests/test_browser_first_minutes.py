"""A customer's first minutes on a 360 × 740 phone, in real Chromium: the bill leads
with what is owed, the tip and one pay button that says the amount; Back after paying
leads to the receipt, never to a live-looking old bill; a paid tab's menu says so; a
long unbroken note never makes a page scroll sideways; every refusal offers a way on."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, open_tab, order
from tests.pay_helpers import tab_id_of
from tests.test_browser_loop import LIVE_TIMEOUT_MS, Problems
from tests.test_browser_paying import open_and_order

pytestmark = pytest.mark.browser

SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
NOTE = "x" * 140  # no space for the browser to wrap at


@pytest.fixture
def phone(browser, live_server):
    made = []

    def make(**options):
        context = browser.new_context(base_url=live_server, **{**SMALL_PHONE, **options})
        made.append(context)
        page = context.new_page()
        return page, Problems(page, f"phone {len(made)}")

    yield make
    for context in made:
        context.close()


def on_first_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def pay(staff_client, in_app, public_id: str, amount: str):
    """The counter takes the bill in cash (a second device: here the test client)."""
    tab_id = tab_id_of(in_app, public_id)
    staff_client.get(f"/staff/tabs/{tab_id}")
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": amount, "tip": ""}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture
def counter_on_a_phone(browser, live_server):
    """The counter screen on a 360 px phone, logged in through the form."""
    made = []

    def make(member):
        context = browser.new_context(base_url=live_server, **SMALL_PHONE)
        made.append(context)
        page = context.new_page()
        page.goto("/staff/login")
        page.get_by_label("Email").fill(member.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").tap()
        expect(page).to_have_url(re.compile(r"/staff$"))
        return page

    yield make
    for context in made:
        context.close()


# -- the bill's first screen -----------------------------------------------------------


def test_the_bills_first_screen_shows_the_amount_the_tips_and_the_pay_button(cafe, phone):
    page, problems = phone()
    open_and_order(page, cafe, "Ana", "Add Flat white", "Add Butter croissant")
    page.get_by_role("link", name="I'm done — pay").tap()

    due = page.locator("[data-due]")
    button = page.locator(".pay-button")
    expect(due).to_have_text("€6.60")
    expect(button).to_have_accessible_name("Pay €6.60 at the counter")
    for locator in (due, page.locator(".tips"), button):
        assert on_first_screen(locator), locator
    expect(page.get_by_label("Other tip (EUR)")).to_be_hidden()

    page.locator("label.pill", has_text="10%").tap()
    expect(button).to_have_accessible_name("Pay €7.26 at the counter")
    page.locator("label.pill", has_text="Other").tap()
    other = page.get_by_label("Other tip (EUR)")
    expect(other).to_be_visible()
    expect(other).to_be_focused()
    expect(button).to_have_accessible_name("Pay €6.60 + tip at the counter")
    page.locator("label.pill", has_text="No tip").tap()
    expect(other).to_be_hidden()
    expect(button).to_have_accessible_name("Pay €6.60 at the counter")

    # The satisfaction check is there without scrolling, in words, and one tap sends it.
    good = page.locator(".rating label.pill", has_text="Good")
    assert on_first_screen(good)
    good.tap()
    expect(page.locator("[data-rating-status]")).to_contain_text("You rated us 4 of 5")
    # "Something wasn't right?" is one quiet question, not one under every line.
    expect(page.locator("summary", has_text="Something wasn't right?")).to_have_count(1)
    problems.assert_none()


def test_without_javascript_the_pay_button_never_shows_a_wrong_amount(cafe, phone):
    page, _ = phone(java_script_enabled=False)
    open_and_order(page, cafe, "Ana", "Add Flat white", "Add Butter croissant")
    page.get_by_role("link", name="I'm done — pay").tap()
    button = page.locator(".pay-button")
    expect(button).to_have_accessible_name("Pay €6.60 at the counter")
    expect(page.get_by_label("Other tip (EUR)")).to_be_hidden()

    page.locator("label.pill", has_text="15%").tap()
    expect(button).to_have_accessible_name("Pay at the counter")
    page.locator("label.pill", has_text="Other").tap()
    expect(page.get_by_label("Other tip (EUR)")).to_be_visible()
    page.locator("label.pill", has_text="15%").tap()
    button.tap()
    expect(page.locator(".banner-pay")).to_contain_text("€6.60 + tip €0.99 = €7.59")


@pytest.mark.screens
def test_im_done_pay_stays_on_one_line(cafe, phone):
    page, _ = phone()
    open_and_order(page, cafe, "Ana", "Add Flat white")
    link = page.get_by_role("link", name="I'm done — pay")
    lines = link.evaluate(
        """el => { const range = document.createRange(); range.selectNodeContents(el);
          return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""
    )
    assert lines == 1
    assert scroll_width(page) <= 360


# -- no dead ends ------------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_back_after_paying_leads_to_the_receipt(
    app, cafe, phone, staff_client, in_app, monkeypatch, javascript
):
    # Pages kept from before must not wait for their next poll to find out: with polls
    # ten minutes apart, only the check made on coming back can save the day.
    monkeypatch.setitem(app.config, "POLL_INTERVAL_MS", 600_000)
    page, problems = phone(java_script_enabled=javascript)
    public_id = open_and_order(page, cafe, "Ana", "Add Flat white", "Add Butter croissant")
    page.get_by_role("link", name="I'm done — pay").tap()
    expect(page.locator("[data-due]")).to_have_text("€6.60")
    page.locator(".pay-button").tap()
    expect(page.locator(".banner-pay")).to_be_visible()

    pay(staff_client, in_app, public_id, "6.60")
    page.reload()
    receipt = re.compile(rf"/tab/{public_id}/receipt$")
    expect(page).to_have_url(receipt)

    # Back, twice, quickly: the browser shows its kept copies (the tab waiting to pay,
    # then the bill); each gives way to the receipt at once, or without JavaScript its
    # buttons lead there.
    for _ in range(2):
        page.go_back()
        if javascript:
            expect(page).to_have_url(receipt)
            expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
        elif page.locator(".pay-button").count():
            page.locator(".pay-button").tap()
            expect(page).to_have_url(receipt)
            expect(page.locator(".flash")).to_contain_text("This tab is already paid.")
    if javascript:
        problems.assert_none()


def test_a_paid_tabs_menu_says_it_is_paid_and_leads_to_the_receipt(
    cafe, phone, staff_client, in_app
):
    page, problems = phone()
    public_id = open_and_order(page, cafe, "Cleo", "Add Flat white")
    page.get_by_role("link", name="I'm done — pay").tap()
    pay(staff_client, in_app, public_id, "3.80")
    expect(page).to_have_url(re.compile(r"/receipt$"), timeout=LIVE_TIMEOUT_MS)

    page.goto(f"/tab/{public_id}/menu")
    notice = page.locator("[data-tab-closed]")
    expect(notice).to_contain_text("This tab is paid")
    expect(page.get_by_text("I want to order more")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Add "))).to_have_count(0)
    assert on_first_screen(notice)
    notice.get_by_role("link", name="See my receipt").tap()
    expect(page).to_have_url(re.compile(rf"/tab/{public_id}/receipt$"))
    problems.assert_none()


# -- long text -----------------------------------------------------------------------------


@pytest.mark.screens
def test_a_long_unbroken_note_scrolls_no_page_sideways(cafe, phone, counter_on_a_phone):
    page, problems = phone()
    public_id = open_and_order(page, cafe, "Ana")
    page.get_by_role("link", name="Add from menu").tap()
    note = page.get_by_label("Note for Flat white")
    note.fill(NOTE)
    expect(page.locator(f"#note-{cafe.flat_white.id}-left")).to_have_text("0 characters left")
    page.get_by_role("button", name="Add Flat white").tap()
    expect(page.locator(".flash-success")).to_be_visible()
    assert scroll_width(page) <= 360

    page.goto(f"/tab/{public_id}")
    expect(page.locator(".line-note")).to_contain_text(NOTE)
    assert scroll_width(page) <= 360
    page.goto(f"/tab/{public_id}/bill")
    expect(page.locator("#bill-table")).to_contain_text(NOTE)
    assert scroll_width(page) <= 360

    counter = counter_on_a_phone(cafe.staff)
    expect(counter.locator(".queue")).to_contain_text(NOTE)
    assert scroll_width(counter) <= 360
    problems.assert_none()


def test_the_note_box_counts_down_and_says_when_pasted_text_was_cut(cafe, phone):
    page, problems = phone()
    open_and_order(page, cafe, "Ana")
    page.get_by_role("link", name="Add from menu").tap()
    note = page.get_by_label("Note for Flat white")
    left = page.locator(f"#note-{cafe.flat_white.id}-left")

    note.press_sequentially("oat")
    expect(left).to_have_text("137 characters left")
    note.fill("")
    note.focus()
    page.evaluate(
        """text => {
            const box = document.activeElement;
            const data = new DataTransfer();
            data.setData("text", text);
            box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
            box.value = text.slice(0, 140);
            box.dispatchEvent(
              new InputEvent("input", {inputType: "insertFromPaste", bubbles: true}));
        }""",
        "y" * 200,
    )
    cut = note.locator("xpath=following-sibling::*[contains(@class, 'chars-cut')]")
    expect(cut).to_have_text(
        "That was 200 characters; only the first 140 fit, so the rest was left out."
    )
    expect(left).to_have_text("0 characters left")
    assert note.get_attribute("maxlength") == "140"
    note.press("Backspace")
    expect(cut).to_have_text("")
    expect(left).to_have_text("1 character left")
    problems.assert_none()


# -- refusals ------------------------------------------------------------------------------


def test_each_refusal_page_has_a_way_onward(cafe, create_card, phone, new_client):
    ana_client = new_client()
    ana = open_tab(ana_client, cafe.personal, "Ana")
    order(ana_client, ana, cafe.flat_white)
    revoked = create_card(cafe.shop, "table", "Table 9", active=False)

    page, _ = phone()  # (each refusal is a 4xx, which the console reports)
    page.goto(f"/t/{cafe.table.code}")
    page.get_by_role("button", name="Open my tab").tap()
    expect(page).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
    own = page.url.rsplit("/tab/", 1)[1]
    refusals = [
        (f"/tab/{ana}", "Not your tab", f"/tab/{own}"),
        (f"/t/{cafe.personal.code}", "This card is in use", f"/tab/{own}"),
        (f"/t/{revoked.code}", "This card is no longer in use", f"/tab/{own}"),
        ("/t/no-such-card", "We don't know this code", f"/tab/{own}"),
        ("/join/no-such-invitation", "invitation doesn't work", f"/tab/{own}"),
        (f"/tab/{own}/pay", "That action isn't possible here", f"/tab/{own}"),
        ("/no/such/page", "There is nothing here", f"/tab/{own}"),
    ]
    for path, words, onward in refusals:
        page.goto(path)
        expect(page.locator("main")).to_contain_text(words)
        if not path.startswith(("/t/no-such", "/join/no-such", "/no/")):
            expect(page.locator(".shop-header")).to_contain_text(cafe.shop.name)
        way = page.locator("[data-onward]")
        expect(way).to_have_count(1)
        assert on_first_screen(way), path
        assert scroll_width(page) <= 360
        way.tap()
        expect(page).to_have_url(re.compile(re.escape(onward) + "$"))
        expect(page.get_by_role("heading", name="My tab")).to_be_visible()
