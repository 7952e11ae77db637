"""menu options, allergens, dietary tags, photos and tax, snapshotted on tab lines

Revision ID: e3a9f1c7b2d5
Revises: b7e5c1d9a4f3
Create Date: 2026-12-03 15:40:00.000000

Columns are only added to existing tables (never altered), so SQLite keeps each table
as it is, with whatever triggers other migrations put on it.
"""

import sqlalchemy as sa
from alembic import op

revision = "e3a9f1c7b2d5"
down_revision = "b7e5c1d9a4f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "option_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("min_choices", sa.Integer(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "min_choices >= 0 AND min_choices <= max_choices AND max_choices >= 1 "
            "AND max_choices <= 20",
            name=op.f("ck_option_groups_choice_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_option_groups_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_groups")),
        sa.UniqueConstraint("shop_id", "name", name=op.f("uq_option_groups_shop_id_name")),
    )
    op.create_table(
        "option_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("price_delta", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_option_choices_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["option_groups.id"],
            name=op.f("fk_option_choices_group_id_option_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_choices")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_option_choices_group_id_name")),
    )
    op.create_index("ix_option_choices_shop_id", "option_choices", ["shop_id"])
    op.create_table(
        "item_option_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_item_option_groups_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["menu_items.id"],
            name=op.f("fk_item_option_groups_item_id_menu_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["option_groups.id"],
            name=op.f("fk_item_option_groups_group_id_option_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_option_groups")),
        sa.UniqueConstraint(
            "item_id", "group_id", name=op.f("uq_item_option_groups_item_id_group_id")
        ),
    )
    op.create_index("ix_item_option_groups_group_id", "item_option_groups", ["group_id"])

    op.add_column(
        "shops",
        sa.Column("prices_include_tax", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column("shops", sa.Column("tax_rate", sa.Integer(), server_default="0", nullable=False))
    op.add_column("menu_categories", sa.Column("tax_rate", sa.Integer(), nullable=True))
    op.add_column("menu_items", sa.Column("allergens", sa.String(length=200), nullable=True))
    op.add_column(
        "menu_items", sa.Column("tags", sa.String(length=200), server_default="", nullable=False)
    )
    op.add_column("menu_items", sa.Column("photo_key", sa.String(length=64), nullable=True))
    op.add_column("menu_items", sa.Column("tax_rate", sa.Integer(), nullable=True))
    op.add_column("tab_lines", sa.Column("options", sa.JSON(), nullable=True))
    op.add_column(
        "tab_lines", sa.Column("tax_rate", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "tab_lines",
        sa.Column("tax_included", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade():
    for table, column in (
        ("tab_lines", "tax_included"),
        ("tab_lines", "tax_rate"),
        ("tab_lines", "options"),
        ("menu_items", "tax_rate"),
        ("menu_items", "photo_key"),
        ("menu_items", "tags"),
        ("menu_items", "allergens"),
        ("menu_categories", "tax_rate"),
        ("shops", "tax_rate"),
        ("shops", "prices_include_tax"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
    op.drop_index("ix_item_option_groups_group_id", table_name="item_option_groups")
    op.drop_table("item_option_groups")
    op.drop_index("ix_option_choices_shop_id", table_name="option_choices")
    op.drop_table("option_choices")
    op.drop_table("option_groups")
