"""Release versions, kept when a release is marked final, changed while final or approved; second-person
approvals of one version's exact content; safeguarding tags on releases and the checklist answers given for a
version.

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place, never by rebuilding the table (as in 0013): a rebuild would lose the search triggers and, with
    # foreign keys enforced, cascade away the attachments.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE releases ADD COLUMN tags JSON DEFAULT '[]' NOT NULL")
    else:
        op.add_column("releases", sa.Column("tags", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.create_table(
        "release_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["made_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release_id", "number", name="uq_release_versions_number"),
    )
    op.create_index("ix_release_versions_release_id", "release_versions", ["release_id"])
    op.create_table(
        "release_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["release_versions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release_id", "content_hash", name="uq_release_approvals_content"),
    )
    op.create_index("ix_release_approvals_release_id", "release_approvals", ["release_id"])
    op.create_table(
        "release_checklist_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("release_id", "content_hash", "item_id", name="uq_release_checklist_answers"),
    )
    op.create_index("ix_release_checklist_answers_release_id", "release_checklist_answers", ["release_id"])


def downgrade() -> None:
    op.drop_index("ix_release_checklist_answers_release_id", table_name="release_checklist_answers")
    op.drop_table("release_checklist_answers")
    op.drop_index("ix_release_approvals_release_id", table_name="release_approvals")
    op.drop_table("release_approvals")
    op.drop_index("ix_release_versions_release_id", table_name="release_versions")
    op.drop_table("release_versions")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE releases DROP COLUMN tags")
    else:
        op.drop_column("releases", "tags")
