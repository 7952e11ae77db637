"""The counter as a barista uses it, in real Chromium on a tablet, a big screen and a
phone: tickets arrive live, a line and a whole ticket are bumped, a bump is recalled,
the number keys and Enter work as a bump bar, each station sees its own lines, and
the ready board in the room shows a name and clears it once served."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, open_tab

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 6000  # the pages poll every 500 ms in tests
SCREENS = {
    "tablet": {"viewport": {"width": 1024, "height": 768}, "has_touch": True},
    "big-screen": {"viewport": {"width": 1920, "height": 1080}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def ordered(phone, public_id, item, note=""):
    response = phone.post_json(
        f"/tab/{public_id}/order", {"item_id": item.id, "quantity": 1, "note": note}
    )
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def shop_with_stations(cafe, login):
    """Bar makes the coffee, Kitchen the food; the ready board is on. Returns the
    station ids and the board's address."""
    owner = login(cafe.owner)
    for name in ("Bar", "Kitchen"):
        owner.post_form("/admin/counter/stations", {"name": name})
    owner.post_form("/admin/counter/board", {"action": "open"})
    html = owner.get("/admin/counter").get_data(as_text=True)
    ids = {
        n: int(i) for i, n in re.findall(r'<option value="(\d+)"[^>]*>(Bar|Kitchen)</option>', html)
    }
    owner.post_form(
        "/admin/counter/routes",
        {"category": ["Coffee", "Food"], "station": [ids["Bar"], ids["Kitchen"]]},
    )
    return ids, re.search(r'href="https?://[^"/]+(/board/[A-Za-z0-9_-]+)"', html)[1]


def no_sideways_scroll(page):
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


# The tablet runs on every database; the other sizes only change how the board looks.
@pytest.mark.parametrize(
    "screen",
    [s if s == "tablet" else pytest.param(s, marks=pytest.mark.screens) for s in SCREENS],
    ids=list(SCREENS),
)
def test_tickets_bump_recall_and_reach_the_stations_and_the_ready_board(
    browser, live_server, cafe, new_client, shop_with_stations, screen, output_dir
):
    folder = output_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    stations, board_path = shop_with_stations
    context = browser.new_context(base_url=live_server, **SCREENS[screen])
    counter = context.new_page()
    counter.goto("/staff/login")
    counter.fill("#email", cafe.staff.email)
    counter.fill("#password", PASSWORD)
    with counter.expect_navigation():
        counter.click("button[type=submit]")
    expect(counter.get_by_text("Nothing to prepare.")).to_be_visible()
    bar = context.new_page()
    bar.goto(f"/staff/stations/{stations['Bar']}")
    room = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 720})
    board = room.new_page()
    board.goto(board_path)
    expect(board.get_by_text("Nothing waiting to be collected.")).to_be_visible()

    # Ana's phone sends a coffee and a croissant: one ticket, live, with her table.
    ana = new_client()
    ana_tab = open_tab(ana, cafe.table, "Ana")
    ordered(ana, ana_tab, cafe.flat_white, "oat milk")
    ordered(ana, ana_tab, cafe.croissant)
    ben = new_client()
    ordered(ben, open_tab(ben, cafe.personal, "Ben"), cafe.flat_white)

    tickets = counter.locator(".ticket")
    expect(tickets).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    anas = tickets.filter(has_text="Ana")
    expect(anas.locator(".queue-row")).to_have_count(2)
    expect(anas).to_contain_text("Table 1")
    expect(anas).to_contain_text("oat milk")
    expect(counter.locator(".count-to-make .count")).to_have_text("3")
    # Tickets flow across a wide screen and stack on a phone.
    first, second = (tickets.nth(i).bounding_box() for i in (0, 1))
    if screen == "phone":
        assert second["y"] > first["y"] + first["height"] - 1
    else:
        assert abs(second["y"] - first["y"]) < 1
    no_sideways_scroll(counter)
    counter.screenshot(path=str(folder / f"counter-tickets-{screen}.png"))

    # The bar sees only the coffees; tapping Ana's makes it ready.
    expect(bar.locator(".queue-row")).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(bar.locator(".ticket")).not_to_contain_text(["Butter croissant"])
    bar.get_by_role("button", name="Ready: 1 × Flat white for Ana").click()
    expect(anas.locator(".queue-row.line-ready")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

    # The bump bar: "1" selects the oldest ticket (Ana's), Enter bumps the rest of it.
    counter.keyboard.press("1")
    expect(anas.locator("[data-ticket-bump]")).to_be_focused()
    counter.keyboard.press("Enter")
    expect(anas.locator(".queue-row.line-ready")).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(counter.locator(".count-ready .count")).to_have_text("2")

    # The room is told: Ana's name, no prices.
    expect(board.locator(".ready-entry")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(board.locator(".ready-entry")).to_contain_text("Ana")
    expect(board.locator("#ready-body")).not_to_contain_text("€")
    if screen == "tablet":
        board.screenshot(path=str(folder / "ready-board.png"))
        bar.screenshot(path=str(folder / "station-bar-tablet.png"))

    # Undo within the minute: back to making, and off the board.
    anas.get_by_role("button", name=re.compile("^Undo")).click()
    expect(anas.locator(".queue-row.line-ordered")).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(board.get_by_text("Nothing waiting to be collected.")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )

    # One tap on the header bumps the whole ticket; the next hands it over.
    anas.get_by_role("button", name=re.compile("^Bump: all ready for Ana")).click()
    expect(anas.get_by_role("button", name=re.compile("^Hand over to Ana"))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    expect(board.locator(".ready-entry")).to_contain_text("Ana", timeout=LIVE_TIMEOUT_MS)
    anas.get_by_role("button", name=re.compile("^Hand over to Ana")).click()
    expect(tickets).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(board.get_by_text("Nothing waiting to be collected.")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    no_sideways_scroll(counter)
    context.close()
    room.close()
