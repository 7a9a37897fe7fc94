"""Distributions of releases, early-access views, and revocable early access on deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:14:17.829870

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('distributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stop_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('list_names', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('left_out', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('missed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_distributions_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_distributions_created_by_id_users')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_distributions_release_id_releases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distributions')),
    sa.UniqueConstraint('request_key', name=op.f('uq_distributions_request_key'))
    )
    with op.batch_alter_table('distributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distributions_release_id'), ['release_id'], unique=False)

    op.create_table('access_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('what', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_access_views_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_views'))
    )
    with op.batch_alter_table('access_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_views_delivery_id'), ['delivery_id'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_distribution_id_distributions'), 'distributions', ['distribution_id'], ['id'])



def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliveries_distribution_id_distributions'), type_='foreignkey')
        batch_op.drop_column('access_revoked_at')

    with op.batch_alter_table('access_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_views_delivery_id'))

    op.drop_table('access_views')
    with op.batch_alter_table('distributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distributions_release_id'))

    op.drop_table('distributions')
