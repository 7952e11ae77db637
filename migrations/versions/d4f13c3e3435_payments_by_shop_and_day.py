"""payments indexed by shop and time, for a day's takings

Revision ID: d4f13c3e3435
Revises: 3549b6399cf9
Create Date: 2026-11-26 10:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4f13c3e3435'
down_revision = '3549b6399cf9'
branch_labels = None
depends_on = None


def upgrade():
    # (shop_id, created_at) answers everything the shop_id index did, and a day's
    # payments without reading the shop's whole history.
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_shop_id')
        batch_op.create_index(
            'ix_payments_shop_id_created_at', ['shop_id', 'created_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_shop_id_created_at')
        batch_op.create_index('ix_payments_shop_id', ['shop_id'], unique=False)
