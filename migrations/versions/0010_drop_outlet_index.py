"""Drop the plain index on enquiries.outlet: no query can use it, and every new enquiry paid to keep it.

The log's outlet filter matches words anywhere in the name (ILIKE '%word%', served on PostgreSQL by the
trigram index of 0008) and the dashboard groups by the lower-cased, trimmed name; neither reads a
B-tree on the column as written.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.drop_index("ix_enquiries_outlet")


def downgrade():
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.create_index("ix_enquiries_outlet", ["outlet"], unique=False)
