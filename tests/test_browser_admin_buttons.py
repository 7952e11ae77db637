"""The back office's buttons in real Chromium: in a narrow table cell a button's words
wrap between words or not at all, never in the middle of one ("Chan-ge")."""

import pytest

from tests.helpers import logged_in_page
from tests.test_browser_loop import PHONE, TABLET

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["390", "1024"])
def test_the_staff_pages_buttons_never_break_a_word(browser, live_server, cafe, create_staff, size):
    for n in range(3):
        create_staff(cafe.shop, "staff", name=f"Barista with a rather long name {n}")
    page = logged_in_page(browser, live_server, cafe.owner, **size)
    try:
        page.goto("/admin/staff")
        lines = page.evaluate(
            """() => [...document.querySelectorAll('.admin-table .button')].map((button) => {
                const range = document.createRange();
                range.selectNodeContents(button);
                const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                return [button.textContent.trim(), tops.size];
            })"""
        )
    finally:
        page.context.close()
    assert lines and ["Change", 1] in lines
    assert all(count == 1 for _, count in lines), lines
