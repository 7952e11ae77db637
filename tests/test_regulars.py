"""The owner's "Who has been paying": per phone, tabs paid, walk-outs and the limit
now, 50 phones to a page with a "More" link; the page costs the same few statements
for a shop with 3 closed tabs as for one with thousands, and the counts come from
the index on the shop's closed tabs per phone."""

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from extensions import db
from models import Shop, Tab
from models.base import new_code, utcnow
from models.tab import PAID, WALKED_OUT
from services import trust
from tests.helpers import visible_text
from tests.pay_helpers import set_shop
from tests.test_query_counts import statements


def close_tabs(in_app, cafe, phone_id: str, statuses: list[str], name: str = "") -> None:
    """Closed tabs for one phone, oldest first, in the given statuses."""
    now = utcnow()

    def make():
        for n, status in enumerate(statuses):
            db.session.add(
                Tab(
                    shop_id=cafe.shop.id,
                    currency="EUR",
                    phone_id=phone_id,
                    customer_name=name,
                    status=status,
                    opened_at=now - timedelta(hours=len(statuses) - n, minutes=30),
                    closed_at=now - timedelta(hours=len(statuses) - n),
                )
            )

    in_app(make)


def many_phones(in_app, cafe, phones: int, tabs_each: int) -> None:
    now = utcnow()

    def make():
        rows = []
        for p in range(phones):
            phone_id = new_code()
            for n in range(tabs_each):
                rows.append(
                    Tab(
                        shop_id=cafe.shop.id,
                        currency="EUR",
                        phone_id=phone_id,
                        customer_name=f"Guest {p}" if n == 0 else "",
                        status=WALKED_OUT if (p + n) % 7 == 0 else PAID,
                        opened_at=now - timedelta(days=n, hours=1),
                        closed_at=now - timedelta(days=n),
                    )
                )
        db.session.add_all(rows)

    in_app(make)


def rows_on(page: str) -> int:
    return page.count('<td data-label="Tabs paid">')


@pytest.fixture
def owner(cafe, login, in_app):
    set_shop(in_app, cafe.shop, tab_limit_first=500, tab_limit_step=400, walkout_deposit=300)
    return login(cafe.owner)


def test_counts_and_limit_follow_the_phones_tabs(cafe, owner, in_app):
    close_tabs(in_app, cafe, new_code(), [PAID, WALKED_OUT, PAID, PAID], "Ana")
    close_tabs(in_app, cafe, new_code(), [PAID, WALKED_OUT], "Bo")
    page = visible_text(owner.get("/admin/settings/trust").get_data(as_text=True))
    ana = page.split("Ana · Phone", 1)[1].split("Bo · Phone", 1)[0]
    assert ana.split()[1:4] == ["3", "1", "€13.00"]  # 2 paid since the walk-out
    bo = page.split("Bo · Phone", 1)[1]
    assert bo.split()[1:7] == ["1", "1", "€5.00", "·", "deposit", "required"]


def test_a_busy_shop_shows_fifty_phones_a_page_with_more(cafe, owner, in_app):
    many_phones(in_app, cafe, phones=120, tabs_each=3)
    first = owner.get("/admin/settings/trust").get_data(as_text=True)
    assert rows_on(first) == 50
    assert 'rel="next"' in first and "page=2" in first
    third = owner.get("/admin/settings/trust?page=3").get_data(as_text=True)
    assert rows_on(third) == 20
    assert 'rel="next"' not in third and 'rel="prev"' in third
    beyond = owner.get("/admin/settings/trust?page=9").get_data(as_text=True)
    assert rows_on(beyond) == 0
    assert "No more phones." in visible_text(beyond)


@pytest.mark.parametrize("page", ["0", "-1", "x", "1e9", "9" * 40])
def test_a_bad_page_is_refused(owner, page):
    assert owner.get(f"/admin/settings/trust?page={page}").status_code == 400


def test_the_page_costs_the_same_for_3_tabs_or_3000(app, make_shop, login, in_app):
    costs = []
    for phones, tabs_each in ((1, 3), (300, 10)):
        shop = make_shop()
        many_phones(in_app, shop, phones, tabs_each)
        owner = login(shop.owner)
        owner.get("/admin/settings/trust")
        with statements(app) as sent:
            response = owner.get("/admin/settings/trust")
        assert response.status_code == 200
        costs.append(len(sent))
    assert costs[0] == costs[1], f"{costs[0]} statements for 3 tabs, {costs[1]} for 3000"


def test_phones_not_seen_in_90_days_wait_while_a_regulars_whole_history_counts(cafe, owner, in_app):
    old_timer, gone = new_code(), new_code()
    close_tabs(in_app, cafe, gone, [PAID], "Gone")
    close_tabs(in_app, cafe, old_timer, [PAID] * 3, "Dee")

    def age(phone_id, days):
        for tab in db.session.query(Tab).filter_by(phone_id=phone_id):
            tab.closed_at -= timedelta(days=days)

    in_app(age, gone, 120)
    in_app(age, old_timer, 200)
    close_tabs(in_app, cafe, old_timer, [PAID], "Dee")  # and back this week
    page = visible_text(owner.get("/admin/settings/trust").get_data(as_text=True))
    assert "Gone" not in page
    assert page.split("Dee · Phone", 1)[1].split()[1:3] == ["4", "0"]
    assert "Phones seen in the last 90 days" in page


def test_every_count_is_read_through_an_index(app, cafe, in_app):
    """What the database plans for the page's statements when it may not scan a table."""
    many_phones(in_app, cafe, phones=20, tabs_each=5)
    with app.app_context():
        captured: list[tuple] = []

        def keep(conn, cursor, statement, parameters, context, executemany):
            if "GROUP BY" in statement:
                captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            trust.regulars(db.session.get(Shop, cafe.shop.id))
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert len(captured) == 3
        connection = db.session.connection()
        plans = []
        for statement, parameters in captured:
            if db.engine.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL enable_seqscan = off"))
                plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
                plans.append(" ".join(row[0] for row in plan))
            else:
                plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans.append(" ".join(row[-1] for row in plan))
        db.session.rollback()
        dialect = db.engine.dialect.name
    for plan in plans:
        assert "Seq Scan on tabs" not in plan, plan
        assert "SCAN tabs " not in plan + " " and "SCAN TABLE tabs " not in plan + " ", plan
    # PostgreSQL's planner may pick any of the tabs' indexes for a small table; the
    # point is that none of the statements scans the table.
    if dialect == "sqlite":
        assert "ix_tabs_shop_id_closed_at_phone_id_status" in plans[0]
    else:
        assert "Index" in plans[0], plans[0]
