"""Bounces: each message that reaches the bounce address, once; a bounced delivery's date and reason; a
contact's score of temporary bounces.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reading", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_inbound_bounces_contact_id_contacts"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name=op.f("fk_inbound_bounces_delivery_id_deliveries"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_bounces")),
        sa.UniqueConstraint("message_key", name=op.f("uq_inbound_bounces_message_key")),
    )
    op.create_index(op.f("ix_inbound_bounces_contact_id"), "inbound_bounces", ["contact_id"], unique=False)
    op.create_index(op.f("ix_inbound_bounces_delivery_id"), "inbound_bounces", ["delivery_id"], unique=False)
    op.create_index("ix_inbound_bounces_outcome_received", "inbound_bounces", ["outcome", "received_at"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("bounce_reason", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bounce_score", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("bounce_score_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("bounce_score_at")
        batch_op.drop_column("bounce_score")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("bounce_reason")
        batch_op.drop_column("bounced_at")
    op.drop_index("ix_inbound_bounces_outcome_received", table_name="inbound_bounces")
    op.drop_index(op.f("ix_inbound_bounces_delivery_id"), table_name="inbound_bounces")
    op.drop_index(op.f("ix_inbound_bounces_contact_id"), table_name="inbound_bounces")
    op.drop_table("inbound_bounces")
