"""The whole menu as one CSV file: CPU time to export a big menu, import it into an
empty shop, and import it again (every row matched, nothing new), in one process.

    .venv/bin/python bench/menu_csv.py                       # SQLite (a scratch file)
    .venv/bin/python bench/menu_csv.py --url postgresql://postgres@127.0.0.1:5432/tabby_x

Seeds a café with --items items in 12 categories, 8 option groups of 5 choices, each
item asking 3 groups, allergens and tags. The database named by --url is emptied and
migrated first: give it a scratch database.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import arguments, print_table, scratch_app, timed  # noqa: E402


def run(app, items: int) -> dict:
    from extensions import db
    from models import Shop
    from services import menu as menu_service
    from services import menu_csv, unit_of_work
    from services import options as options_service

    with app.app_context():
        with unit_of_work():
            shop = Shop(slug="bench", name="Bench Café", currency="EUR", locale="en_IE")
            empty = Shop(slug="empty", name="Empty Café", currency="EUR", locale="en_IE")
            db.session.add_all([shop, empty])
            db.session.flush()
            for n in range(12):
                menu_service.add_category(shop, f"Category {n}")
            groups = []
            for g in range(8):
                group = options_service.save_group(shop, None, f"Group {g}", "many", "3")
                for c in range(5):
                    options_service.save_choice(group, None, f"Choice {g}.{c}", 10 * c, False)
                groups.append(group)
            for i in range(items):
                item = menu_service.save_item(
                    shop,
                    None,
                    name=f"Item {i}",
                    description="A long enough description of what this is.",
                    price=250 + i,
                    category=f"Category {i % 12}",
                    available=True,
                    sort=i,
                )
                menu_service.save_details(item, ["milk", "nuts"], ["vegetarian"], None)
                asked = {groups[(i + k) % 8].id: k for k in range(3)}
                options_service.set_item_groups(item, asked)
        shop_id, empty_id = shop.id, empty.id
        text, export_ms = timed(lambda: menu_csv.export_text(db.session.get(Shop, shop_id)))

        def import_into(target_id):
            with unit_of_work():
                return menu_csv.import_menu(db.session.get(Shop, target_id), text.encode())

        _, first_ms = timed(lambda: import_into(empty_id))
        _, again_ms = timed(lambda: import_into(empty_id))
        same = menu_csv.export_text(db.session.get(Shop, empty_id)) == text
    return {
        "rows": text.count("\r\n") - 1,
        "file KB": round(len(text.encode()) / 1024, 1),
        "export, CPU ms": round(export_ms),
        "import into an empty shop, CPU ms": round(first_ms),
        "import again (nothing new), CPU ms": round(again_ms),
        "round trip gives the same file": same,
    }


def main():
    args = arguments(__doc__, items=300)
    with scratch_app(args.url, "menu-csv") as app:
        result = run(app, args.items)
    print_table(f"Menu file ({args.items} items)", "", result)


if __name__ == "__main__":
    main()
