"""Contact imports keep the lawful basis the importer chose and the rows to show on the result page; the
notes to editors of existing releases are rendered again so their plain web addresses become links.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

from press.markdown_text import linked_html

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    # Added and dropped in place, never by rebuilding the table (see 0013).
    op.add_column("contact_imports", sa.Column("lawful_basis", sa.String(40), nullable=True))
    op.add_column("contact_imports", sa.Column("outcome_rows", sa.JSON(), nullable=True))
    releases = sa.table("releases", sa.column("id", sa.Integer), sa.column("notes_to_editors", sa.Text),
                        sa.column("notes_html", sa.Text))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(releases.c.id, releases.c.notes_to_editors)
            .where(releases.c.id > last, releases.c.notes_to_editors.like("%http%"))
            .order_by(releases.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for release_id, notes in rows:
            connection.execute(releases.update().where(releases.c.id == release_id)
                               .values(notes_html=str(linked_html(notes or ""))))
        last = rows[-1][0]


def downgrade() -> None:
    # The links stay in the stored HTML: they are what the notes say, and harmless to the older code.
    op.drop_column("contact_imports", "outcome_rows")
    op.drop_column("contact_imports", "lawful_basis")
