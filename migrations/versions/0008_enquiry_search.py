"""Trigram indexes for searching the enquiry log by any part of a word (PostgreSQL only).

The log's search box matches words anywhere in the reference, the journalist's name, the outlet,
the subject and the enquiry itself (ILIKE '%word%'), and its outlet filter does the same. pg_trgm
GIN indexes serve those on PostgreSQL; SQLite scans, as it does for releases and contacts (0005).

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("reference", "journalist_name", "outlet", "subject", "body")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.execute(f"CREATE INDEX ix_enquiries_{column}_trgm ON enquiries USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_enquiries_{column}_trgm")
