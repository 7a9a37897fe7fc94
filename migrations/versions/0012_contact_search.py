"""A trigram full-text index for searching contacts on SQLite (SQLite only).

The contacts page matches each word anywhere in a contact's name, outlet or email. PostgreSQL serves
that from the trigram GIN indexes of migration 0005; SQLite scanned every contact, which at 50,000
takes longer than the page may. contacts_search is an FTS5 table with the trigram tokenizer over
those three columns. It keeps no copy of the text (external content: it reads the contacts table),
only the index, which triggers keep in step with every insert, update and delete, whether it comes
from the ORM or from the importer's Core inserts.

A later migration that rebuilds the contacts table on SQLite (batch_alter_table copies it and drops
the old one) drops these triggers with it, and must create them again and rebuild the index.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = "name, outlet, email"
OLD = "old.id, old.name, old.outlet, old.email"
NEW = "new.id, new.name, new.outlet, new.email"
# An external-content FTS5 table forgets a row by being told the values it indexed, which old.* are.
FORGET = f"INSERT INTO contacts_search (contacts_search, rowid, {COLUMNS}) VALUES ('delete', {OLD});"
LEARN = f"INSERT INTO contacts_search (rowid, {COLUMNS}) VALUES ({NEW});"
TRIGGERS = {
    "contacts_search_insert": f"AFTER INSERT ON contacts BEGIN {LEARN} END",
    "contacts_search_delete": f"AFTER DELETE ON contacts BEGIN {FORGET} END",
    # Only a change to an indexed column touches the index: status changes and the like leave it alone.
    "contacts_search_update": f"AFTER UPDATE OF {COLUMNS} ON contacts BEGIN {FORGET} {LEARN} END",
}


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE contacts_search USING fts5({COLUMNS}, "
        "content='contacts', content_rowid='id', tokenize='trigram')"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO contacts_search (contacts_search) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS contacts_search")
