"""A distribution can be one tier of a send in tiers: its place, how many tiers, and the tier's name; and it
counts apart those it left out for an embargo breach.

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tier_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tier_name", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("suspended", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_column("suspended")
        batch_op.drop_column("tier_name")
        batch_op.drop_column("tier_count")
        batch_op.drop_column("tier_number")
