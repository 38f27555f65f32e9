"""certified low-carbon scenes: assessments and certificates

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("latitude", sa.String(length=20), nullable=True),
        sa.Column("longitude", sa.String(length=20), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=False),
        sa.Column("onchain_id", sa.String(length=66), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["participants.id"], name=op.f("fk_scenes_operator_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["participants.id"], name=op.f("fk_scenes_registered_by_id_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenes")),
        sa.UniqueConstraint("public_id", name=op.f("uq_scenes_public_id")),
        sa.UniqueConstraint("onchain_id", name=op.f("uq_scenes_onchain_id")),
    )
    op.create_table(
        "scene_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scene_id", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("total", sa.String(length=20), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scene_id"], ["scenes.id"], name=op.f("fk_scene_assessments_scene_id_scenes")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["participants.id"], name=op.f("fk_scene_assessments_assessor_id_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scene_assessments")),
    )
    op.create_index(op.f("ix_scene_assessments_scene_id"), "scene_assessments", ["scene_id"], unique=False)
    op.create_table(
        "scene_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=20), nullable=False),
        sa.Column("scene_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("certificate_hash", sa.String(length=66), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("revoke_operation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scene_id"], ["scenes.id"], name=op.f("fk_scene_certificates_scene_id_scenes")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["scene_assessments.id"],
            name=op.f("fk_scene_certificates_assessment_id_scene_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["chain_operations.id"],
            name=op.f("fk_scene_certificates_operation_id_chain_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["revoke_operation_id"],
            ["chain_operations.id"],
            name=op.f("fk_scene_certificates_revoke_operation_id_chain_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scene_certificates")),
        sa.UniqueConstraint("public_id", name=op.f("uq_scene_certificates_public_id")),
    )
    op.create_index(op.f("ix_scene_certificates_scene_id"), "scene_certificates", ["scene_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scene_certificates_scene_id"), table_name="scene_certificates")
    op.drop_table("scene_certificates")
    op.drop_index(op.f("ix_scene_assessments_scene_id"), table_name="scene_assessments")
    op.drop_table("scene_assessments")
    op.drop_table("scenes")
