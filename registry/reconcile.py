"""Reconciliation: proves that the database agrees with the chain.

Every batch's supply, every holding, every retirement (its record and its event's details) is
compared with what the contracts say, and the chain's counts of batches and certificates with
the database's; so are the pause flags, frozen accounts and participants' standing that the
domain checks rely on, and every outbox operation with its receipt. Nothing here trusts the
index: the chain is read at one block, so a transaction mined during the check cannot produce a
false difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from chain.client import ChainClient
from chain.contracts import Deployment, Tanhui
from chain.events import fetch_events
from registry import invariants, recovery
from registry.db import Database
from registry.indexer import Indexer, purpose_name, storable
from registry.models import (
    Batch,
    ChainAnomaly,
    ChainOperation,
    Citizen,
    Claim,
    FrozenAccount,
    Holding,
    LedgerPosting,
    Listing,
    MarketBand,
    MarketSetting,
    Participant,
    PointsAct,
    PointsEpoch,
    PointsPartner,
    RegistryMeta,
    Retirement,
    Trade,
)
from registry.scenes import Scene, SceneCertificate
from registry.states import PENDING_OPERATIONS, STANDING_ON_CHAIN, ClaimStatus, OperationStatus, Standing


class Parts(Protocol):
    """What reconciliation reads: the database, its index, and the chain."""

    db: Database
    client: ChainClient
    deployment: Deployment
    tanhui: Tanhui
    indexer: Indexer


@dataclass
class Report:
    block: int
    checked: dict[str, int] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)
    # What the indexer could not take as the chain has it (see registry/indexer.py): reported,
    # not differences — whatever an anomaly left out of the index shows up as one.
    anomalies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def differ(self, subject: str, field_name: str, database: Any, chain: Any) -> None:
        self.differences.append(
            {"subject": subject, "field": field_name, "database": database, "chain": chain}
        )


def reconcile(runtime: Parts) -> Report:
    """Compares the database with the chain. It brings the index up to the chain's head first,
    but changes nothing else: a chain that no longer has the index's last block is reported (the
    service, or ``tanhui relay``, rewinds and heals it)."""
    diverged = _check_index_block(runtime)
    if diverged is not None:
        return diverged
    runtime.indexer.sync(check=False)
    tanhui: Tanhui = runtime.tanhui
    with runtime.db.transaction() as session:
        meta = session.get(RegistryMeta, 1)
        assert meta is not None
        block = meta.indexed_block
        deployed = meta.deployed_block
        batches = list(session.execute(select(Batch).order_by(Batch.id)).scalars())
        holdings = list(session.execute(select(Holding)).scalars())
        retirements = list(session.execute(select(Retirement).order_by(Retirement.certificate_id)).scalars())
        anomalies = list(session.execute(select(ChainAnomaly).order_by(ChainAnomaly.id)).scalars())
        market_rows = _market_rows(session, runtime.deployment.exchange)
        session.expunge_all()

    report = Report(block=block)
    report.anomalies = [
        {
            "block_number": a.block_number,
            "log_index": a.log_index,
            "tx_hash": a.tx_hash,
            "event": a.event,
            "action": a.action,
            "reason": a.reason,
            "data": a.data,
        }
        for a in anomalies
    ]
    for violation in invariants.all_violations(batches, holdings, retirements):
        report.differ(
            violation["subject"],
            f"invariant: {violation['invariant']}",
            violation["found"],
            violation["expected"],
        )

    chain_batches = tanhui.batch_count(block=block)
    if chain_batches != len(batches):
        report.differ("batches", "count", len(batches), chain_batches)
    for b in batches:
        on_chain = tanhui.batch(b.id, block=block)
        for name, db_value, chain_value in (
            ("issued_kg", b.issued_kg, on_chain.issued),
            ("retired_kg", b.retired_kg, on_chain.retired),
            ("invalidated_kg", b.invalidated_kg, on_chain.invalidated),
            ("frozen", b.frozen, on_chain.frozen),
            ("report_hash", b.report_hash, "0x" + on_chain.report_hash.hex()),
            ("project", b.project_hash, "0x" + on_chain.project_id.hex()),
            ("period", [b.period_start, b.period_end], [on_chain.period_start, on_chain.period_end]),
        ):
            if db_value != chain_value:
                report.differ(f"batch {b.id}", name, db_value, chain_value)

    for h in holdings:
        chain_value = tanhui.balance_of(h.address, h.batch_id, block=block)
        if chain_value != h.amount_kg:
            report.differ(f"holding {h.address} batch {h.batch_id}", "amount_kg", h.amount_kg, chain_value)
    indexed = {(h.address, h.batch_id) for h in holdings}
    for address, batch_id in sorted(_credited(runtime, deployed, block) - indexed):
        chain_value = tanhui.balance_of(address, batch_id, block=block)
        if chain_value != 0:
            report.differ(f"holding {address} batch {batch_id}", "amount_kg", None, chain_value)

    chain_certificates = tanhui.certificate_count(block=block)
    if chain_certificates != len(retirements):
        report.differ("retirements", "count", len(retirements), chain_certificates)
    details_by_cert = _retirement_details(runtime, retirements)
    for r in retirements:
        record = tanhui.retirement(r.certificate_id, block=block)
        for name, db_value, chain_value in (
            ("holder", r.holder, record.holder),
            ("batch_id", r.batch_id, record.batch_id),
            ("serial_first", r.serial_first, record.serial_first),
            ("serial_last", r.serial_last, record.serial_last),
            ("purpose", r.purpose, purpose_name(record.purpose)),
            ("block_number", r.block_number, record.block_number),
            ("retired_at", r.retired_at, record.retired_at),
        ):
            if db_value != chain_value:
                report.differ(f"certificate {r.certificate_id}", name, db_value, chain_value)
        details = details_by_cert.get(r.certificate_id)
        if details is None:
            report.differ(f"certificate {r.certificate_id}", "CreditsRetired event", "present", None)
            continue
        for name in DETAIL_FIELDS:
            if getattr(r, name) != details[name]:
                report.differ(f"certificate {r.certificate_id}", name, getattr(r, name), details[name])

    _check_supervision(runtime, report, block)
    report.checked.update(
        {"batches": len(batches), "holdings": len(holdings), "retirements": len(retirements)}
    )
    report.checked["claims"] = _check_claims(runtime, report, block)
    report.checked["points epochs"] = _check_points_epochs(runtime, report, block)
    report.checked["points postings"] = _check_points_ledger(runtime, report)
    report.checked.update(_check_market(runtime, report, block, market_rows))
    report.checked["scene certificates"] = _check_scene_certificates(runtime, report, block)
    report.checked["operations"] = _check_operations(runtime, report)
    return report


def _check_index_block(runtime: Parts) -> Report | None:
    """A report naming the difference when the chain no longer has the index's last block."""
    client = runtime.client
    with runtime.db.transaction() as session:
        meta = session.get(RegistryMeta, 1)
        assert meta is not None
        if recovery.must_rebuild(meta):
            return None  # not the chain's doing: the sync that follows rebuilds the index first
        if not recovery.has_diverged(client, meta):
            return None
        indexed, indexed_hash = meta.indexed_block, meta.indexed_block_hash
    head = client.block_number()
    report = Report(block=min(head, indexed))
    if head < indexed:
        report.differ("index", "last indexed block", indexed, f"the chain's head is block {head}")
    else:
        report.differ(f"block {indexed}", "hash", indexed_hash, str(client.block(indexed)["hash"]))
    return report


def _credited(runtime: Parts, first: int, last: int) -> set[tuple[str, int]]:
    """Every (account, batch) the chain ever credited in [first, last], from its transfer events
    (issuances and transfers alike): the accounts that can hold credits of each batch."""
    decoder = runtime.indexer.decoder
    topics = [[decoder.topic("TransferSingle"), decoder.topic("TransferBatch")]]
    found: set[tuple[str, int]] = set()
    for e in fetch_events(runtime.client, runtime.deployment, first, last, decoder=decoder, topics=topics):
        if e.name == "TransferSingle":
            found.add((e.args["to"], int(e.args["id"])))
        else:
            found.update((e.args["to"], int(i)) for i in e.args["ids"])
    return {(address, batch_id) for address, batch_id in found if int(address, 16) != 0}


def _check_supervision(runtime: Parts, report: Report, block: int) -> None:
    """What the domain checks spends and registrations against: pause flags, frozen accounts,
    participants' standing."""
    tanhui = runtime.tanhui
    with runtime.db.transaction() as session:
        meta = session.get(RegistryMeta, 1)
        assert meta is not None
        flags = {"registry": meta.registry_paused, "credits": meta.credits_paused}
        frozen = {f.address for f in session.execute(select(FrozenAccount)).scalars()}
        people = [
            (p.public_id, p.address, p.chain_status) for p in session.execute(select(Participant)).scalars()
        ]
    for name, on_chain in tanhui.is_paused_each(block=block).items():
        if on_chain != flags[name]:
            report.differ(f"{name} contract", "paused", flags[name], on_chain)
    for address in sorted(frozen | {address for _, address, _ in people}):
        on_chain = tanhui.is_account_frozen(address, block=block)
        if on_chain != (address in frozen):
            report.differ(f"account {address}", "frozen", address in frozen, on_chain)
    for public_id, address, status in people:
        _, chain_status, _ = tanhui.participant(address, block=block)
        expected = STANDING_ON_CHAIN.get(int(chain_status), Standing.PENDING)
        # A pending or failed registration is the registry's own state; the chain has none.
        if status in (Standing.ACTIVE, Standing.SUSPENDED) or expected != Standing.PENDING:
            if status != expected:
                report.differ(f"participant {public_id}", "chain_status", str(status), str(expected))


def _check_claims(runtime: Parts, report: Report, block: int) -> int:
    """Every claim against its account on chain: the credits retired against it (the index's
    sum of its retirements) and, once closed, the footprint, the amount required, its hash
    and the retired total recorded at closing."""
    with runtime.db.transaction() as session:
        rows = [
            (
                c.public_id,
                c.onchain_id,
                c.status,
                c.footprint_kg,
                c.required_kg,
                c.footprint_hash,
                c.retired_at_close,
                c.closed_block,
                int(
                    session.execute(
                        select(func.coalesce(func.sum(Retirement.amount_kg), 0)).where(
                            Retirement.event_id == c.onchain_id
                        )
                    ).scalar_one()
                ),
            )
            for c in session.execute(select(Claim).order_by(Claim.id)).scalars()
        ]
    for (
        public_id,
        onchain_id,
        status,
        footprint,
        required,
        footprint_hash,
        at_close,
        closed_block,
        retired,
    ) in rows:
        account = runtime.tanhui.event_account(bytes.fromhex(onchain_id[2:]), block=block)
        subject = f"claim {public_id}"
        if retired != account.retired_kg:
            report.differ(subject, "retired_kg", retired, account.retired_kg)
        closed = account.closed_at != 0
        if (status == ClaimStatus.NEUTRAL) != closed:
            if status != ClaimStatus.CLOSING or not closed:  # closing: the index follows at once
                report.differ(subject, "closed", str(status), "closed" if closed else "open")
        if closed and status == ClaimStatus.NEUTRAL:
            for name, db_value, chain_value in (
                ("footprint_kg", footprint, account.footprint_kg),
                ("required_kg", required, account.required_kg),
                ("footprint_hash", footprint_hash, "0x" + account.footprint_hash.hex()),
                ("retired_kg_at_close", at_close, account.retired_kg),
                ("closed_block", closed_block, account.closed_block),
            ):
                if db_value != chain_value:
                    report.differ(subject, name, db_value, chain_value)
    return len(rows)


def _check_points_epochs(runtime: Parts, report: Report, block: int) -> int:
    """Every anchored points epoch against the chain's record of it: root, leaves and totals."""
    with runtime.db.transaction() as session:
        rows = [
            (e.epoch, e.root, e.leaf_count, e.total_points, e.total_grams, op.status if op else None)
            for e, op in session.execute(
                select(PointsEpoch, ChainOperation)
                .outerjoin(ChainOperation, ChainOperation.id == PointsEpoch.operation_id)
                .order_by(PointsEpoch.epoch)
            ).tuples()
        ]
    confirmed = [epoch for epoch, *_, status in rows if status == OperationStatus.CONFIRMED]
    last_on_chain = runtime.tanhui.last_points_epoch(block=block)
    if last_on_chain != (max(confirmed) if confirmed else 0):
        # The chain anchored epochs the registry does not count as anchored (a restored database,
        # an operation recorded failed that was mined): every later closing would be refused.
        report.differ("points epochs", "last anchored", max(confirmed) if confirmed else 0, last_on_chain)
    for epoch, root, leaves, points, grams, status in rows:
        if status != OperationStatus.CONFIRMED:
            continue  # on its way to the chain
        on_chain = runtime.tanhui.points_epoch(epoch, block=block)
        for name, db_value, chain_value in (
            ("root", root, "0x" + on_chain.root.hex()),
            ("leaf_count", leaves, on_chain.leaf_count),
            ("total_points", points, on_chain.total_points),
            ("total_grams", grams, on_chain.total_grams),
        ):
            if db_value != chain_value:
                report.differ(f"points epoch {epoch}", name, db_value, chain_value)
    return len(rows)


#: At most this many differences of each kind from the points ledger (a broken ingestion could
#: leave millions of rows wrong; the first ones name the kind and where to look).
LEDGER_SHOWN = 20


def _check_points_ledger(runtime: Parts, report: Report) -> int:
    """The points ledger's own law, set-wise (a database check: the chain holds only the epochs'
    roots): every transaction's postings sum to zero, points and grams; every reference the
    ingestion writes without a foreign key (migration 0015) names a row that exists — a posting's
    citizen and act, an act's citizen and partner; and every act's earning agrees with its act:
    its citizen's posting is the act's citizen, the act was accepted, and an accepted act's own
    earn postings (a campaign's extra points aside) credit exactly the act's points."""
    postings, acts = LedgerPosting, PointsAct
    with runtime.db.reading() as session:
        unbalanced = session.execute(
            select(postings.txn, func.sum(postings.points), func.sum(postings.grams))
            .group_by(postings.txn)
            .having(or_(func.sum(postings.points) != 0, func.sum(postings.grams) != 0))
            .order_by(postings.txn)
            .limit(LEDGER_SHOWN)
        ).all()
        for txn, points, grams in unbalanced:
            subject = f"ledger transaction {txn}"
            report.differ(subject, "sum of postings (points, grams)", [int(points), int(grams)], [0, 0])
        dangling = (
            ("posting", postings.id, postings.citizen_id, Citizen, "citizen_id"),
            ("posting", postings.id, postings.act_id, PointsAct, "act_id"),
            ("act", acts.id, acts.citizen_id, Citizen, "citizen_id"),
            ("act", acts.id, acts.partner_id, PointsPartner, "partner_id"),
        )
        for kind, row_id, reference, target, name in dangling:
            missing = session.execute(
                select(row_id, reference)
                .outerjoin(target, target.id == reference)
                .where(reference.is_not(None), target.id.is_(None))
                .order_by(row_id)
                .limit(LEDGER_SHOWN)
            ).all()
            for found_id, value in missing:
                absent = f"no {target.__tablename__} row {value}"
                report.differ(f"points {kind} {found_id}", name, value, absent)
        # A citizen's earn posting against its act: the same citizen, an accepted act.
        for posting_id, citizen_id, act_citizen, status in session.execute(
            select(postings.id, postings.citizen_id, acts.citizen_id, acts.status)
            .join(acts, acts.id == postings.act_id)
            .where(
                postings.kind == "earn",
                postings.citizen_id.is_not(None),
                or_(
                    postings.citizen_id != acts.citizen_id,
                    acts.citizen_id.is_(None),
                    acts.status != "accepted",
                ),
            )
            .order_by(postings.id)
            .limit(LEDGER_SHOWN)
        ):
            subject = f"points posting {posting_id}"
            if status != "accepted":
                report.differ(subject, "act's status", status, "accepted (an earning's act)")
            else:
                report.differ(subject, "citizen_id", citizen_id, act_citizen)
        # An accepted act's own earning (campaign_id NULL) credits its points, no more, no less
        # (an act capped to nothing has no earning: points credited for it are named too).
        credited = (
            select(postings.act_id, func.sum(postings.points).label("points"))
            .where(postings.kind == "earn", postings.citizen_id.is_not(None), postings.campaign_id.is_(None))
            .group_by(postings.act_id)
            .subquery()
        )
        for act_id, points, got in session.execute(
            select(acts.id, acts.points, func.coalesce(credited.c.points, 0))
            .outerjoin(credited, credited.c.act_id == acts.id)
            .where(
                acts.status == "accepted",
                func.coalesce(credited.c.points, 0) != acts.points,
            )
            .order_by(acts.id)
            .limit(LEDGER_SHOWN)
        ):
            report.differ(f"points act {act_id}", "points earned in the ledger", int(got), int(points))
        return int(session.execute(select(func.count()).select_from(postings)).scalar_one())


@dataclass
class _MarketRows:
    listings: list[Listing]
    trades: list[Trade]
    bands: list[MarketBand]
    settings: list[MarketSetting]
    escrow_held: dict[int, int]


def _market_rows(session: Any, escrow_address: str) -> _MarketRows:
    """The index's market, read with the rest (one snapshot, at the block checked)."""
    return _MarketRows(
        listings=list(session.execute(select(Listing).order_by(Listing.id)).scalars()),
        trades=list(session.execute(select(Trade).order_by(Trade.id)).scalars()),
        bands=list(session.execute(select(MarketBand)).scalars()),
        settings=list(session.execute(select(MarketSetting)).scalars()),
        escrow_held={
            h.batch_id: h.amount_kg
            for h in session.execute(select(Holding).where(Holding.address == escrow_address)).scalars()
        },
    )


def _check_market(runtime: Parts, report: Report, block: int, rows: _MarketRows) -> dict[str, int]:
    """Listings, escrow, trades and the market's rules against the exchange contract: every
    listing's fields and what is left of it, the escrow of each batch (the exchange's balance)
    against the open listings' remainders, every trade, and each band, reference price, project
    type and halt the index holds."""
    tanhui = runtime.tanhui
    escrow_address = runtime.deployment.exchange
    listings, trades, bands, settings = rows.listings, rows.trades, rows.bands, rows.settings
    escrow_held = rows.escrow_held
    chain_listings = tanhui.listing_count(block=block)
    if chain_listings != len(listings):
        report.differ("listings", "count", len(listings), chain_listings)
    open_left: dict[int, int] = {}
    for row in listings:
        on_chain = tanhui.listing(row.id, block=block)
        for name, db_value, chain_value in (
            ("seller", row.seller, on_chain.seller),
            ("batch_id", row.batch_id, on_chain.batch_id),
            ("project_type", row.project_type, on_chain.project_type),
            ("state", row.state, on_chain.state.name.lower()),
            ("amount_kg", row.amount_kg, on_chain.amount),
            ("remaining_kg", row.remaining_kg, on_chain.remaining),
            ("listed_at", row.listed_at, on_chain.listed_at),
        ):
            if db_value != chain_value:
                report.differ(f"listing {row.id}", name, db_value, chain_value)
        if row.state == "open":
            open_left[row.batch_id] = open_left.get(row.batch_id, 0) + row.remaining_kg
    for batch_id in sorted(set(open_left) | set(escrow_held)):
        escrowed = tanhui.balance_of(escrow_address, batch_id, block=block)
        if open_left.get(batch_id, 0) != escrowed:
            report.differ(
                f"escrow batch {batch_id}",
                "open listings' remaining_kg",
                open_left.get(batch_id, 0),
                escrowed,
            )
    chain_trades = tanhui.trade_count(block=block)
    if chain_trades != len(trades):
        report.differ("trades", "count", len(trades), chain_trades)
    for t in trades:
        on_chain_trade = tanhui.trade(t.id, block=block)
        for name, db_value, chain_value in (
            ("trade_ref", t.trade_ref, "0x" + on_chain_trade.trade_ref.hex()),
            ("listing_id", t.listing_id, on_chain_trade.listing_id),
            ("buyer", t.buyer, on_chain_trade.buyer),
            ("amount_kg", t.amount_kg, on_chain_trade.amount),
            ("price_fen_per_t", t.price_fen_per_t, on_chain_trade.price_fen_per_tonne),
            ("certificate_id", t.certificate_id or 0, on_chain_trade.certificate_id),
            ("block_trade", t.block_trade, on_chain_trade.block_trade),
            ("settled_at", t.settled_at, on_chain_trade.settled_at),
        ):
            if db_value != chain_value:
                report.differ(f"trade {t.id}", name, db_value, chain_value)
    for band in bands:
        posted = tanhui.band(band.project_type, band.day, block=block)
        indexed = (band.low, band.high, band.block_low, band.block_high, band.block_min_kg)
        if indexed != posted.as_tuple():
            report.differ(
                f"band of type {band.project_type} day {band.day}",
                "band",
                list(indexed),
                list(posted.as_tuple()),
            )
    for setting in settings:
        value: int
        if setting.kind == "reference_price":
            value = tanhui.reference_price(int(setting.key), block=block)
        elif setting.kind == "methodology_type":
            value = tanhui.methodology_type(bytes.fromhex(setting.key[2:]), block=block)
        elif setting.kind == "type_halt":
            value = int(tanhui.is_type_halted(int(setting.key), block=block))
        else:
            value = int(tanhui.is_batch_halted(int(setting.key), block=block))
        if value != setting.value:
            report.differ(f"{setting.kind.replace('_', ' ')} {setting.key}", "value", setting.value, value)
    return {"listings": len(listings), "trades": len(trades), "market rules": len(bands) + len(settings)}


def _check_scene_certificates(runtime: Parts, report: Report, block: int) -> int:
    """Each scene's latest certificate whose anchoring the chain confirmed, against
    ``sceneCertificate``: its hash and validity, and whether it was revoked (once the
    revocation is confirmed)."""
    with runtime.db.transaction() as session:
        latest = (
            select(SceneCertificate.scene_id, func.max(SceneCertificate.id).label("id"))
            .group_by(SceneCertificate.scene_id)
            .subquery()
        )
        rows = [
            (scene.public_id, scene.onchain_id, cert.certificate_hash, cert.valid_from, cert.valid_until,
             cert.revoked_at is not None, revoke_op.status if revoke_op is not None else None)
            for scene, cert, op, revoke_op in session.execute(
                select(Scene, SceneCertificate, ChainOperation, _RevokeOp)
                .join(latest, latest.c.scene_id == Scene.id)
                .join(SceneCertificate, SceneCertificate.id == latest.c.id)
                .join(ChainOperation, ChainOperation.id == SceneCertificate.operation_id)
                .outerjoin(_RevokeOp, _RevokeOp.id == SceneCertificate.revoke_operation_id)
                .where(ChainOperation.status == OperationStatus.CONFIRMED)
            ).tuples()
        ]  # fmt: skip
    for public_id, onchain_id, cert_hash, valid_from, valid_until, revoked, revoke_status in rows:
        on_chain = runtime.tanhui.scene_certificate(bytes.fromhex(onchain_id[2:]), block=block)
        subject = f"scene {public_id}"
        for name, db_value, chain_value in (
            ("certificate_hash", cert_hash, "0x" + on_chain.certificate_hash.hex()),
            ("valid_from", _unix(valid_from), on_chain.valid_from),
            ("valid_until", _unix(valid_until), on_chain.valid_until),
        ):
            if db_value != chain_value:
                report.differ(subject, name, db_value, chain_value)
        if revoke_status == OperationStatus.CONFIRMED or not revoked:
            if revoked != (on_chain.revoked_at != 0):
                report.differ(subject, "revoked", revoked, on_chain.revoked_at != 0)
    return len(rows)


def _unix(moment: datetime) -> int:
    """Unix seconds of a stored time (SQLite hands back naive datetimes, written in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


_RevokeOp = aliased(ChainOperation)


def _check_operations(runtime: Parts, report: Report) -> int:
    """Every outbox operation against its receipt: confirmed ones mined with status 1 in the
    recorded block, failed ones not mined as successes, pending ones not mined at all."""
    client = runtime.client
    with runtime.db.transaction() as session:
        ops = [
            (op.id, op.status, op.tx_hash, op.block_number)
            for op in session.execute(select(ChainOperation).order_by(ChainOperation.id)).scalars()
        ]
    for op_id, status, tx_hash, recorded_block in ops:
        raw = client.find_receipt(tx_hash)
        mined = None if raw is None else (int(raw["status"]), int(raw["blockNumber"]))
        subject = f"operation {op_id}"
        if status == OperationStatus.CONFIRMED and mined != (1, recorded_block):
            report.differ(subject, "receipt", f"confirmed in block {recorded_block}", mined)
        elif status == OperationStatus.FAILED and mined is not None and mined[0] == 1:
            report.differ(subject, "receipt", "failed", f"mined successfully in block {mined[1]}")
        elif status in PENDING_OPERATIONS and mined is not None and mined[1] <= report.block:
            # (Mined after the block checked: the service is confirming it now, not a difference.)
            report.differ(subject, "receipt", str(status), f"mined in block {mined[1]} (status {mined[0]})")
    return len(ops)


DETAIL_FIELDS = ("beneficiary", "event_id", "jurisdiction", "consumption_start", "consumption_end", "note")


def _retirement_details(runtime: Parts, retirements: list[Retirement]) -> dict[int, dict[str, Any]]:
    """The details of each certificate as its CreditsRetired event on chain states them."""
    found: dict[int, dict[str, Any]] = {}
    for block in sorted({r.block_number for r in retirements}):
        for event in fetch_events(runtime.client, runtime.deployment, block, block):
            if event.name != "CreditsRetired":
                continue
            d = event.retirement_details()
            # As the index stores text (an anomaly records each replacement).
            found[int(event.args["certificateId"])] = {
                "beneficiary": storable(d.beneficiary),
                "event_id": "0x" + d.event_id.hex(),
                "jurisdiction": storable(d.jurisdiction),
                "consumption_start": d.consumption_start,
                "consumption_end": d.consumption_end,
                "note": storable(d.note),
            }
    return found
