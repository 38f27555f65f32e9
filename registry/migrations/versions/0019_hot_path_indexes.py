"""indexes for the lookups of every registry operation

Each spend summed its holder's pending requests by scanning every credit request; each indexed
transfer loaded the holdings of its batch by scanning every holding; the relay's read of a
sender's unsent operations walked all of the sender's earlier nonces; an issuance read its
project's reports, documents, reviews and batches, and a report's verifications, by scanning
those tables. All grew with the registry's history, so each operation got slower as the
registry aged. (Foreign keys are not indexed by themselves.)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_credit_requests_participant_id_batch_id", "credit_requests", ["participant_id", "batch_id"]),
    ("ix_holdings_batch_id", "holdings", ["batch_id"]),
    ("ix_chain_operations_sender_status_nonce", "chain_operations", ["sender", "status", "nonce"]),
    ("ix_documents_project_id", "documents", ["project_id"]),
    ("ix_project_reviews_project_id", "project_reviews", ["project_id"]),
    ("ix_monitoring_reports_project_id", "monitoring_reports", ["project_id"]),
    ("ix_verifications_report_id", "verifications", ["report_id"]),
    ("ix_batches_project_hash", "batches", ["project_hash"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
