"""The embargo-breach register: each breach, its evidence and the sanction that followed.

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embargo_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("outlet", sa.String(length=200), nullable=False),
        sa.Column("outlet_key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_url", sa.String(length=2000), nullable=False),
        sa.Column("evidence_filename", sa.String(length=255), nullable=False),
        sa.Column("evidence_stored_name", sa.String(length=80), nullable=False),
        sa.Column("ours", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("sanction", sa.String(length=20), nullable=False),
        sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_embargo_breaches_contact_id_contacts"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_embargo_breaches_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_embargo_breaches_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embargo_breaches")),
    )
    op.create_index(op.f("ix_embargo_breaches_contact_id"), "embargo_breaches", ["contact_id"], unique=False)
    op.create_index(op.f("ix_embargo_breaches_outlet_key"), "embargo_breaches", ["outlet_key"], unique=False)
    op.create_index(op.f("ix_embargo_breaches_release_id"), "embargo_breaches", ["release_id"], unique=False)
    op.create_index("ix_embargo_breaches_sanction_until", "embargo_breaches", ["sanction", "suspended_until"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_embargo_breaches_sanction_until", table_name="embargo_breaches")
    op.drop_index(op.f("ix_embargo_breaches_release_id"), table_name="embargo_breaches")
    op.drop_index(op.f("ix_embargo_breaches_outlet_key"), table_name="embargo_breaches")
    op.drop_index(op.f("ix_embargo_breaches_contact_id"), table_name="embargo_breaches")
    op.drop_table("embargo_breaches")
