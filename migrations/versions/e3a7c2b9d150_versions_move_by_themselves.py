"""versions move by themselves: triggers on every table a live page shows

A tab's `version` and a shop's `live_version` and `settings_version` are what the
tab page, its poll, the bill and the counter compare to answer "nothing changed"
(live/__init__.py). Until now services moved them by hand; now the database does,
on every INSERT, UPDATE (bulk ones included) and DELETE:

- a row of a table that belongs to a tab (its lines, payments, pay requests,
  members, ratings, push subscriptions) moves that tab's version;
- any UPDATE of a tab that does not itself move the version moves it by one, and
  every change of a tab's version, a new tab and a deleted tab move its shop's
  live version (the counter);
- a row of a shop-wide table the counter shows (cards, staff, menu, push messages)
  moves the shop's live version;
- any UPDATE of a shop that moves none of its counters moves its settings version
  (this replaces the ORM hook that did so).

tests/test_live_versions.py enumerates the tables and proves each one is covered.
The NOTIFY triggers of 8c1d4e6f2a07 go: nothing listens any more (the versions are
read from the database by one indexed query; tab_watch.py is gone).

On SQLite, `batch_alter_table` copies a table and drops its triggers: a later
migration that batch-alters one of these tables must create them again (the
coverage test fails until it does).

Revision ID: e3a7c2b9d150
Revises: e3a7c2f9b1d5
Create Date: 2026-12-03 15:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a7c2b9d150"
down_revision = "e3a7c2f9b1d5"
branch_labels = None
depends_on = None

# Tables whose rows belong to a tab and show on its page, poll, bill or receipt.
TAB_TABLES = (
    "tab_lines",
    "payments",
    "pay_requests",
    "tab_members",
    "tab_ratings",
    "push_subscriptions",
    # Stamps earned and used: the bill and the receipt count them.
    "loyalty_stamps",
)
# Shop-wide tables whose rows show on the counter (a card's label, a barista's name,
# an undelivered notification) or are about to (the menu, for stations and options).
SHOP_TABLES = (
    "token_cards",
    "staff_members",
    "menu_categories",
    "menu_items",
    "option_groups",
    "option_choices",
    "item_option_groups",
    "push_messages",
)
# The shop's counters: an UPDATE that moves one of them is not a change of settings.
SHOP_COUNTERS = ("live_version", "settings_version", "last_receipt_number")


def _sqlite_triggers():
    def bump(table, column, where):
        return f"UPDATE {table} SET {column} = {column} + 1 WHERE {where};"

    tab = "tabs", "version"
    shop = "shops", "live_version"
    statements = []
    for table in TAB_TABLES:
        target = tab
        key = "tab_id"
        statements += _sqlite_row_triggers(table, target, key, bump)
    for table in SHOP_TABLES:
        statements += _sqlite_row_triggers(table, shop, "shop_id", bump)
    statements += [
        # Any change to a tab that did not move its version moves it.
        "CREATE TRIGGER live_tabs_touch AFTER UPDATE ON tabs"
        " WHEN NEW.version = OLD.version BEGIN " + bump("tabs", "version", "id = NEW.id") + " END",
        "CREATE TRIGGER live_tabs_update AFTER UPDATE ON tabs"
        " WHEN NEW.version <> OLD.version BEGIN "
        + bump(*shop, "id IN (NEW.shop_id, OLD.shop_id)")
        + " END",
        "CREATE TRIGGER live_tabs_insert AFTER INSERT ON tabs BEGIN "
        + bump(*shop, "id = NEW.shop_id")
        + " END",
        "CREATE TRIGGER live_tabs_delete AFTER DELETE ON tabs BEGIN "
        + bump(*shop, "id = OLD.shop_id")
        + " END",
        "CREATE TRIGGER live_shops_settings AFTER UPDATE ON shops WHEN "
        + " AND ".join(f"NEW.{c} = OLD.{c}" for c in SHOP_COUNTERS)
        + " BEGIN "
        + bump("shops", "settings_version", "id = NEW.id")
        + " END",
    ]
    return statements


def _sqlite_row_triggers(table, target, key, bump):
    return [
        f"CREATE TRIGGER live_{table}_insert AFTER INSERT ON {table} BEGIN "
        + bump(*target, f"id = NEW.{key}")
        + " END",
        f"CREATE TRIGGER live_{table}_update AFTER UPDATE ON {table} BEGIN "
        + bump(*target, f"id IN (NEW.{key}, OLD.{key})")
        + " END",
        f"CREATE TRIGGER live_{table}_delete AFTER DELETE ON {table} BEGIN "
        + bump(*target, f"id = OLD.{key}")
        + " END",
    ]


def _sqlite_trigger_names():
    names = [
        f"live_{t}_{op}" for t in TAB_TABLES + SHOP_TABLES for op in ("insert", "update", "delete")
    ]
    return names + [
        "live_tabs_touch",
        "live_tabs_update",
        "live_tabs_insert",
        "live_tabs_delete",
        "live_shops_settings",
    ]


def _postgresql_functions():
    def moved(target, column, key):
        # Row triggers, so a bulk UPDATE moves every tab (or shop) it touched.
        return f"""
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                UPDATE {target} SET {column} = {column} + 1 WHERE id = OLD.{key};
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.{key} IS DISTINCT FROM OLD.{key}) THEN
                UPDATE {target} SET {column} = {column} + 1 WHERE id = NEW.{key};
            END IF;
            RETURN NULL;
        END"""

    unchanged = " AND ".join(f"NEW.{c} = OLD.{c}" for c in SHOP_COUNTERS)
    return {
        "live_move_tab": moved("tabs", "version", "tab_id"),
        "live_move_shop": moved("shops", "live_version", "shop_id"),
        "live_tab_touched": """
        BEGIN
            IF NEW.version = OLD.version THEN
                NEW.version := OLD.version + 1;
            END IF;
            RETURN NEW;
        END""",
        "live_shop_touched": f"""
        BEGIN
            IF {unchanged} THEN
                NEW.settings_version := OLD.settings_version + 1;
            END IF;
            RETURN NEW;
        END""",
    }


def _postgresql_triggers():
    statements = []
    for table in TAB_TABLES:
        statements.append(
            f"CREATE TRIGGER live_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION live_move_tab()"
        )
    for table in SHOP_TABLES + ("tabs",):
        statements.append(
            f"CREATE TRIGGER live_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION live_move_shop()"
        )
    statements += [
        "CREATE TRIGGER live_tabs_touch BEFORE UPDATE ON tabs"
        " FOR EACH ROW EXECUTE FUNCTION live_tab_touched()",
        "CREATE TRIGGER live_shops_settings BEFORE UPDATE ON shops"
        " FOR EACH ROW EXECUTE FUNCTION live_shop_touched()",
    ]
    return statements


def _postgresql_trigger_names():
    names = [(f"live_{t}", t) for t in TAB_TABLES + SHOP_TABLES + ("tabs",)]
    return names + [("live_tabs_touch", "tabs"), ("live_shops_settings", "shops")]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # The announcements nobody listens to any more (tab_watch.py is gone).
        op.execute("DROP TRIGGER IF EXISTS shops_settings_changed ON shops")
        op.execute("DROP FUNCTION IF EXISTS tabby_shop_changed()")
        op.execute("DROP TRIGGER IF EXISTS tabs_deleted ON tabs")
        op.execute("DROP TRIGGER IF EXISTS tabs_version_changed ON tabs")
        op.execute("DROP FUNCTION IF EXISTS tabby_tab_changed()")
        for name, body in _postgresql_functions().items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$")
        for statement in _postgresql_triggers():
            op.execute(statement)
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table in _postgresql_trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in _postgresql_functions():
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        _restore_notify()
    else:
        for name in _sqlite_trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _restore_notify():
    """The triggers of 8c1d4e6f2a07, as they were."""
    op.execute(
        """
        CREATE FUNCTION tabby_tab_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('tabby_tab', OLD.public_id);
            ELSE
                PERFORM pg_notify('tabby_tab', NEW.public_id);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER tabs_version_changed AFTER UPDATE ON tabs FOR EACH ROW
        WHEN (OLD.version IS DISTINCT FROM NEW.version
              OR OLD.phone_id IS DISTINCT FROM NEW.phone_id
              OR OLD.public_id IS DISTINCT FROM NEW.public_id)
        EXECUTE FUNCTION tabby_tab_changed()
        """
    )
    op.execute(
        "CREATE TRIGGER tabs_deleted AFTER DELETE ON tabs FOR EACH ROW"
        " EXECUTE FUNCTION tabby_tab_changed()"
    )
    op.execute(
        """
        CREATE FUNCTION tabby_shop_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tabby_shop', NEW.id::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER shops_settings_changed AFTER UPDATE ON shops FOR EACH ROW
        WHEN (OLD.settings_version IS DISTINCT FROM NEW.settings_version)
        EXECUTE FUNCTION tabby_shop_changed()
        """
    )
