"""sign-in limits: a sliding window per address, a backoff per account

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 16:50:00.000000

Adds `rate_limit_hit` (one row per admitted sign-in request, auth/ratelimit.py), which replaces
the per-minute counters of `rate_limit_window` (short-lived data: nothing to carry over), and
`login_failure` (failed sign-ins per account, auth/lockout.py). Sessions need no new column:
access tokens carry their refresh-token family as `sid`, checked against `refresh_token`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hit")),
    )
    op.create_index(op.f("ix_rate_limit_hit_at"), "rate_limit_hit", ["at"])
    op.create_index("ix_rate_limit_hit_key_at", "rate_limit_hit", ["key", "at"])
    op.drop_table("rate_limit_window")
    op.create_table(
        "login_failure",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_login_failure")),
    )


def downgrade() -> None:
    op.drop_table("login_failure")
    op.create_table(
        "rate_limit_window",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_window")),
    )
    op.drop_index("ix_rate_limit_hit_key_at", table_name="rate_limit_hit")
    op.drop_index(op.f("ix_rate_limit_hit_at"), table_name="rate_limit_hit")
    op.drop_table("rate_limit_hit")
