"""stamps given back once when a free item is taken back, push messages in the
phone's language, the regulars' index on closed tabs

Revision ID: f1b6d3a9c2e4
Revises: f5b2d8c3e6a4
Create Date: 2026-12-03 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1b6d3a9c2e4"
down_revision = "f5b2d8c3e6a4"
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('earned', 'redeemed')"
KINDS_AFTER = "kind IN ('earned', 'redeemed', 'returned')"


def _sqlite_stamp_triggers():
    """A batch on SQLite copies loyalty_stamps and drops its live triggers (migration
    e3a7c2b9d150): put them back, the same three."""
    bump = "UPDATE tabs SET version = version + 1 WHERE "
    return [
        "CREATE TRIGGER live_loyalty_stamps_insert AFTER INSERT ON loyalty_stamps BEGIN "
        + bump
        + "id = NEW.tab_id; END",
        "CREATE TRIGGER live_loyalty_stamps_update AFTER UPDATE ON loyalty_stamps BEGIN "
        + bump
        + "id IN (NEW.tab_id, OLD.tab_id); END",
        "CREATE TRIGGER live_loyalty_stamps_delete AFTER DELETE ON loyalty_stamps BEGIN "
        + bump
        + "id = OLD.tab_id; END",
    ]


def _stamps_table(add: bool):
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS live_loyalty_stamps_{name}")
    with op.batch_alter_table("loyalty_stamps", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loyalty_stamps_kind"), type_="check")
        if add:
            batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
            batch_op.create_unique_constraint(
                op.f("uq_loyalty_stamps_reverses_id"), ["reverses_id"]
            )
            batch_op.create_foreign_key(
                op.f("fk_loyalty_stamps_reverses_id_loyalty_stamps"),
                "loyalty_stamps",
                ["reverses_id"],
                ["id"],
                ondelete="CASCADE",
            )
            batch_op.create_check_constraint(op.f("ck_loyalty_stamps_kind"), KINDS_AFTER)
        else:
            batch_op.drop_constraint(
                op.f("fk_loyalty_stamps_reverses_id_loyalty_stamps"), type_="foreignkey"
            )
            batch_op.drop_constraint(op.f("uq_loyalty_stamps_reverses_id"), type_="unique")
            batch_op.drop_column("reverses_id")
            batch_op.create_check_constraint(op.f("ck_loyalty_stamps_kind"), KINDS_BEFORE)
    if sqlite:
        for statement in _sqlite_stamp_triggers():
            op.execute(statement)


def upgrade():
    _stamps_table(add=True)
    op.add_column(
        "push_subscriptions",
        sa.Column("language", sa.String(length=8), server_default="en", nullable=False),
    )
    op.create_index(
        "ix_tabs_shop_id_closed_at_phone_id_status",
        "tabs",
        ["shop_id", "closed_at", "phone_id", "status"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_tabs_shop_id_closed_at_phone_id_status", table_name="tabs")
    # A plain DROP COLUMN: a batch would copy the table and drop its live triggers.
    op.drop_column("push_subscriptions", "language")
    # Rows of the new kind go before the narrower check comes back.
    op.execute("DELETE FROM loyalty_stamps WHERE kind = 'returned'")
    _stamps_table(add=False)
