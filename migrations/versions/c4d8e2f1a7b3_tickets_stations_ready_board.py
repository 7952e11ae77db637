"""tickets, stations and the ready board: the counter's settings, the stations
categories go to, and the ready board's secret key

Revision ID: c4d8e2f1a7b3
Revises: e3a7c2b9d150
Create Date: 2026-12-03 16:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8e2f1a7b3"
down_revision = "e3a7c2b9d150"
branch_labels = None
depends_on = None

# Shown on the counter and the station boards: they move the shop's live version,
# as migration e3a7c2b9d150 does for the other shop-wide tables.
NEW_SHOP_TABLES = ("stations", "station_routes")


def upgrade():
    # Plain ADD COLUMNs, not a batch: on SQLite a batch copies the shops table, which
    # the live triggers of other tables name.
    op.add_column(
        "shops",
        sa.Column("preparing_step", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "shops", sa.Column("ticket_warn_minutes", sa.Integer(), nullable=False, server_default="5")
    )
    op.add_column(
        "shops",
        sa.Column("ticket_late_minutes", sa.Integer(), nullable=False, server_default="10"),
    )
    op.add_column("shops", sa.Column("board_key", sa.String(length=43), nullable=True))
    op.create_index("ix_shops_board_key", "shops", ["board_key"], unique=True)
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_stations_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("shop_id", "name", name=op.f("uq_stations_shop_id_name")),
    )
    op.create_table(
        "station_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_station_routes_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_routes_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_routes")),
        sa.UniqueConstraint(
            "shop_id", "category", name=op.f("uq_station_routes_shop_id_category")
        ),
    )
    op.create_index("ix_station_routes_station_id", "station_routes", ["station_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_SHOP_TABLES:
            op.execute(
                f"CREATE TRIGGER live_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION live_move_shop()"
            )
    else:
        bump = "UPDATE shops SET live_version = live_version + 1 WHERE {};"
        for table in NEW_SHOP_TABLES:
            op.execute(
                f"CREATE TRIGGER live_{table}_insert AFTER INSERT ON {table} BEGIN "
                + bump.format("id = NEW.shop_id")
                + " END"
            )
            op.execute(
                f"CREATE TRIGGER live_{table}_update AFTER UPDATE ON {table} BEGIN "
                + bump.format("id IN (NEW.shop_id, OLD.shop_id)")
                + " END"
            )
            op.execute(
                f"CREATE TRIGGER live_{table}_delete AFTER DELETE ON {table} BEGIN "
                + bump.format("id = OLD.shop_id")
                + " END"
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in NEW_SHOP_TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS live_{table} ON {table}")
        else:
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS live_{table}_{kind}")
    op.drop_index("ix_station_routes_station_id", table_name="station_routes")
    op.drop_table("station_routes")
    op.drop_table("stations")
    op.drop_index("ix_shops_board_key", table_name="shops")
    for column in ("board_key", "ticket_late_minutes", "ticket_warn_minutes", "preparing_step"):
        # SQLite drops a column in place since 3.35, leaving other tables' triggers be.
        op.drop_column("shops", column)
