"""Index enquiries by first response, for the dashboard's median time to first response.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.create_index("ix_enquiries_first_response", ["first_response_at", "received_at"], unique=False)


def downgrade():
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.drop_index("ix_enquiries_first_response")
