"""carbon-neutrality claims (R14, R15); retirements looked up by their event id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    uint64: sa.types.TypeEngine[Any] = sa.String(length=20) if sqlite else sa.Numeric(20, 0)
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("footprint_code", sa.String(length=40), nullable=False),
        sa.Column("footprint_version", sa.Integer(), nullable=False),
        sa.Column("footprint_content_hash", sa.String(length=66), nullable=False),
        sa.Column("buffer_bp", sa.Integer(), nullable=False),
        sa.Column("activity", sa.JSON(), nullable=True),
        sa.Column("footprint", sa.JSON(), nullable=True),
        sa.Column("footprint_kg", uint64, nullable=True),
        sa.Column("required_kg", uint64, nullable=True),
        sa.Column("footprint_hash", sa.String(length=66), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=True),
        sa.Column("verification_reason", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("onchain_id", sa.String(length=66), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("closed_block", sa.BigInteger(), nullable=True),
        sa.Column("closed_tx", sa.String(length=66), nullable=True),
        sa.Column("retired_at_close", uint64, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["participants.id"], name=op.f("fk_claims_claimant_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["verifier_id"], ["participants.id"], name=op.f("fk_claims_verifier_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["chain_operations.id"], name=op.f("fk_claims_operation_id_chain_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("public_id", name=op.f("uq_claims_public_id")),
        sa.UniqueConstraint("onchain_id", name=op.f("uq_claims_onchain_id")),
    )
    op.create_index(op.f("ix_claims_claimant_id"), "claims", ["claimant_id"], unique=False)
    op.create_index(op.f("ix_retirements_event_id"), "retirements", ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_retirements_event_id"), table_name="retirements")
    op.drop_index(op.f("ix_claims_claimant_id"), table_name="claims")
    op.drop_table("claims")
