"""A New York café in real Chromium: a large oat latte with an extra shot (not the
latte's defaults, a regular with nothing added) ordered in three taps from the menu
through its sheet's quick pick, priced with 8.875 % added on the tab, the counter and
the receipt, with the receipt's tax lines; and in one tap the next time."""

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import MenuItem, Shop
from services import options as options_service
from tests.helpers import load_tab, logged_in_page, open_tab, order
from tests.test_browser_loop import Problems

pytestmark = pytest.mark.browser

SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
LATTE = "Latte (Large, Oat milk, Extra shot)"


@pytest.fixture
def new_york(make_shop, create_item, app):
    """$4.20 latte, regular by default; large +0.50, oat milk +0.40, a shot +0.60."""
    cafe = make_shop(currency="USD", locale="en_US", timezone="America/New_York")
    cafe.latte = create_item(cafe.shop, "Latte", 420, category="Coffee")
    with app.app_context():
        shop = db.session.get(Shop, cafe.shop.id)
        shop.prices_include_tax, shop.tax_rate = False, 8875
        size = options_service.save_group(shop, None, "Size", "one")
        milk = options_service.save_group(shop, None, "Milk", "optional")
        extras = options_service.save_group(shop, None, "Extras", "many", "2")
        cafe.choices = {}
        for group, choices in (
            (size, [("Regular", 0, True), ("Large", 50, False)]),
            (milk, [("Oat milk", 40, False), ("Soy milk", 40, False)]),
            (extras, [("Extra shot", 60, False), ("Syrup", 50, False)]),
        ):
            for name, delta, default in choices:
                choice = options_service.save_choice(group, None, name, delta, default)
                cafe.choices[name] = choice.id
        cafe.groups = {g.name: g.id for g in (size, milk, extras)}
        latte = db.session.get(MenuItem, cafe.latte.id)
        options_service.set_item_groups(latte, {size.id: 1, milk.id: 2, extras.id: 3})
        db.session.commit()
    return cafe


@pytest.fixture
def regulars_had_it(new_york, new_client):
    """Two customers this week ordered their latte large, with oat milk and a shot."""
    for _ in range(2):
        other = new_client()
        public_id = open_tab(other, new_york.table)
        choices = {
            f"option-{new_york.groups['Size']}": new_york.choices["Large"],
            f"option-{new_york.groups['Milk']}": new_york.choices["Oat milk"],
            "options": [new_york.choices["Extra shot"]],
        }
        assert order(other, public_id, new_york.latte, **choices).status_code == 303


def test_a_large_oat_latte_with_a_shot_is_taxed_on_the_tab_counter_and_receipt(
    new_york, regulars_had_it, browser, live_server, in_app
):
    context = browser.new_context(base_url=live_server, **SMALL_PHONE)
    phone = context.new_page()
    phone.problems = Problems(phone, "phone")
    phone.goto(f"/t/{new_york.table.code}")  # the scan
    phone.get_by_role("button", name="Open my tab").click()
    expect(phone).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
    tab_url = phone.url
    phone.get_by_role("link", name="Add from menu").click()
    # From the menu: three taps.
    phone.get_by_role("link", name="Choose options for Latte").tap()  # 1
    add = phone.get_by_role("button", name=re.compile("^Add"))
    expect(add).to_have_text("Add · $4.20")
    phone.get_by_role("link", name="Large, Oat milk, Extra shot · $5.70").tap()  # 2
    expect(add).to_have_text("Add · $5.70")
    add.tap()  # 3
    expect(phone.locator(".flash-success")).to_contain_text(f"Added 1 × {LATTE}")
    # The next one is a single tap on the menu: the phone's usual.
    expect(phone.locator("[data-usual]")).to_have_text("As last time: Large, Oat milk, Extra shot")
    expect(phone.get_by_role("button", name=f"Add · $5.70 – {LATTE}")).to_be_visible()

    # The tab: $5.70 of prices, $0.51 of tax added, $6.21 to pay.
    phone.goto(tab_url)
    expect(phone.locator("main")).to_contain_text(LATTE)
    expect(phone.locator("[data-total]")).to_have_text("$6.21")
    expect(phone.locator("[data-tax-note]")).to_have_text(
        "Includes tax of $0.51 added to the menu prices."
    )

    # The counter asks the same, and staff take it.
    staff = logged_in_page(browser, live_server, new_york.staff, **SMALL_PHONE)
    expect(staff.locator("main")).to_contain_text("$6.21")
    tab = load_tab(in_app, tab_url.rsplit("/tab/", 1)[1])
    assert (tab.total, tab.tax.tax) == (621, 51)
    staff.goto(f"/staff/tabs/{tab.id}")
    expect(staff.locator("[data-tax-added]")).to_have_text("$0.51")
    staff.get_by_role("button", name="Paid by cash").click()

    # The phone's open tab moves to the receipt by itself, with its tax lines.
    expect(staff.locator(".flash-success")).to_be_visible()
    expect(phone).to_have_url(f"{tab_url}/receipt")
    receipt = phone.locator(".receipt")
    expect(receipt.locator("[data-subtotal]")).to_have_text("$5.70")
    expect(receipt.locator('[data-tax-added="8.875"]')).to_have_text("$0.51")
    expect(receipt).to_contain_text("$6.21")
    expect(receipt.locator('[data-tax-table] tr[data-rate="8.875"] td')).to_have_text(
        ["$5.70", "$0.51", "$6.21"]
    )
    phone.problems.assert_none()
    staff.context.close()
    context.close()
