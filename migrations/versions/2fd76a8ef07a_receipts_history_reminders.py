"""receipts, history, reminders

Receipt numbers per shop (a counter on the shop, taken in the payment's transaction),
and the time staff last asked a tab to pay (the phone's in-page reminder).
Payments made before this get numbers in the order they were recorded.

Revision ID: 2fd76a8ef07a
Revises: ade1484aba62
Create Date: 2026-11-26 10:42:33.368378

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "2fd76a8ef07a"
down_revision = "ade1484aba62"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_number", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_payments_shop_id_receipt_number"), ["shop_id", "receipt_number"]
        )

    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_receipt_number", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("tabs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remind_requested_at", sa.DateTime(), nullable=True))

    op.execute(
        "UPDATE payments SET receipt_number = (SELECT COUNT(*) FROM payments AS earlier"
        " WHERE earlier.shop_id = payments.shop_id AND earlier.id <= payments.id)"
    )
    op.execute(
        "UPDATE shops SET last_receipt_number = (SELECT COUNT(*) FROM payments"
        " WHERE payments.shop_id = shops.id)"
    )


def downgrade():
    with op.batch_alter_table("tabs", schema=None) as batch_op:
        batch_op.drop_column("remind_requested_at")

    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("last_receipt_number")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_payments_shop_id_receipt_number"), type_="unique")
        batch_op.drop_column("receipt_number")
