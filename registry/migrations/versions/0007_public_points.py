"""public points: data partners, citizens, acts, the double-entry ledger, anchored epochs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "points_partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scenes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_partners")),
        sa.UniqueConstraint("public_id", name=op.f("uq_points_partners_public_id")),
    )
    op.create_table(
        "citizens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("pseudonym", sa.String(length=66), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizens")),
        sa.UniqueConstraint("public_id", name=op.f("uq_citizens_public_id")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_citizens_pseudonym")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_citizens_token_hash")),
    )
    op.create_table(
        "points_acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("scene", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["points_partners.id"], name=op.f("fk_points_acts_partner_id_points_partners")),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_points_acts_citizen_id_citizens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_acts")),
        sa.UniqueConstraint("partner_id", "record_id", name=op.f("uq_points_acts_partner_id_record_id")),
    )
    op.create_index(op.f("ix_points_acts_citizen_id"), "points_acts", ["citizen_id"], unique=False)
    op.create_index(
        "ix_points_acts_citizen_scene_day", "points_acts", ["citizen_id", "scene", "day"], unique=False
    )
    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.Column("act_id", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["act_id"], ["points_acts.id"], name=op.f("fk_ledger_postings_act_id_points_acts")),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_ledger_postings_citizen_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    op.create_index(op.f("ix_ledger_postings_txn"), "ledger_postings", ["txn"], unique=False)
    op.create_index(op.f("ix_ledger_postings_account"), "ledger_postings", ["account"], unique=False)
    op.create_index(op.f("ix_ledger_postings_citizen_id"), "ledger_postings", ["citizen_id"], unique=False)
    op.create_table(
        "points_epochs",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("leaf_count", sa.BigInteger(), nullable=False),
        sa.Column("total_points", sa.BigInteger(), nullable=False),
        sa.Column("total_grams", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["chain_operations.id"], name=op.f("fk_points_epochs_operation_id_chain_operations")
        ),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_points_epochs")),
        sa.UniqueConstraint("day", name=op.f("uq_points_epochs_day")),
    )
    op.create_table(
        "points_leaves",
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["epoch"], ["points_epochs.epoch"], name=op.f("fk_points_leaves_epoch_points_epochs")),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_points_leaves_citizen_id_citizens")),
        sa.PrimaryKeyConstraint("epoch", "position", name=op.f("pk_points_leaves")),
    )
    op.create_index(op.f("ix_points_leaves_citizen_id"), "points_leaves", ["citizen_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_points_leaves_citizen_id"), table_name="points_leaves")
    op.drop_table("points_leaves")
    op.drop_table("points_epochs")
    op.drop_index(op.f("ix_ledger_postings_citizen_id"), table_name="ledger_postings")
    op.drop_index(op.f("ix_ledger_postings_account"), table_name="ledger_postings")
    op.drop_index(op.f("ix_ledger_postings_txn"), table_name="ledger_postings")
    op.drop_table("ledger_postings")
    op.drop_index("ix_points_acts_citizen_scene_day", table_name="points_acts")
    op.drop_index(op.f("ix_points_acts_citizen_id"), table_name="points_acts")
    op.drop_table("points_acts")
    op.drop_table("citizens")
    op.drop_table("points_partners")
