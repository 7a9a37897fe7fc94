"""The audit trail names the object each entry concerns and the address the request came from.

Indexes serve the audit page: newest first by (at, id) for keyset paging, and the same order within one
person's entries or one object's.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("object_kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("object_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("remote_addr", sa.String(length=45), nullable=True))
        # (at, id) does the work the index on at alone did, and more.
        batch_op.drop_index("ix_audit_events_at")
        batch_op.create_index("ix_audit_events_at_id", ["at", "id"], unique=False)
        batch_op.create_index("ix_audit_events_user_at_id", ["user_id", "at", "id"], unique=False)
        batch_op.create_index("ix_audit_events_object_at_id", ["object_kind", "object_id", "at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object_at_id")
        batch_op.drop_index("ix_audit_events_user_at_id")
        batch_op.drop_index("ix_audit_events_at_id")
        batch_op.create_index("ix_audit_events_at", ["at"], unique=False)
        batch_op.drop_column("remote_addr")
        batch_op.drop_column("object_id")
        batch_op.drop_column("object_kind")
