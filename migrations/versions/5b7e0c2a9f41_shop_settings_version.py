"""shop settings version

A counter on the shop, moved by every change to its settings, so a tab page kept
from before a change (a new name, note or currency) is never served again.

Revision ID: 5b7e0c2a9f41
Revises: 2fd76a8ef07a
Create Date: 2026-12-02 14:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b7e0c2a9f41"
down_revision = "2fd76a8ef07a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settings_version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("settings_version")
