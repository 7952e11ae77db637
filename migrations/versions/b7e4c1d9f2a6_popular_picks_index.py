"""an index on tab lines by menu item and time, for the popular combinations of an
item's options on its sheet (and for menu items deleted: their lines are set to NULL)

Revision ID: b7e4c1d9f2a6
Revises: a9d3f7e1c264
Create Date: 2026-12-03 22:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e4c1d9f2a6"
down_revision = "a9d3f7e1c264"
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX: no table copy on SQLite, so the live triggers stay put.
    op.create_index(
        "ix_tab_lines_menu_item_id_ordered_at",
        "tab_lines",
        ["menu_item_id", "ordered_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_tab_lines_menu_item_id_ordered_at", table_name="tab_lines")
