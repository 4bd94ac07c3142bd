"""document.page_rotations: each page's OCR quarter turn, so page images match the boxes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "document",
        sa.Column("page_rotations", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("document", "page_rotations")
