"""The counter's tickets under a busy shop: CPU per poll and per bump, in one process.

    .venv/bin/python bench/counter.py                       # SQLite (a scratch file)
    .venv/bin/python bench/counter.py --url postgresql://postgres@127.0.0.1:5432/tabby_x

Seeds a café with two stations (Bar makes the coffee, Kitchen the food), 200 open
tabs and 300 lines in play (every other tab of the first 200 orders food too), logs a
barista in, then times with Flask's test client (CPU time, no HTTP): the counter's
poll and each station board's poll, with their tickets kept and with every ticket
drawn afresh; unchanged polls (304) of the counter, the Bar's board and the ready
board; the public ready board's poll after a change; and a bump
(one ticket's lines ready, with its recall outside the timing). The database named by
--url is emptied and migrated first: give it a scratch database.
"""

import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import (  # noqa: E402
    CSRF_META,
    arguments,
    bench_shop,
    cpu_ms,
    print_table,
    scratch_app,
    signed_in,
)

JSON = {"Accept": "application/json"}


def seed(app, tabs: int, lines: int) -> dict:
    from extensions import db
    from models import MenuItem, Station, StationRoute, Tab, TabLine
    from models.base import utcnow

    with app.app_context():
        shop, staff = bench_shop("staff", "Barista")
        coffee = MenuItem(shop_id=shop.id, name="Flat white", price=380, category="Coffee")
        toast = MenuItem(shop_id=shop.id, name="Toast", price=300, category="Food")
        bar, kitchen = (
            Station(shop_id=shop.id, name="Bar"),
            Station(shop_id=shop.id, name="Kitchen", sort=1),
        )
        db.session.add_all([coffee, toast, bar, kitchen])
        db.session.flush()
        db.session.add_all(
            [
                StationRoute(shop_id=shop.id, station_id=bar.id, category="Coffee"),
                StationRoute(shop_id=shop.id, station_id=kitchen.id, category="Food"),
            ]
        )
        start = utcnow() - timedelta(minutes=30)
        made = 0
        for n in range(tabs):
            tab = Tab(shop_id=shop.id, currency="EUR", customer_name=f"Guest {n}", opened_at=start)
            db.session.add(tab)
            db.session.flush()
            items = [coffee] + ([toast] if n < lines - tabs else [])
            for item in items:
                db.session.add(
                    TabLine(
                        shop_id=shop.id,
                        tab_id=tab.id,
                        menu_item_id=item.id,
                        name=item.name,
                        unit_price=item.price,
                        ordered_at=start + timedelta(seconds=5 * n),
                    )
                )
                made += 1
        shop.board_key = "bench-board-key"
        db.session.commit()
        return {"bar": bar.id, "kitchen": kitchen.id, "email": staff.email, "lines": made}


def run(app, tabs: int, lines: int, times: int) -> dict:
    seeded = seed(app, tabs, lines)
    barista = signed_in(app, seeded["email"])
    page = barista.get("/staff").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    kept = app.extensions["counter_rows"]

    def poll(path):
        def call():
            response = barista.get(path, headers=JSON)
            assert response.status_code == 200, response.status_code

        return call

    def drawn(path):
        def call():
            kept.clear()
            poll(path)()

        return call

    counter = "/staff/live"
    bar = f"/staff/stations/{seeded['bar']}/live"
    kitchen = f"/staff/stations/{seeded['kitchen']}/live"
    etags = {}

    def unchanged(client, path):
        def call():
            if path not in etags:  # the board as it stands after the bumps and recalls
                etags[path] = client.get(path, headers=JSON).headers["ETag"]
            response = client.get(path, headers={**JSON, "If-None-Match": etags[path]})
            assert response.status_code == 304

        return call

    board = app.test_client()
    ready = "/board/bench-board-key/live"

    def ready_board():
        assert board.get(ready).status_code == 200

    tickets = barista.get(counter, headers=JSON).json["ticket_ids"]
    html = barista.get(counter, headers=JSON).json["html"]
    ticket_lines = {
        int(key): [int(i) for i in re.findall(r'name="line" value="(\d+)"', body)]
        for key, body in re.findall(r'data-ticket="(\d+)"(.*?)</ol>\s*</li>', html, re.S)
    }
    bumps = []
    for key in tickets[:times]:
        ids = ticket_lines.get(key) or [key]
        started = time.process_time()
        response = barista.post(
            "/staff/tickets/bump", data={"csrf_token": token, "line": ids}, headers=JSON
        )
        bumps.append((time.process_time() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
        barista.post("/staff/tickets/recall", data={"csrf_token": token, "line": ids}, headers=JSON)

    result = {
        "lines in play": seeded["lines"],
        "counter poll, tickets kept": cpu_ms(poll(counter), times),
        "counter poll, every ticket drawn": cpu_ms(drawn(counter), times),
        "Bar board poll, tickets kept": cpu_ms(poll(bar), times),
        "Bar board poll, every ticket drawn": cpu_ms(drawn(bar), times),
        "Kitchen board poll, tickets kept": cpu_ms(poll(kitchen), times),
        "counter poll, unchanged (304)": cpu_ms(unchanged(barista, counter), times * 5),
        "Bar board poll, unchanged (304)": cpu_ms(unchanged(barista, bar), times * 5),
        "ready board poll": cpu_ms(ready_board, times),
        "ready board poll, unchanged (304)": cpu_ms(unchanged(board, ready), times * 5),
        "bump one ticket (POST)": statistics.median(bumps),
    }
    # The ready board with something on it: 20 more tickets bumped and left ready.
    for key in tickets[times : times + 20]:
        ids = ticket_lines.get(key) or [key]
        barista.post("/staff/tickets/bump", data={"csrf_token": token, "line": ids}, headers=JSON)
    result["ready board poll, 20 tabs ready"] = cpu_ms(ready_board, times)
    return result


def main():
    args = arguments(__doc__, tabs=200, lines=300, times=20)
    with scratch_app(args.url, "counter") as app:
        result = run(app, args.tabs, args.lines, args.times)
    print_table(f"Request ({args.tabs} open tabs)", "CPU ms", result, digits=2)


if __name__ == "__main__":
    main()
