"""Pre-election periods, the councillors and candidates listed for each, and admins' overrides for releases
that name one of them.

Revision ID: 0027
Revises: 0026
"""
from alembic import op
import sqlalchemy as sa

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "election_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("whole_area", sa.Boolean(), nullable=False),
        sa.Column("wards", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_election_periods_starts_on", "election_periods", ["starts_on"])
    op.create_table(
        "election_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ward", sa.String(length=200), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["election_periods.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period_id", "name"),
    )
    op.create_index("ix_election_names_period_id", "election_names", ["period_id"])
    op.create_table(
        "election_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["period_id"], ["election_periods.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_election_overrides_release_id", "election_overrides", ["release_id"])
    op.create_index("ix_election_overrides_period_id", "election_overrides", ["period_id"])


def downgrade() -> None:
    op.drop_index("ix_election_overrides_period_id", table_name="election_overrides")
    op.drop_index("ix_election_overrides_release_id", table_name="election_overrides")
    op.drop_table("election_overrides")
    op.drop_index("ix_election_names_period_id", table_name="election_names")
    op.drop_table("election_names")
    op.drop_index("ix_election_periods_starts_on", table_name="election_periods")
    op.drop_table("election_periods")
