"""The payment panel in real Chromium: the counter (a tablet) takes what the phone
asked for, tip included, with the change worked out as staff type; the tip reaches
the phone's receipt. Walking out asks first, quoting the reason."""

import re

import pytest
from playwright.sync_api import expect

from tests.test_browser_loop import LIVE_TIMEOUT_MS, PAY_AT_THE_COUNTER, TABLET
from tests.test_browser_paying import context, load, open_and_order, staff_on_tab  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_tip_the_customer_chose_reaches_the_receipt(cafe, context, in_app):  # noqa: F811
    phone, phone_problems = context()
    counter, counter_problems = context(TABLET)
    public_id = open_and_order(phone, cafe, "Ana", "Add Flat white")
    phone.get_by_role("link", name="I'm done — pay").tap()
    phone.locator("label.pill", has_text="15%").tap()
    phone.get_by_role("button", name=PAY_AT_THE_COUNTER).tap()
    expect(phone.locator(".banner-pay")).to_contain_text("€3.80 + tip €0.57")

    staff_on_tab(counter, cafe.staff, public_id, in_app)
    panel = counter.locator("#payment")
    expect(panel).to_contain_text("Tip the customer chose: €0.57")
    expect(counter.get_by_label("Tip (EUR)")).to_have_value("0.57")
    expect(panel.locator("[data-to-take]")).to_have_text("€4.37")
    counter.get_by_label("Cash given (EUR, optional)").fill("10")
    expect(panel.locator("[data-change]")).to_have_text("€5.63")
    counter.get_by_role("button", name="Paid by cash").tap()
    expect(counter.locator(".flash-success")).to_have_text(
        "Paid: Ana, cash. Give back €5.63 in change."
    )

    expect(phone).to_have_url(re.compile(rf"/tab/{public_id}/receipt$"), timeout=LIVE_TIMEOUT_MS)
    expect(phone.locator(".receipt tfoot tr", has_text="Tip")).to_contain_text("€0.57")
    expect(phone.locator(".receipt tfoot tr", has_text="Paid by cash")).to_contain_text("€4.37")
    assert [(p.amount, p.tip, p.method) for p in load(in_app, public_id).payments] == [
        (380, 57, "cash")
    ]
    phone_problems.assert_none()
    counter_problems.assert_none()


def test_walking_out_asks_first_quoting_the_reason(cafe, context, in_app):  # noqa: F811
    phone, _ = context()
    counter, counter_problems = context(TABLET)
    public_id = open_and_order(phone, cafe, "Ana", "Add Flat white")
    staff_on_tab(counter, cafe.staff, public_id, in_app)

    counter.get_by_label("Left without paying? Say what happened").fill("Left by the back door")
    counter.get_by_role("button", name="Mark walked out").tap()
    dialog = counter.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Mark Ana walked out, owing €3.80?")
    expect(dialog).to_contain_text("Left by the back door")
    dialog.get_by_role("button", name="Cancel").tap()
    expect(dialog).to_be_hidden()
    assert load(in_app, public_id).status == "open"

    counter.get_by_role("button", name="Mark walked out").tap()
    dialog.get_by_role("button", name="Yes, mark walked out").tap()
    expect(counter).to_have_url(re.compile(r"/staff$"))
    expect(counter.locator(".flash-success")).to_have_text("Marked walked out: Ana.")
    tab = load(in_app, public_id)
    assert (tab.status, tab.close_reason) == ("walked_out", "Left by the back door")
    counter_problems.assert_none()
