"""owner back office: menu categories, archived items, closing time, session epoch

The session epoch starts at 0 for existing logins; their sessions end once, at the
upgrade, because the login id in the session now carries the epoch.

Revision ID: 1ceb3ec731db
Revises: 596dee06d1af
Create Date: 2026-11-26 09:53:20.404386

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1ceb3ec731db'
down_revision = '596dee06d1af'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('menu_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_menu_categories_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_menu_categories')),
    sa.UniqueConstraint('shop_id', 'name', name=op.f('uq_menu_categories_shop_id_name'))
    )
    # Categories so far were only names on items: give each its row, in name order.
    op.execute(
        "INSERT INTO menu_categories (shop_id, name, sort, created_at) "
        "SELECT DISTINCT shop_id, category, 0, CURRENT_TIMESTAMP FROM menu_items "
        "WHERE category <> ''"
    )
    with op.batch_alter_table('menu_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_time', sa.Time(), nullable=True))

    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('closing_time')

    with op.batch_alter_table('menu_items', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    op.drop_table('menu_categories')
