"""Ordering from the menu on a 360 px phone in real Chromium: an item with default
options in three taps from the card, and a large oat flat white with an extra shot
picked on its sheet, priced as it is picked and on the tab."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import load_tab
from tests.test_browser_loop import Problems

pytestmark = pytest.mark.browser

SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, **SMALL_PHONE)
    page = context.new_page()
    page.problems = Problems(page, "phone")
    yield page
    context.close()


def test_scan_to_a_first_order_with_default_options_is_three_taps(coffee, page, in_app):
    page.goto(f"/t/{coffee.table.code}")  # the scan
    page.get_by_role("button", name="Open my tab").tap()  # 1
    expect(page).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
    public_id = page.url.rsplit("/tab/", 1)[1]
    page.get_by_role("link", name="Add from menu").tap()  # 2
    page.get_by_role("button", name="Add · €3.80 – Flat white (Regular)").tap()  # 3
    expect(page.locator(".flash-success")).to_contain_text("Added 1 × Flat white (Regular)")
    # The menu comes back at the item, not at the top.
    expect(page).to_have_url(re.compile(rf"/menu#item-{coffee.flat_white.id}$"))
    [line] = load_tab(in_app, public_id).lines
    assert (line.name, line.unit_price) == ("Flat white (Regular)", 380)
    page.problems.assert_none()


def test_a_large_oat_flat_white_with_an_extra_shot_is_priced_as_it_is_picked(coffee, page, in_app):
    page.goto(f"/t/{coffee.table.code}")
    page.get_by_role("button", name="Open my tab").tap()
    expect(page).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
    public_id = page.url.rsplit("/tab/", 1)[1]
    page.goto(f"/tab/{public_id}/menu")
    page.get_by_role("link", name="Choose options for Flat white").tap()
    add = page.get_by_role("button", name=re.compile("^Add"))
    expect(add).to_have_text("Add · €3.80")
    page.locator("label.pill", has_text="Large").tap()
    page.locator("label.pill", has_text="Oat milk").tap()
    page.locator("label.pill", has_text="Extra shot").tap()
    expect(add).to_have_text("Add · €5.30")
    page.get_by_label("Quantity").fill("2")
    expect(add).to_have_text("Add · €10.60")
    add.tap()
    expect(page.locator(".flash-success")).to_contain_text(
        "Added 2 × Flat white (Large, Oat milk, Extra shot)"
    )
    page.locator(".sticky-bar a").tap()
    expect(page.locator("main")).to_contain_text("Flat white (Large, Oat milk, Extra shot)")
    expect(page.locator("main")).to_contain_text("€10.60")
    [line] = load_tab(in_app, public_id).lines
    assert (line.quantity, line.unit_price) == (2, 530)
    page.problems.assert_none()
