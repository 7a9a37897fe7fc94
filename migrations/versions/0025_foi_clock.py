"""FOI and EIR requests: the law an enquiry is a request under, its statutory clock's pauses and extension, its
due date, and the one-off non-working days admins add.

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_law", sa.String(length=3), server_default="", nullable=False))
        batch_op.add_column(sa.Column("foi_flagged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("foi_extension_days", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("foi_extension_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("foi_extended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("foi_extended_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("foi_due_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key("fk_enquiries_foi_extended_by_id_users", "users", ["foi_extended_by_id"], ["id"])
        batch_op.create_index("ix_enquiries_foi_due_on", ["foi_due_on"])
    op.create_table(
        "foi_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enquiry_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enquiry_id"], ["enquiries.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_foi_pauses_enquiry_id", "foi_pauses", ["enquiry_id"])
    op.create_index("uq_foi_pauses_open", "foi_pauses", ["enquiry_id"], unique=True,
                    sqlite_where=sa.text("ended_on IS NULL"), postgresql_where=sa.text("ended_on IS NULL"))
    op.create_table(
        "non_working_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("non_working_days")
    op.drop_index("uq_foi_pauses_open", table_name="foi_pauses")
    op.drop_index("ix_foi_pauses_enquiry_id", table_name="foi_pauses")
    op.drop_table("foi_pauses")
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.drop_index("ix_enquiries_foi_due_on")
        batch_op.drop_constraint("fk_enquiries_foi_extended_by_id_users", type_="foreignkey")
        batch_op.drop_column("foi_due_on")
        batch_op.drop_column("foi_extended_by_id")
        batch_op.drop_column("foi_extended_at")
        batch_op.drop_column("foi_extension_reason")
        batch_op.drop_column("foi_extension_days")
        batch_op.drop_column("foi_flagged_at")
        batch_op.drop_column("request_law")
