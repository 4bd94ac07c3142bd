"""pending uploads: upload URLs handed out and not confirmed yet (expiry and per-user cap)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_upload",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_pending_upload_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pending_upload")),
    )
    op.create_index("ix_pending_upload_expires_at", "pending_upload", ["expires_at"])
    op.create_index(op.f("ix_pending_upload_user_id"), "pending_upload", ["user_id"])


def downgrade() -> None:
    op.drop_table("pending_upload")
