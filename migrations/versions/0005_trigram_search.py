"""Trigram indexes for searching releases and contacts by any part of a word (PostgreSQL only).

The newsroom search and the contacts page match words anywhere in the text (ILIKE '%word%'),
which no ordinary index serves. PostgreSQL's pg_trgm GIN indexes do; SQLite scans, which is
fine at the sizes SQLite deployments have.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXED = {
    "releases": ("headline", "standfirst", "body"),
    "contacts": ("name", "outlet", "email"),
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in INDEXED.items():
        for column in columns:
            op.execute(f"CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in INDEXED.items():
        for column in columns:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
