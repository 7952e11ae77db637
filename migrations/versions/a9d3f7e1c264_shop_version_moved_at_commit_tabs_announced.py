"""the shop's live version moves at commit; tab and settings changes are announced
(PostgreSQL)

Two changes to the triggers of e3a7c2b9d150, on PostgreSQL only (SQLite has one
writer at a time and no NOTIFY: nothing changes there):

- **The shop's live version moves at commit.** The row triggers that move
  `shops.live_version` (every tab, and every shop-wide row the counter shows) ran
  at the first write of a transaction, so the shop's row stayed locked until the
  transaction ended: two orders in one shop waited for each other's whole
  transaction (bench/shop_lock.py measured it). They become constraint triggers,
  DEFERRABLE INITIALLY DEFERRED: they fire at commit, and the lock lasts from there
  to the end of the commit. The version still moves in the same transaction as the
  change, so no reader sees one without the other. A new shop-wide table copies
  this form (`CREATE CONSTRAINT TRIGGER ... DEFERRABLE INITIALLY DEFERRED`).
- **Changes are announced** (as 8c1d4e6f2a07 did, for live/version_cache.py):
  `NOTIFY tabby_tab, '<public id>'` on every UPDATE or DELETE of a tab (every
  UPDATE moves its version), `NOTIFY tabby_shop, '<shop id>'` when a shop's
  settings version moves. Each also notes, in the transaction's own setting
  `tabby.changed_tabs`, which tabs it changed (`*`: possibly all), so the process
  that commits can drop them at once without waiting for its own announcement.
  A NOTIFY is delivered only when its transaction commits.

Revision ID: a9d3f7e1c264
Revises: f1b6d3a9c2e4
Create Date: 2026-12-03 19:00:00.000000

"""

from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = "a9d3f7e1c264"
down_revision = "f1b6d3a9c2e4"
branch_labels = None
depends_on = None

# Past this many characters of noted public ids, the note says "all" instead.
NOTE_LIMIT = 20000

FUNCTIONS = {
    "live_tab_announced": f"""
    DECLARE
        public_id text := CASE WHEN TG_OP = 'DELETE' THEN OLD.public_id ELSE NEW.public_id END;
        noted text := coalesce(current_setting('tabby.changed_tabs', true), '');
    BEGIN
        PERFORM pg_notify('tabby_tab', coalesce(public_id, ''));
        IF TG_OP = 'UPDATE' AND OLD.public_id IS DISTINCT FROM NEW.public_id THEN
            PERFORM pg_notify('tabby_tab', coalesce(OLD.public_id, ''));
            noted := '*';
        ELSIF noted = '*' OR strpos(noted, ' ' || public_id || ' ') > 0 THEN
            RETURN NULL;
        ELSIF length(noted) > {NOTE_LIMIT} THEN
            noted := '*';
        ELSIF noted = '' THEN
            noted := ' ' || public_id || ' ';
        ELSE
            noted := noted || public_id || ' ';
        END IF;
        PERFORM set_config('tabby.changed_tabs', noted, true);
        RETURN NULL;
    END""",
    "live_shop_announced": """
    BEGIN
        PERFORM pg_notify('tabby_shop', NEW.id::text);
        PERFORM set_config('tabby.changed_tabs', '*', true);
        RETURN NULL;
    END""",
}
ANNOUNCEMENTS = (
    "CREATE TRIGGER live_tabs_announce AFTER UPDATE OR DELETE ON tabs"
    " FOR EACH ROW EXECUTE FUNCTION live_tab_announced()",
    "CREATE TRIGGER live_shops_announce AFTER UPDATE ON shops FOR EACH ROW"
    " WHEN (OLD.settings_version IS DISTINCT FROM NEW.settings_version)"
    " EXECUTE FUNCTION live_shop_announced()",
)


def _shop_movers(bind) -> list[tuple[str, str]]:
    """(trigger, table) for every trigger of this schema that moves a shop's live
    version: the tables of e3a7c2b9d150 and of every later migration alike."""
    rows = bind.execute(
        text(
            "SELECT t.tgname, c.relname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_proc p ON p.oid = t.tgfoid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE p.proname = 'live_move_shop' AND NOT t.tgisinternal"
            " AND n.nspname = current_schema()"
            " ORDER BY c.relname"
        )
    )
    return [(name, table) for name, table in rows]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, table in _shop_movers(bind):
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " DEFERRABLE INITIALLY DEFERRED"
            " FOR EACH ROW EXECUTE FUNCTION live_move_shop()"
        )
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$")
    for statement in ANNOUNCEMENTS:
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS live_shops_announce ON shops")
    op.execute("DROP TRIGGER IF EXISTS live_tabs_announce ON tabs")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for name, table in _shop_movers(bind):
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION live_move_shop()"
        )
