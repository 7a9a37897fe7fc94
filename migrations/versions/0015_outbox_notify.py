"""On PostgreSQL, writing deliveries wakes the worker: a statement trigger sends NOTIFY press_outbox.

The notification goes out when the transaction that queued the mail commits (and never if it rolls
back), once per transaction however many rows it wrote, so an idle worker starts sending within
moments of the commit instead of at its next poll. SQLite has no notifications: the worker polls it.

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The channel press.outbox.worker listens on.
CHANNEL = "press_outbox"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION press_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries"
        " FOR EACH STATEMENT EXECUTE FUNCTION press_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER deliveries_notify ON deliveries")
    op.execute("DROP FUNCTION press_outbox_notify()")
