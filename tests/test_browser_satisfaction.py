"""The satisfaction check in real Chromium: a customer rates the visit with one tap and
says a line wasn't right; the counter sees it at once, staff comp it, and the
customer's open bill shows the new total without a reload."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import TabRating
from tests.test_browser_loop import LIVE_TIMEOUT_MS, PAY_AT_THE_COUNTER, PHONE, TABLET
from tests.test_browser_paying import context, load, open_and_order, staff_on_tab  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_flagged_line_comped_at_the_counter_updates_the_open_bill(cafe, context, in_app):  # noqa: F811
    phone, phone_problems = context(PHONE)
    counter, counter_problems = context(TABLET)
    public_id = open_and_order(phone, cafe, "Ana", "Add Flat white", "Add Butter croissant")

    phone.get_by_role("link", name="I'm done — pay").tap()
    expect(phone.get_by_role("heading", name="Your bill")).to_be_visible()
    expect(phone.locator("[data-bill-total]")).to_have_text("€6.60")

    # One tap rates the visit, in words; nothing else is needed to pay.
    phone.locator(".rating label.pill", has_text="Good").tap()
    expect(phone.locator("[data-rating-status]")).to_contain_text("You rated us 4 of 5")

    # The counter is open on its live screen when the customer flags the croissant.
    staff_on_tab(counter, cafe.staff, public_id, in_app)
    counter.goto("/staff")
    phone.locator("summary", has_text="Something wasn't right?").tap()
    phone.get_by_label(re.compile("What wasn't right with the Butter croissant")).fill("Stale")
    phone.get_by_role("button", name="Tell the staff about the Butter croissant").tap()
    expect(phone.locator(".flagged-note")).to_contain_text("they're on it")

    attention = counter.locator(".attention")
    expect(attention).to_contain_text("1 × Butter croissant", timeout=LIVE_TIMEOUT_MS)
    expect(attention).to_contain_text("Stale")
    attention.get_by_role("link", name="Sort it out").tap()
    row = counter.locator("tr.flagged-row")
    row.get_by_label(re.compile("Reason for Butter croissant")).fill("Stale croissant")
    row.get_by_role("button", name="Comp").tap()
    expect(counter.locator(".flash-success")).to_contain_text("on the house")

    # The bill page, never reloaded, follows: the croissant is off and the due is less.
    expect(phone.locator("[data-bill-total]")).to_have_text("€3.80", timeout=LIVE_TIMEOUT_MS)
    expect(phone.locator("[data-due]")).to_have_text("€3.80")
    expect(phone.locator("#bill-table")).to_contain_text("On the house: Stale croissant")
    expect(phone.locator('[data-tip-amount="10"]')).to_have_text("€0.38")

    phone.get_by_role("button", name=PAY_AT_THE_COUNTER).tap()
    expect(phone.locator(".banner-pay")).to_contain_text("Your bill is €3.80")
    tab = load(in_app, public_id)
    assert tab.total == 380
    assert in_app(lambda: db.session.scalar(select(TabRating.rating))) == 4
    phone_problems.assert_none()
    counter_problems.assert_none()
