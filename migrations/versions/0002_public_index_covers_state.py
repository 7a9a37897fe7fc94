"""The public-list index also holds the state columns its filter reads.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("releases") as batch_op:
        batch_op.drop_index("ix_releases_public")
        batch_op.create_index("ix_releases_public", ["public_from", "id", "status", "withdrawal_kind"])


def downgrade():
    with op.batch_alter_table("releases") as batch_op:
        batch_op.drop_index("ix_releases_public")
        batch_op.create_index("ix_releases_public", ["public_from", "id"])
