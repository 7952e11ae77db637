"""trust that grows with paying (tab limits, walk-out deposit), idle reminders, stamp card

Revision ID: e3a7c2f9b1d5
Revises: e3a9f1c7b2d5
Create Date: 2026-12-03 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a7c2f9b1d5"
down_revision = "e3a9f1c7b2d5"
branch_labels = None
depends_on = None

TRUST_CHECK = (
    "(tab_limit_first IS NULL OR tab_limit_first >= 0) AND tab_limit_step >= 0"
    " AND (tab_limit_ceiling IS NULL OR tab_limit_ceiling >= 0)"
    " AND walkout_deposit >= 0"
)


def upgrade():
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tab_limit_first", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("tab_limit_step", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("tab_limit_ceiling", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("walkout_deposit", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("idle_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("loyalty_every", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("loyalty_categories", sa.Text(), server_default="", nullable=False)
        )
        batch_op.create_check_constraint(op.f("ck_shops_trust_not_negative"), TRUST_CHECK)
        batch_op.create_check_constraint(
            op.f("ck_shops_idle_minutes"), "idle_minutes IS NULL OR idle_minutes >= 1"
        )
        batch_op.create_check_constraint(
            op.f("ck_shops_loyalty_every"), "loyalty_every IS NULL OR loyalty_every >= 2"
        )

    with op.batch_alter_table("tabs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tab_limit", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("limit_raised_by", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("limit_raised_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("idle_reminded_at", sa.DateTime(), nullable=True))

    op.create_table(
        "loyalty_stamps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("phone_id", sa.String(length=43), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("tab_id", sa.Integer(), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("stamps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('earned', 'redeemed')", name=op.f("ck_loyalty_stamps_kind")),
        sa.CheckConstraint("stamps <> 0", name=op.f("ck_loyalty_stamps_stamps_not_zero")),
        sa.CheckConstraint(
            "phone_id IS NOT NULL OR card_id IS NOT NULL",
            name=op.f("ck_loyalty_stamps_has_holder"),
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["token_cards.id"],
            name=op.f("fk_loyalty_stamps_card_id_token_cards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_loyalty_stamps_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_stamps")),
    )
    op.create_index(
        "ix_loyalty_stamps_shop_id_card_id", "loyalty_stamps", ["shop_id", "card_id"], unique=False
    )
    op.create_index(
        "ix_loyalty_stamps_shop_id_phone_id",
        "loyalty_stamps",
        ["shop_id", "phone_id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_loyalty_stamps_shop_id_phone_id", table_name="loyalty_stamps")
    op.drop_index("ix_loyalty_stamps_shop_id_card_id", table_name="loyalty_stamps")
    op.drop_table("loyalty_stamps")
    with op.batch_alter_table("tabs", schema=None) as batch_op:
        batch_op.drop_column("idle_reminded_at")
        batch_op.drop_column("limit_raised_at")
        batch_op.drop_column("limit_raised_by")
        batch_op.drop_column("tab_limit")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_shops_loyalty_every"), type_="check")
        batch_op.drop_constraint(op.f("ck_shops_idle_minutes"), type_="check")
        batch_op.drop_constraint(op.f("ck_shops_trust_not_negative"), type_="check")
        batch_op.drop_column("loyalty_categories")
        batch_op.drop_column("loyalty_every")
        batch_op.drop_column("idle_minutes")
        batch_op.drop_column("walkout_deposit")
        batch_op.drop_column("tab_limit_ceiling")
        batch_op.drop_column("tab_limit_first")
        batch_op.drop_column("tab_limit_step")
