"""cash-ups: the drawer counted against what the till recorded, with who and when

Revision ID: b7e5c1d9a4f3
Revises: 9b4c7e2f5a16
Create Date: 2026-12-03 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e5c1d9a4f3"
down_revision = "9b4c7e2f5a16"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cash_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("counted_at", sa.DateTime(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opening_float", sa.Integer(), nullable=False),
        sa.Column("cash_bills", sa.Integer(), nullable=False),
        sa.Column("cash_tips", sa.Integer(), nullable=False),
        sa.Column("cash_deposits_taken", sa.Integer(), nullable=False),
        sa.Column("cash_given_back", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("opening_float >= 0", name=op.f("ck_cash_ups_float_not_negative")),
        sa.CheckConstraint("counted >= 0", name=op.f("ck_cash_ups_counted_not_negative")),
        sa.CheckConstraint("counted_at >= starts_at", name=op.f("ck_cash_ups_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_cash_ups_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_cash_ups_staff_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["cash_ups.id"],
            name=op.f("fk_cash_ups_replaces_id_cash_ups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_ups")),
        sa.UniqueConstraint("shop_id", "number", name=op.f("uq_cash_ups_shop_id_number")),
    )
    op.create_index(
        "ix_cash_ups_shop_id_counted_at", "cash_ups", ["shop_id", "counted_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_cash_ups_shop_id_counted_at", table_name="cash_ups")
    op.drop_table("cash_ups")
