"""frozen accounts and pause in the index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
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
        "frozen_accounts",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_frozen_accounts")),
    )
    with op.batch_alter_table("registry_meta", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("registry_paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("credits_paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_meta", schema=None) as batch_op:
        batch_op.drop_column("credits_paused")
        batch_op.drop_column("registry_paused")

    op.drop_table("frozen_accounts")
