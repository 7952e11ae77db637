"""Paying afterwards in real Chromium: a phone alone pays in at most 3 taps from its
tab page; two phones share a tab and each pays for its own items. The counter (a
tablet) takes each payment; the phones land on their receipts by themselves."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Tab
from tests.helpers import PASSWORD
from tests.test_browser_loop import LIVE_TIMEOUT_MS, PAY_AT_THE_COUNTER, PHONE, TABLET, Problems

pytestmark = pytest.mark.browser


class Taps:
    """Counts what the customer taps, so the test can hold the flow to its promise."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator):
        self.count += 1
        locator.tap()


@pytest.fixture
def context(browser, live_server):
    made = []

    def make(kind=PHONE):
        ctx = browser.new_context(base_url=live_server, **kind)
        made.append(ctx)
        page = ctx.new_page()
        return page, Problems(page, f"page {len(made)}")

    yield make
    for ctx in made:
        ctx.close()


def open_and_order(page, cafe, name, *buttons):
    page.goto(f"/t/{cafe.table.code}")
    page.get_by_label("Your first name").fill(name)
    page.get_by_role("button", name="Open my tab").tap()
    expect(page).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
    public_id = page.url.rsplit("/tab/", 1)[1]
    order(page, *buttons)
    return public_id


def order(page, *buttons):
    page.get_by_role("link", name="Add from menu").tap()
    for button in buttons:
        page.get_by_role("button", name=button).tap()
        expect(page.locator(".flash-success")).to_be_visible()
    page.locator(".sticky-bar a").tap()


def staff_on_tab(page, member, public_id, in_app):
    tab_id = in_app(lambda: db.session.scalar(select(Tab.id).where(Tab.public_id == public_id)))
    page.goto("/staff/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()
    expect(page).to_have_url(re.compile(r"/staff$"))
    page.goto(f"/staff/tabs/{tab_id}")


def load(in_app, public_id):
    return in_app(
        lambda: db.session.execute(
            select(Tab)
            .where(Tab.public_id == public_id)
            .options(selectinload(Tab.payments), selectinload(Tab.lines))
        ).scalar_one()
    )


def test_a_phone_alone_pays_in_three_taps_from_its_tab(cafe, context, in_app):
    phone, phone_problems = context()
    counter, counter_problems = context(TABLET)
    public_id = open_and_order(phone, cafe, "Ana", "Add Flat white", "Add Butter croissant")
    expect(phone.get_by_role("heading", name="My tab")).to_be_visible()

    taps = Taps()
    taps(phone.get_by_role("link", name="I'm done — pay"))
    expect(phone.get_by_role("heading", name="Your bill")).to_be_visible()
    taps(phone.locator("label.pill", has_text="15%"))
    taps(phone.get_by_role("button", name=PAY_AT_THE_COUNTER))

    banner = phone.locator(".banner-pay")
    expect(banner).to_contain_text("Your bill is €6.60 + tip €0.99 = €7.59")
    assert taps.count <= 3

    staff_on_tab(counter, cafe.staff, public_id, in_app)
    expect(counter.locator("[data-to-take]")).to_have_text("€7.59")
    counter.get_by_role("button", name="Paid by card").tap()
    expect(counter.locator(".flash-success")).to_contain_text("Paid: Ana, card.")

    expect(phone).to_have_url(re.compile(rf"/tab/{public_id}/receipt$"), timeout=LIVE_TIMEOUT_MS)
    expect(phone.locator(".receipt tfoot tr", has_text="Tip")).to_contain_text("€0.99")
    tab = load(in_app, public_id)
    assert tab.status == "paid"
    assert [(p.amount, p.tip, p.method) for p in tab.payments] == [(660, 99, "card")]
    phone_problems.assert_none()
    counter_problems.assert_none()


def test_two_phones_share_a_tab_and_each_pays_its_own_items(cafe, context, in_app):
    ana, ana_problems = context()
    ben, ben_problems = context()
    counter, counter_problems = context(TABLET)
    public_id = open_and_order(ana, cafe, "Ana", "Add Flat white")

    # Ana shows the join code; Ben opens its link and joins.
    ana.get_by_role("link", name="Invite friends to this tab").tap()
    ana.get_by_role("button", name="Show a join code").tap()
    expect(ana.locator("svg.qr")).to_be_visible()
    link = ana.locator("[data-invite-link]").get_attribute("href")
    ben.goto(link)
    ben.get_by_label("Your first name").fill("Ben")
    ben.get_by_role("button", name="Join the tab").tap()
    expect(ben).to_have_url(re.compile(rf"/tab/{public_id}$"))
    order(ben, "Add Butter croissant", "Add Butter croissant")

    ana.goto(f"/tab/{public_id}")
    expect(ana.locator("#tab-body")).to_contain_text("Shared with Ben")
    expect(ana.locator("[data-total]")).to_have_text("€9.40")

    # Each asks to pay their own items: Ana with 10%, Ben without a tip.
    for page, tip in ((ana, "10%"), (ben, None)):
        taps = Taps()
        taps(page.get_by_role("link", name="I'm done — pay"))
        expect(page.locator("label.pill", has_text="My items")).to_have_class(re.compile("pill"))
        expect(page.get_by_role("radio", name=re.compile("My items"))).to_be_checked()
        if tip:
            taps(page.locator("label.pill", has_text=tip))
        taps(page.get_by_role("button", name=PAY_AT_THE_COUNTER))
        assert taps.count <= 3
    expect(ana.locator(".banner-pay")).to_contain_text("€3.80 + tip €0.38")
    expect(ben.locator(".banner-pay")).to_contain_text("Your bill is €5.60")

    # The counter takes each one's part.
    staff_on_tab(counter, cafe.staff, public_id, in_app)
    counter.get_by_role("link", name=re.compile("Ben")).tap()
    expect(counter.locator("[data-pay-form]")).to_have_attribute("data-payer", "Ben")
    counter.get_by_role("button", name="Paid by cash").tap()
    expect(counter.locator(".flash-success")).to_contain_text("Still owed: €3.80")
    expect(counter.locator("[data-pay-form]")).to_have_attribute("data-payer", "Ana")
    counter.get_by_role("button", name="Paid by card").tap()
    expect(counter.locator(".flash-success")).to_contain_text("Paid:")

    for page in (ana, ben):
        expect(page).to_have_url(re.compile(rf"/tab/{public_id}/receipt$"), timeout=LIVE_TIMEOUT_MS)
    tab = load(in_app, public_id)
    assert tab.status == "paid"
    assert sorted((p.share, p.amount, p.tip, p.method) for p in tab.payments) == [
        ("phone", 380, 38, "card"),
        ("phone", 560, 0, "cash"),
    ]
    assert sum(p.amount for p in tab.payments) == tab.total == 940
    for problems in (ana_problems, ben_problems, counter_problems):
        problems.assert_none()
