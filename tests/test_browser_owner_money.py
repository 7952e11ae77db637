"""The owner's money in real Chromium: the overview and the day page, with their
charts, on a 390 px phone and a 1024 px tablet, light and dark: axe-clean, no
sideways scrolling, no CSP complaint, and the staff page's buttons never break a
word. With TABBY_SCREENSHOTS=1 the pages are saved for docs/screenshots."""

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import Payment, Tab, TabLine, TabRating
from models.base import utcnow
from tests.helpers import logged_in_page
from tests.test_accessibility import AXE_TAGS, RUN_AXE, SMALL_TARGETS, save_small_png
from tests.test_browser_loop import PHONE, TABLET, Problems

pytestmark = pytest.mark.browser

SIZES = {"390": PHONE, "1024": TABLET}


def history(in_app, cafe, days: int = 56) -> None:
    """Paid tabs and ratings on each of the last `days` days, so the 7- and 28-day
    charts have something to compare."""

    def build():
        now = utcnow()
        for n in range(1, days + 1):
            at = now - timedelta(days=n, hours=n % 5)
            tab = Tab(shop_id=cafe.shop.id, currency="EUR", status="paid", opened_at=at,
                      closed_at=at + timedelta(minutes=40), phone_id=f"phone-{n % 9}")  # fmt: skip
            db.session.add(tab)
            db.session.flush()
            quantity = 1 + (n * 7) % 5
            db.session.add(
                TabLine(
                    shop_id=cafe.shop.id,
                    tab_id=tab.id,
                    name="Flat white",
                    unit_price=380,
                    quantity=quantity,
                    status="served",
                    ordered_at=at,
                )  # fmt: skip
            )
            db.session.add(
                Payment(
                    shop_id=cafe.shop.id,
                    tab_id=tab.id,
                    method="card",
                    amount=380 * quantity,
                    tip=50,
                    currency="EUR",
                    created_at=at + timedelta(minutes=40),
                )  # fmt: skip
            )
            db.session.add(
                TabRating(
                    shop_id=cafe.shop.id,
                    tab_id=tab.id,
                    phone_id=tab.phone_id,
                    rating=3 + n % 3,
                    created_at=at + timedelta(minutes=41),
                )  # fmt: skip
            )

    in_app(build)
    assert in_app(lambda: len(db.session.execute(select(Payment.id)).all())) >= days


def owner_page(browser, live_server, member, size: str, scheme: str):
    page = logged_in_page(browser, live_server, member, color_scheme=scheme, **SIZES[size])
    assert page.url.endswith("/admin"), page.url
    return page


def check(page, width: int) -> list[str]:
    found = page.evaluate(RUN_AXE, AXE_TAGS)
    found += [f"tap target {t}" for t in page.evaluate(SMALL_TARGETS)]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        found.append(f"scrolls sideways: {scroll_width} px wide in a {width} px screen")
    return found


# The phone in light runs on every database (the charts' hours come from SQL); the
# other sizes and schemes only change how the same page looks.
@pytest.mark.parametrize(
    ("size", "scheme"),
    [
        ("390", "light"),
        pytest.param("390", "dark", marks=pytest.mark.screens),
        pytest.param("1024", "light", marks=pytest.mark.screens),
        pytest.param("1024", "dark", marks=pytest.mark.screens),
    ],
    ids=["390-light", "390-dark", "1024-light", "1024-dark"],
)
def test_the_overview_and_the_day_with_charts(
    browser, live_server, axe_source, money_day, in_app, output_dir, size, scheme
):
    history(in_app, money_day.cafe)
    page = owner_page(browser, live_server, money_day.cafe.owner, size, scheme)
    page.context.add_init_script(path=str(axe_source))
    problems = Problems(page, f"owner at {size} px")
    width = SIZES[size]["viewport"]["width"]
    shots = {}
    try:
        page.goto("/admin")
        assert page.locator("#figure-sales").inner_text() == "€15.60"
        found = {"overview": check(page, width)}
        shots["owner-overview"] = page.screenshot(full_page=True)

        page.goto("/admin/day")
        charts = page.locator("svg.chart-svg")
        assert charts.count() == 6  # sales and items by hour, 7 days, 28 days, owed, ratings
        for n in range(charts.count()):
            box = charts.nth(n).bounding_box()
            assert 0 < box["width"] <= width and box["height"] > 60, box
            assert charts.nth(n).locator("rect.bar").count() > 0
        # The numbers behind a chart open with one tap.
        page.locator("#chart-week summary").click()
        assert page.locator("#chart-week table tbody tr").count() == 7
        found["day"] = check(page, width)
        shots["owner-day"] = page.screenshot(full_page=True)
    finally:
        page.context.close()
    assert not {name: f for name, f in found.items() if f}, found
    problems.assert_none()
    if os.environ.get("TABBY_SCREENSHOTS") == "1":
        folder = output_dir / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in shots.items():
            save_small_png(data, folder / f"{name}-{size}-{scheme}.png")
