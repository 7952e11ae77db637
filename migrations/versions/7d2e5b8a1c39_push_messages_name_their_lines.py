"""push messages name their lines

A "ready" message keeps the ids of the lines it names, so the next one names only
lines its phone has not been told about yet.

Revision ID: 7d2e5b8a1c39
Revises: 3f6a9c1d2b84
Create Date: 2026-12-03 12:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7d2e5b8a1c39"
down_revision = "3f6a9c1d2b84"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("push_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_ids", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("push_messages", schema=None) as batch_op:
        batch_op.drop_column("line_ids")
