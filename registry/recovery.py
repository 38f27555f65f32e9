"""When the chain is not the chain the index was built from.

A node that restarts from a state snapshot (the embedded anvil writes its state every second;
`kill -9` loses what came after) or a reorganisation leaves the chain behind the index, or with
another block at an indexed height. The registry notices (``Indexer.sync`` compares the hash it
recorded for its last indexed block with the chain's) and comes back into agreement by itself:

1. the common block is the newest block the index saw (its events carry their block's hash)
   whose hash the chain still has;
2. every operation the outbox recorded as final in a later block whose receipt the chain no
   longer has goes back to ``signed``: the relay sends its pre-signed transaction again, with
   its original nonce, so a sender's lost transactions go out in their original order;
3. the index is rebuilt from the chain (the states the indexer gave workflow records — a
   participant active, a project registered, a report issued, a methodology published — go back
   to what the registry had before the chain confirmed them, and the chain confirms them again).

The index is rebuilt from the deployment's first block rather than undone event by event: its
tables hold running totals, and the indexer catches up at thousands of events per second.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from chain.client import ChainClient, SignedTransaction
from chain.errors import ChainError
from registry import feed
from registry.models import (
    Batch,
    BlockTime,
    ChainAnomaly,
    ChainEventRecord,
    ChainOperation,
    Claim,
    FrozenAccount,
    Holding,
    IdempotencyRecord,
    Invalidation,
    Listing,
    MarketBand,
    MarketSetting,
    Methodology,
    MonitoringReport,
    Participant,
    Project,
    RegistryMeta,
    Retirement,
    Trade,
    Transfer,
)
from registry.states import ClaimStatus, OperationStatus, ProjectStatus, Publication, ReportStatus, Standing

log = logging.getLogger("tanhui.recovery")

#: The index tables, rebuilt from the chain.
INDEX_TABLES = (
    ChainEventRecord,
    Batch,
    Holding,
    Transfer,
    Retirement,
    Invalidation,
    FrozenAccount,
    ChainAnomaly,
    BlockTime,
    Listing,
    Trade,
    MarketBand,
    MarketSetting,
)


#: Put in place of the last indexed block's hash to have the index rebuilt from the chain (no
#: block has it): migration 0016 marks an index that skipped events it can now store, and the
#: runtime one whose deployment it sent again to a chain that had lost it.
REBUILD_MARK = "0x" + "00" * 32


def must_rebuild(meta: RegistryMeta) -> bool:
    """Whether the index is marked to be rebuilt (see :data:`REBUILD_MARK`)."""
    return meta.indexed_block_hash == REBUILD_MARK


def has_diverged(client: ChainClient, meta: RegistryMeta) -> bool:
    """Whether the chain lost, or replaced, the last block the index applied (or the index is
    marked to be rebuilt)."""
    if must_rebuild(meta):
        return True
    if meta.indexed_block < meta.deployed_block or meta.indexed_block_hash is None:
        return False
    try:  # a chain behind the index has no such block
        block = client.block(meta.indexed_block)
    except ChainError as err:
        if "no block" in str(err).lower() or "not found" in str(err).lower():
            return True
        raise
    return str(block["hash"]).lower() != meta.indexed_block_hash.lower()


def common_block(session: Session, client: ChainClient, meta: RegistryMeta) -> int:
    """The newest block the index saw that the chain still has (the deployment's block before
    it, when none)."""
    head = client.block_number()
    seen = session.execute(
        select(ChainEventRecord.block_number, ChainEventRecord.block_hash)
        .where(ChainEventRecord.block_hash.is_not(None), ChainEventRecord.block_number <= head)
        .distinct()
        .order_by(ChainEventRecord.block_number.desc())
    ).all()
    for number, block_hash in seen:
        try:
            if str(client.block(number)["hash"]).lower() == str(block_hash).lower():
                return int(number)
        except ChainError:
            continue
    return meta.deployed_block - 1


def rewind(session: Session, client: ChainClient, meta: RegistryMeta) -> dict[str, int]:
    """Brings the registry back to what the chain has (see the module's description), in the
    caller's transaction, which holds the index mark's lock. Returns what it did."""
    was = meta.indexed_block
    marked = must_rebuild(meta)
    common = common_block(session, client, meta)
    resent: list[int] = []
    lost = session.execute(
        select(ChainOperation).where(
            ChainOperation.status.in_((OperationStatus.CONFIRMED, OperationStatus.FAILED)),
            ChainOperation.block_number > common,
        )
    ).scalars()
    for op in lost:
        if client.find_receipt(op.tx_hash) is not None:
            continue
        filler = (op.result or {}).get("filler_raw")
        if filler:  # a cancelled operation: its nonce goes to the same filler again, not to it
            if client.find_receipt(op.result["nonce_filled_by"]) is None:  # type: ignore[index]
                client.send(SignedTransaction.from_raw(filler))
            continue
        op.status = OperationStatus.SIGNED
        op.block_number = None
        op.result = None
        op.error = None
        op.error_code = None
        op.sent_at = None
        op.finished_at = None
        resent.append(op.id)
    # A stored first answer that named what the chain lost is stale: a replay renders anew.
    if resent:
        lost_ids = set(resent)
        for record in session.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.response.is_not(None))
        ).scalars():
            if lost_ids.intersection(record.operation_ids or []):
                record.response = None
                record.outcome = None

    session.execute(
        update(Participant)
        .where(Participant.chain_status.in_((Standing.ACTIVE, Standing.SUSPENDED)))
        .values(chain_status=Standing.PENDING)
    )
    session.execute(
        update(Project)
        .where(Project.status.in_((ProjectStatus.REGISTERED, ProjectStatus.SUSPENDED, ProjectStatus.CLOSED)))
        .values(status=ProjectStatus.APPROVED)
    )
    session.execute(
        update(MonitoringReport)
        .where(MonitoringReport.status == ReportStatus.ISSUED)
        .values(status=ReportStatus.VERIFIED)
    )
    session.execute(
        update(Methodology)
        .where(Methodology.chain_status.in_((Publication.PUBLISHED, Publication.DEPRECATED)))
        .values(chain_status=Publication.PENDING)
    )
    # A claim closed on chain is closing again until the index sees its ClaimClosed once more
    # (its closing operation, if lost with the blocks, is resent above).
    session.execute(
        update(Claim)
        .where(Claim.status == ClaimStatus.NEUTRAL)
        .values(status=ClaimStatus.CLOSING, closed_block=None, closed_tx=None, retired_at_close=None)
    )
    feed.discard_after_block(session, common)
    for table in INDEX_TABLES:
        session.execute(delete(table))
    meta.indexed_block = meta.deployed_block - 1
    meta.indexed_block_hash = None
    meta.registry_paused = False
    meta.credits_paused = False
    session.flush()
    session.expire_all()
    if marked:
        log.warning(
            "the index was marked to be rebuilt (by a migration, or after the deployment was sent"
            " again): rebuilt from the chain"
        )
    else:
        log.warning(
            "the chain no longer has block %s as indexed: rewound to block %s, %s operations to send "
            "again, index rebuilt from the chain",
            was,
            common,
            len(resent),
        )
    return {"common_block": common, "operations_resent": len(resent)}
