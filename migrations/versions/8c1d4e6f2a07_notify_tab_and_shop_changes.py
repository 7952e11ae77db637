"""tell listeners when a tab or a shop's settings change (PostgreSQL)

Triggers send NOTIFY tabby_tab (the tab's public id) when a tab's version or owner
changes or the tab is deleted, and NOTIFY tabby_shop (the shop's id) when a shop's
settings version moves. Each web process keeps the tab versions its phones ask
about in memory and drops one the moment it hears of a change (tab_watch.py).
A NOTIFY is delivered only when its transaction commits. SQLite has no such
channel; processes there read the version from the database every time.

Revision ID: 8c1d4e6f2a07
Revises: 5b7e0c2a9f41
Create Date: 2026-12-02 15:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "8c1d4e6f2a07"
down_revision = "5b7e0c2a9f41"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
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


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS shops_settings_changed ON shops")
    op.execute("DROP FUNCTION IF EXISTS tabby_shop_changed()")
    op.execute("DROP TRIGGER IF EXISTS tabs_deleted ON tabs")
    op.execute("DROP TRIGGER IF EXISTS tabs_version_changed ON tabs")
    op.execute("DROP FUNCTION IF EXISTS tabby_tab_changed()")
