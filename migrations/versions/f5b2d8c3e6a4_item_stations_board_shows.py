"""items routed to stations, and what the ready board shows: an item's own station
overrides its category's; the owner chooses the board's detail

Revision ID: f5b2d8c3e6a4
Revises: c4d8e2f1a7b3
Create Date: 2026-12-03 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f5b2d8c3e6a4"
down_revision = "c4d8e2f1a7b3"
branch_labels = None
depends_on = None

# Shown on the counter and the station boards: it moves the shop's live version, as
# migration e3a7c2b9d150 does for the other shop-wide tables.
TABLE = "item_routes"


def upgrade():
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies the shops table, which
    # the live triggers of other tables name.
    op.add_column(
        "shops",
        sa.Column("board_shows", sa.String(length=10), nullable=False, server_default="where"),
    )
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("menu_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_item_routes_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_item_routes_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["menu_item_id"],
            ["menu_items.id"],
            name=op.f("fk_item_routes_menu_item_id_menu_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_routes")),
        sa.UniqueConstraint("menu_item_id", name=op.f("uq_item_routes_menu_item_id")),
    )
    op.create_index("ix_item_routes_station_id", TABLE, ["station_id"])
    op.create_index("ix_item_routes_shop_id", TABLE, ["shop_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER live_{TABLE} AFTER INSERT OR UPDATE OR DELETE ON {TABLE}"
            " FOR EACH ROW EXECUTE FUNCTION live_move_shop()"
        )
    else:
        bump = "UPDATE shops SET live_version = live_version + 1 WHERE {};"
        op.execute(
            f"CREATE TRIGGER live_{TABLE}_insert AFTER INSERT ON {TABLE} BEGIN "
            + bump.format("id = NEW.shop_id")
            + " END"
        )
        op.execute(
            f"CREATE TRIGGER live_{TABLE}_update AFTER UPDATE ON {TABLE} BEGIN "
            + bump.format("id IN (NEW.shop_id, OLD.shop_id)")
            + " END"
        )
        op.execute(
            f"CREATE TRIGGER live_{TABLE}_delete AFTER DELETE ON {TABLE} BEGIN "
            + bump.format("id = OLD.shop_id")
            + " END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS live_{TABLE} ON {TABLE}")
    else:
        for kind in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS live_{TABLE}_{kind}")
    op.drop_index("ix_item_routes_shop_id", table_name=TABLE)
    op.drop_index("ix_item_routes_station_id", table_name=TABLE)
    op.drop_table(TABLE)
    # SQLite drops a column in place since 3.35, leaving other tables' triggers be.
    op.drop_column("shops", "board_shows")
