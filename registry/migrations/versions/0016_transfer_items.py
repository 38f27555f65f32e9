"""a transfer's item within its event

One ERC-1155 ``TransferBatch`` event moves several batches at once, and the contracts are public:
any holder may send one. The index records a transfer row per batch moved, so (transaction, log)
no longer names one row: ``item`` is the batch's position within its event (0 for a
``TransferSingle``), and the three together are unique.

Before, such an event could not be stored: the indexer recorded it as a skipped anomaly and went
on, leaving the holdings it moved wrong. A database with such an anomaly has its index marked to
be rebuilt from the chain: whatever indexes next (the service's sync, the relay confirming an
operation, ``tanhui reconcile``) first rewinds and indexes everything again, in one transaction
(registry/recovery.py, as after a chain that lost blocks; operations the chain has mined are kept
as they are).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: registry.recovery.REBUILD_MARK (a migration keeps its own copy of what it writes): not the
#: hash of any block, so whoever indexes next rebuilds the index from the chain first.
REBUILD_MARK = "0x" + "00" * 32


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("item", sa.Integer(), server_default="0", nullable=False))
        batch.drop_constraint("uq_transfers_tx_hash_log_index", type_="unique")
        batch.create_unique_constraint(
            "uq_transfers_tx_hash_log_index_item", ["tx_hash", "log_index", "item"]
        )
    bind = op.get_bind()
    skipped = bind.execute(
        sa.text("SELECT count(*) FROM chain_anomalies WHERE event = 'TransferBatch' AND action = 'skipped'")
    ).scalar_one()
    if skipped:
        bind.execute(sa.text("UPDATE registry_meta SET indexed_block_hash = :mark"), {"mark": REBUILD_MARK})


def downgrade() -> None:
    # Rows of batch transfers share their (transaction, log): the old key cannot hold them.
    items = op.get_bind().execute(sa.text("SELECT count(*) FROM transfers WHERE item <> 0")).scalar_one()
    if items:
        raise RuntimeError(
            f"cannot restore uq_transfers_tx_hash_log_index: {items} transfer row(s) come from batch"
            " transfers (TransferBatch events), which that key cannot hold"
        )
    with op.batch_alter_table("transfers") as batch:
        batch.drop_constraint("uq_transfers_tx_hash_log_index_item", type_="unique")
        batch.create_unique_constraint("uq_transfers_tx_hash_log_index", ["tx_hash", "log_index"])
        batch.drop_column("item")
