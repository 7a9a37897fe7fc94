"""Each delivery gets a random value of its own, and the time of its first attempt.

The random value is signed into the recipient's early-access link and hashed into the message's
Message-ID, so neither can be worked out from the delivery's id even by someone who knows the secret
key. The first attempt's time is the message's Date on every attempt, so a retry is the same message.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from press.database import UTCDateTime, random_hex

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("first_attempt_at", UTCDateTime(), nullable=True))
    deliveries = sa.table("deliveries", sa.column("secret", sa.String))
    op.execute(deliveries.update().values(secret=random_hex()))


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("first_attempt_at")
        batch_op.drop_column("secret")
