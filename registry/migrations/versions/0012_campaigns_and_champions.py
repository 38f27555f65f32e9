"""campaigns, display names and leaderboard opt-outs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "points_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("scene", sa.String(length=40), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("multiplier", sa.String(length=20), nullable=True),
        sa.Column("bonus_points", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["participants.id"], name=op.f("fk_points_campaigns_created_by_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_campaigns")),
    )
    op.create_index("ix_points_campaigns_ends_on", "points_campaigns", ["ends_on"], unique=False)
    with op.batch_alter_table("citizens") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("leaderboard_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("ledger_postings") as batch:
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_postings") as batch:
        batch.drop_column("campaign_id")
    with op.batch_alter_table("citizens") as batch:
        batch.drop_column("leaderboard_opt_out")
        batch.drop_column("display_name")
    op.drop_index("ix_points_campaigns_ends_on", table_name="points_campaigns")
    op.drop_table("points_campaigns")
