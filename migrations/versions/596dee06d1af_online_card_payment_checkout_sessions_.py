"""online card payment: checkout sessions and handled Stripe events

Revision ID: 596dee06d1af
Revises: 0327777dd08c
Create Date: 2026-11-26 09:54:35.928736

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '596dee06d1af'
down_revision = '0327777dd08c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_stripe_events_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_stripe_events_event_id'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_shop_id'), ['shop_id'], unique=False)

    op.create_table('checkout_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('tab_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_session_id', sa.String(length=255), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('tip', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('payment_intent', sa.String(length=255), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('phone_id', sa.String(length=43), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("purpose IN ('bill', 'deposit')", name=op.f('ck_checkout_sessions_purpose')),
    sa.CheckConstraint("status IN ('created', 'completed', 'expired', 'refused')", name=op.f('ck_checkout_sessions_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_checkout_sessions_amount_positive')),
    sa.CheckConstraint('tip >= 0', name=op.f('ck_checkout_sessions_tip_not_negative')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_checkout_sessions_payment_id_payments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_checkout_sessions_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tab_id'], ['tabs.id'], name=op.f('fk_checkout_sessions_tab_id_tabs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_sessions')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_checkout_sessions_idempotency_key')),
    sa.UniqueConstraint('provider_session_id', name=op.f('uq_checkout_sessions_provider_session_id'))
    )
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_sessions_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkout_sessions_tab_id'), ['tab_id'], unique=False)



def downgrade():
    with op.batch_alter_table('checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkout_sessions_tab_id'))
        batch_op.drop_index(batch_op.f('ix_checkout_sessions_shop_id'))

    op.drop_table('checkout_sessions')
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_shop_id'))

    op.drop_table('stripe_events')
