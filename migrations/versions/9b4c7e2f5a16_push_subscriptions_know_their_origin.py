"""push subscriptions know their origin

The push service's origin (scheme://host[:port]) of each subscription, so the
dispatcher can leave a slow or dead service's messages aside in its claim.

Revision ID: 9b4c7e2f5a16
Revises: 7d2e5b8a1c39
Create Date: 2026-12-03 13:00:00.000000

"""

from urllib.parse import urlsplit

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9b4c7e2f5a16"
down_revision = "7d2e5b8a1c39"
branch_labels = None
depends_on = None


def origin(endpoint: str) -> str:
    # As services.push.endpoint_origin; copied so the migration never changes.
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def upgrade():
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=300), server_default="", nullable=False)
        )
    subscriptions = sa.table(
        "push_subscriptions", sa.column("id", sa.Integer), sa.column("endpoint", sa.String),
        sa.column("origin", sa.String),
    )
    connection = op.get_bind()
    for row_id, endpoint in connection.execute(
        sa.select(subscriptions.c.id, subscriptions.c.endpoint)
    ).all():
        connection.execute(
            subscriptions.update()
            .where(subscriptions.c.id == row_id)
            .values(origin=origin(endpoint)[:300])
        )


def downgrade():
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("origin")
