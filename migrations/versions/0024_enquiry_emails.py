"""The emails of an enquiry's conversation, in and out, and the files that came with them.

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enquiry_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enquiry_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("suggested_deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suggested_deadline_words", sa.String(length=200), nullable=False),
        sa.Column("suggestion_settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["enquiry_id"], ["enquiries.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_enquiry_emails_enquiry_id", "enquiry_emails", ["enquiry_id"])
    op.create_table(
        "enquiry_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["email_id"], ["enquiry_emails.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stored_name"),
    )
    op.create_index("ix_enquiry_attachments_email_id", "enquiry_attachments", ["email_id"])


def downgrade() -> None:
    op.drop_index("ix_enquiry_attachments_email_id", table_name="enquiry_attachments")
    op.drop_table("enquiry_attachments")
    op.drop_index("ix_enquiry_emails_enquiry_id", table_name="enquiry_emails")
    op.drop_table("enquiry_emails")
