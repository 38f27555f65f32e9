"""idempotency records keep the outcome of the first answer, not an HTTP status

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE idempotency_records SET outcome = CASE status_code "
        "WHEN 201 THEN 'confirmed' WHEN 202 THEN 'pending' ELSE 'rejected' END "
        "WHERE status_code IS NOT NULL"
    )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("status_code")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_code", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE idempotency_records SET status_code = CASE outcome "
        "WHEN 'confirmed' THEN 201 WHEN 'pending' THEN 202 ELSE 409 END WHERE outcome IS NOT NULL"
    )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("outcome")
