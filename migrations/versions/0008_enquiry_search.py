"""The enquiry log's indexes: open enquiries by deadline, and trigram search (PostgreSQL only).

The log opens on open enquiries, soonest deadline first. A partial index of just those rows, in that
order, serves the page at once however many closed enquiries have earlier deadlines; the log writes
the statuses into its SQL literally, in this order, so that SQLite and PostgreSQL both see it applies.

The log's search box matches words anywhere in the reference, the journalist's name, the outlet,
the subject and the enquiry itself (ILIKE '%word%'), and its outlet filter does the same. pg_trgm
GIN indexes serve those on PostgreSQL; SQLite scans, as it does for releases and contacts (0005).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("reference", "journalist_name", "outlet", "subject", "body")
OPEN = "status IN ('new', 'in_progress')"


def upgrade():
    op.create_index("ix_enquiries_open_deadline", "enquiries", ["deadline_at", "id"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.execute(f"CREATE INDEX ix_enquiries_{column}_trgm ON enquiries USING gin ({column} gin_trgm_ops)")


def downgrade():
    op.drop_index("ix_enquiries_open_deadline", table_name="enquiries")
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_enquiries_{column}_trgm")
