"""Releases store their rendered HTML and summary, and are searched through a full-text index.

Showing a release no longer renders Markdown: the sanitised HTML of the body, helpline and notes
to editors, and the plain text of the standfirst (or body) for lists, feeds and meta descriptions,
are written when the release is saved. Existing rows are filled here.

On SQLite the newsroom search goes through an FTS5 table over the releases table's own headline,
standfirst and body (external content: the index holds no second copy of the text), kept in step by
triggers. PostgreSQL keeps searching through the trigram indexes of 0005.

The columns are added and dropped in place, never by rebuilding the table: SQLite enforces foreign
keys here, so dropping the old table in a rebuild would delete every attachment and history row
with it. A later migration that rebuilds the releases table on SQLite would also drop the triggers
and must create them again.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from press.markdown_text import full_plain_text, sanitised_html

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STORED = ("body_html", "helpline_html", "notes_html", "summary")
BATCH = 500

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE releases_search USING fts5("
    "headline, standfirst, body, content='releases', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER releases_search_insert AFTER INSERT ON releases BEGIN"
    " INSERT INTO releases_search (rowid, headline, standfirst, body)"
    " VALUES (new.id, new.headline, new.standfirst, new.body); END",
    "CREATE TRIGGER releases_search_delete AFTER DELETE ON releases BEGIN"
    " INSERT INTO releases_search (releases_search, rowid, headline, standfirst, body)"
    " VALUES ('delete', old.id, old.headline, old.standfirst, old.body); END",
    "CREATE TRIGGER releases_search_update AFTER UPDATE OF headline, standfirst, body ON releases BEGIN"
    " INSERT INTO releases_search (releases_search, rowid, headline, standfirst, body)"
    " VALUES ('delete', old.id, old.headline, old.standfirst, old.body);"
    " INSERT INTO releases_search (rowid, headline, standfirst, body)"
    " VALUES (new.id, new.headline, new.standfirst, new.body); END",
    "INSERT INTO releases_search (releases_search) VALUES ('rebuild')",
]
def backfill() -> None:
    connection = op.get_bind()
    releases = sa.table(
        "releases", sa.column("id", sa.Integer), sa.column("standfirst", sa.Text), sa.column("body", sa.Text),
        sa.column("helpline", sa.Text), sa.column("notes_to_editors", sa.Text),
        *(sa.column(name, sa.Text) for name in STORED),
    )
    update = (
        releases.update()
        .where(releases.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in STORED})
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(releases.c.id, releases.c.standfirst, releases.c.body, releases.c.helpline,
                      releases.c.notes_to_editors)
            .where(releases.c.id > last).order_by(releases.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(update, [
            {
                "row_id": row.id,
                "new_body_html": str(sanitised_html(row.body)),
                "new_helpline_html": str(sanitised_html(row.helpline)),
                "new_notes_html": str(sanitised_html(row.notes_to_editors)),
                "new_summary": full_plain_text(row.standfirst or row.body),
            }
            for row in rows
        ])
        last = rows[-1].id


def upgrade():
    for name in STORED:
        op.add_column("releases", sa.Column(name, sa.Text(), nullable=False, server_default=""))
    backfill()
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS releases_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS releases_search")
        # In place (SQLite 3.35 and later), for the reason given above.
        for name in reversed(STORED):
            op.execute(f"ALTER TABLE releases DROP COLUMN {name}")
    else:
        for name in reversed(STORED):
            op.drop_column("releases", name)
