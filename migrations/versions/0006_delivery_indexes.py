"""Indexes for the worker's sweeps: expired leases and passed deadlines

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:05:48.798228

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_deadline', ['status', 'deadline_at'], unique=False)
        batch_op.create_index('ix_deliveries_lease', ['status', 'lease_expires_at'], unique=False)



def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_lease')
        batch_op.drop_index('ix_deliveries_deadline')

