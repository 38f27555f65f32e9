"""Read-only views of the index for the public explorer and the supervisors' dashboard.

Every function reads the database only (no chain calls on a page request): what a page shows is
what the indexer took from the chain. The ``chain_check_*`` functions give, for a certificate, a
batch and a claim, the facts as the chain states them, so the visitor's browser can compare them
with the contracts' own views.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from eth_utils.address import is_hex_address, to_checksum_address
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chain.contracts import RetirementPurpose
from registry import champions, market, supervision, views
from registry import claims as claims_module
from registry.clock import from_unix, iso, now
from registry.errors import NotFound
from registry.methodology_review import methodology_key
from registry.models import (
    Batch,
    BlockTime,
    ChainOperation,
    Claim,
    FrozenAccount,
    Holding,
    Invalidation,
    Listing,
    Methodology,
    MonitoringReport,
    Participant,
    Project,
    ReconcileRun,
    RegistryMeta,
    Retirement,
    Trade,
    Transfer,
    Verification,
)
from registry.points import epochs
from registry.states import ProjectStatus

#: Project types as the market names them; a methodology outside them shows under "other".
OTHER_TYPE = "other"
LATEST = 10
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
#: The supervisory operations the dashboard lists with their reasons.
SUPERVISORY_KINDS = (
    "freeze_account",
    "unfreeze_account",
    "freeze_batch",
    "unfreeze_batch",
    "invalidate",
    "pause",
    "unpause",
    "set_halt",
)


def _meta(session: Session) -> RegistryMeta:
    meta = session.get(RegistryMeta, 1)
    if meta is None:
        raise NotFound("the registry has no deployment indexed yet")
    return meta


def contracts(meta: RegistryMeta) -> dict[str, str]:
    out = {"TanhuiRegistry": meta.registry_address, "TanhuiCredits": meta.credits_address}
    if meta.exchange_address:
        out["TanhuiExchange"] = meta.exchange_address
    return out


def _month(seconds: int) -> str:
    return from_unix(seconds).strftime("%Y-%m")


def _types_of_batches(session: Session) -> dict[int, str]:
    """Each batch's project type (its methodology's category), in one query."""
    rows = session.execute(
        select(Batch.id, Methodology.category)
        .outerjoin(Project, Project.onchain_id == Batch.project_hash)
        .outerjoin(Methodology, Methodology.id == Project.methodology_id)
    ).tuples()
    return {bid: (cat if cat in market.PROJECT_TYPES else OTHER_TYPE) for bid, cat in rows}


# -- the home page ---------------------------------------------------------------------------------


def home(session: Session) -> dict[str, Any]:
    """Credits issued, in circulation and retired: totals, by project type and by month (of the
    issuing block and of the retirement), and the latest certificates."""
    types = _types_of_batches(session)
    totals = {"issued_kg": 0, "retired_kg": 0, "invalidated_kg": 0}
    by_type: dict[str, dict[str, int]] = defaultdict(
        lambda: {"issued_kg": 0, "retired_kg": 0, "invalidated_kg": 0}
    )
    issued_by_month: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(Batch, BlockTime.timestamp).outerjoin(BlockTime, BlockTime.block_number == Batch.block_number)
    ).tuples()
    for batch, issued_at in rows:
        for key, value in (
            ("issued_kg", batch.issued_kg),
            ("retired_kg", batch.retired_kg),
            ("invalidated_kg", batch.invalidated_kg),
        ):
            totals[key] += value
            by_type[types.get(batch.id, OTHER_TYPE)][key] += value
        issued_by_month[_month(issued_at if issued_at is not None else batch.period_end)] += batch.issued_kg
    retired_by_month: dict[str, int] = defaultdict(int)
    for retired_at, amount in session.execute(select(Retirement.retired_at, Retirement.amount_kg)).tuples():
        retired_by_month[_month(retired_at)] += amount
    months = sorted(set(issued_by_month) | set(retired_by_month))
    latest = session.execute(
        select(Retirement).order_by(Retirement.certificate_id.desc()).limit(LATEST)
    ).scalars()

    def circulating(t: dict[str, int]) -> int:
        return t["issued_kg"] - t["retired_kg"] - t["invalidated_kg"]

    return {
        "totals": {**totals, "circulating_kg": circulating(totals)},
        "by_type": [
            {"project_type": name, **t, "circulating_kg": circulating(t)}
            for name, t in sorted(by_type.items())
        ],
        "by_month": [
            {"month": m, "issued_kg": issued_by_month.get(m, 0), "retired_kg": retired_by_month.get(m, 0)}
            for m in months
        ],
        "latest": [
            {
                "certificate_id": r.certificate_id,
                "batch_id": r.batch_id,
                "amount_kg": r.amount_kg,
                "beneficiary": r.beneficiary,
                "retired_at": r.retired_at,
                "tx_hash": r.tx_hash,
            }
            for r in latest
        ],
    }


# -- methodologies and projects --------------------------------------------------------------------


def methodologies(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(Methodology).order_by(Methodology.code, Methodology.version)).scalars()
    return [
        {
            "id": m.id,
            "code": m.code,
            "version": m.version,
            "title": m.title,
            "category": m.category,
            "status": str(m.status),
            "chain_status": str(m.chain_status),
            "content_hash": m.content_hash,
            "decided_at": iso(m.decided_at) if m.decided_at else None,
        }
        for m in rows
    ]


#: At most this many rows of one list on a page (the latest first): a page stays small however
#: much an account or a batch has done.
PAGE_ROWS = 200

#: The projects the public sees: those the registrar approved for the chain. A draft, a project
#: under review or a rejected one is its owner's business (the API keeps it to participants).
PUBLIC_PROJECTS = (
    ProjectStatus.APPROVED,
    ProjectStatus.REGISTERED,
    ProjectStatus.SUSPENDED,
    ProjectStatus.CLOSED,
)


def projects(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Project, Methodology.code, Methodology.version, Participant.public_id, Participant.name)
        .join(Methodology, Methodology.id == Project.methodology_id)
        .join(Participant, Participant.id == Project.owner_id)
        .where(Project.status.in_(PUBLIC_PROJECTS))
        .order_by(Project.id)
    ).tuples()
    return [
        {
            "id": p.public_id,
            "name": p.name,
            "location": p.location,
            "status": str(p.status),
            "methodology": f"{code} v{version}",
            "owner": {"id": owner_id, "name": owner_name},
        }
        for p, code, version, owner_id, owner_name in rows
    ]


def _names(session: Session, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Participants by id: (public id, name, address)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Participant.id, Participant.public_id, Participant.name, Participant.address).where(
            Participant.id.in_(ids)
        )
    ).tuples()
    return {i: (pid, name, address) for i, pid, name, address in rows}


def project(session: Session, public_id: str) -> dict[str, Any]:
    """A project with its documents (and their hashes), monitoring reports, verifications and
    the batches issued from them."""
    p = session.execute(
        select(Project).where(Project.public_id == public_id, Project.status.in_(PUBLIC_PROJECTS))
    ).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no project {public_id}", project=public_id)
    methodology = session.get(Methodology, p.methodology_id)
    reports = list(
        session.execute(
            select(MonitoringReport).where(MonitoringReport.project_id == p.id).order_by(MonitoringReport.id)
        ).scalars()
    )
    hashes = [r.report_hash for r in reports]
    batches = dict(
        session.execute(select(Batch.report_hash, Batch.id).where(Batch.report_hash.in_(hashes)))
        .tuples()
        .all()
    )
    who = {p.owner_id} | {v.verifier_id for r in reports for v in r.verifications}
    who |= {rv.reviewer_id for rv in p.reviews}
    names = _names(session, who)
    return {
        "id": p.public_id,
        "name": p.name,
        "description": p.description,
        "location": p.location,
        "status": str(p.status),
        "onchain_id": p.onchain_id,
        "document_hash": p.document_hash,
        "owner": names.get(p.owner_id),
        "methodology": None
        if methodology is None
        else {
            "id": methodology.id,
            "code": methodology.code,
            "version": methodology.version,
            "title": methodology.title,
            "content_hash": methodology.content_hash,
        },
        "documents": [
            {
                "filename": d.filename,
                "content_type": d.content_type,
                "sha256": d.sha256,
                "size": d.size,
                "uploaded_at": iso(d.uploaded_at),
            }
            for d in p.documents
        ],
        "reviews": [
            {
                "reviewer": names.get(rv.reviewer_id),
                "decision": rv.decision,
                "reason": rv.reason,
                "at": iso(rv.created_at),
            }
            for rv in p.reviews
        ],
        "reports": [
            {
                "id": r.public_id,
                "period_start": str(r.period_start),
                "period_end": str(r.period_end),
                "net_kg": r.net_kg,
                "status": str(r.status),
                "report_hash": r.report_hash,
                "batch_id": batches.get(r.report_hash),
                "verifications": [
                    {
                        "verifier": names.get(v.verifier_id),
                        "decision": v.decision,
                        "reason": v.reason,
                        "at": iso(v.created_at),
                    }
                    for v in r.verifications
                ],
            }
            for r in reports
        ],
    }


# -- batches ---------------------------------------------------------------------------------------


def _tx_of_operation(session: Session, op_id: int | None) -> str | None:
    if op_id is None:
        return None
    op = session.get(ChainOperation, op_id)
    return op.tx_hash if op is not None else None


def batch(session: Session, batch_id: int) -> dict[str, Any]:
    """A batch's provenance (methodology, project, verified report, verifier, issuing
    transaction), its holders, listings, trades, transfers and retirements."""
    view = views.batch_detail(session, batch_id)
    report = session.execute(
        select(MonitoringReport).where(MonitoringReport.report_hash == view["report_hash"])
    ).scalar_one_or_none()
    verification = None
    if report is not None:
        approved = [v for v in report.verifications if v.decision == "approve"]
        if approved:
            v: Verification = approved[-1]
            verifier = session.get(Participant, v.verifier_id)
            verification = {
                "verifier": None
                if verifier is None
                else {"id": verifier.public_id, "name": verifier.name, "address": verifier.address},
                "reason": v.reason,
                "at": iso(v.created_at),
                "record_tx": _tx_of_operation(session, v.record_operation_id),
            }
    view["report_detail"] = (
        None
        if report is None
        else {
            "id": report.public_id,
            "net_kg": report.net_kg,
            "period_start": str(report.period_start),
            "period_end": str(report.period_end),
        }
    )
    view["verification"] = verification
    holders = session.execute(
        select(Holding.address, Holding.amount_kg, Participant.public_id, Participant.name)
        .outerjoin(Participant, Participant.address == Holding.address)
        .where(Holding.batch_id == batch_id)
        .order_by(Holding.amount_kg.desc())
        .limit(PAGE_ROWS)
    ).tuples()
    view["holders"] = [
        {"address": a, "amount_kg": kg, "participant": pid, "name": name}
        for a, kg, pid, name in holders
        if kg
    ]
    view["listings"] = [
        {
            "id": li.id,
            "seller": li.seller,
            "state": li.state,
            "amount_kg": li.amount_kg,
            "remaining_kg": li.remaining_kg,
            "listed_at": li.listed_at,
            "tx_hash": li.tx_hash,
        }
        for li in session.execute(
            select(Listing).where(Listing.batch_id == batch_id).order_by(Listing.id.desc()).limit(PAGE_ROWS)
        ).scalars()
    ]
    view["trades"] = [
        {
            "id": t.id,
            "seller": t.seller,
            "buyer": t.buyer,
            "amount_kg": t.amount_kg,
            "price_yuan_per_t": market.yuan(t.price_fen_per_t),
            "settled_at": t.settled_at,
            "tx_hash": t.tx_hash,
        }
        for t in session.execute(
            select(Trade).where(Trade.batch_id == batch_id).order_by(Trade.id.desc()).limit(PAGE_ROWS)
        ).scalars()
    ]
    view["invalidations"] = [
        {"holder": i.holder, "amount_kg": i.amount_kg, "reason": i.reason, "tx_hash": i.tx_hash}
        for i in session.execute(
            select(Invalidation).where(Invalidation.batch_id == batch_id).order_by(Invalidation.id)
        ).scalars()
    ]
    return view


def chain_check_batch(session: Session, batch_id: int, rpc_url: str) -> dict[str, Any]:
    b = views.get_batch(session, batch_id)
    meta = _meta(session)
    return {
        "kind": "batch",
        "id": b.id,
        "chain_id": meta.chain_id,
        "rpc_url": rpc_url,
        "contracts": contracts(meta),
        "facts": {
            "batch_id": b.id,
            "report_hash": b.report_hash,
            "project_id": b.project_hash,
            "issued_kg": b.issued_kg,
            "retired_kg": b.retired_kg,
            "invalidated_kg": b.invalidated_kg,
            "period_start": b.period_start,
            "period_end": b.period_end,
            "tx_hash": b.tx_hash,
            "block_number": b.block_number,
            **_provenance_facts(session, b.report_hash),
        },
    }


def _provenance_facts(session: Session, report_hash: str) -> dict[str, Any]:
    """The batch page's methodology (on-chain id and version) and verifier, as the chain's
    ``batch(id)`` names them, when the registry knows the report."""
    report = session.execute(
        select(MonitoringReport).where(MonitoringReport.report_hash == report_hash)
    ).scalar_one_or_none()
    if report is None:
        return {}
    facts: dict[str, Any] = {}
    project = session.get(Project, report.project_id)
    methodology = session.get(Methodology, project.methodology_id) if project is not None else None
    if methodology is not None:
        facts["methodology_id"] = "0x" + methodology_key(methodology.code).hex()
        facts["methodology_version"] = methodology.version
    approved = [v for v in report.verifications if v.decision == "approve"]
    verifier = session.get(Participant, approved[-1].verifier_id) if approved else None
    if verifier is not None:
        facts["verifier"] = verifier.address
    return facts


# -- certificates ----------------------------------------------------------------------------------


def certificate(session: Session, certificate_id: int) -> dict[str, Any]:
    """A retirement certificate as :func:`registry.views.certificate` shows it, with the claim
    it counts towards (if any)."""
    view = views.certificate(session, certificate_id)
    claim = session.execute(
        select(Claim.public_id, Claim.subject).where(Claim.onchain_id == view["event_id"])
    ).one_or_none()
    view["claim"] = None if claim is None else {"id": claim[0], "subject": claim[1]}
    record = session.get(Retirement, certificate_id)  # in the session already: no query
    assert record is not None
    view["retired_at_unix"] = record.retired_at
    return view


def chain_check_certificate(session: Session, certificate_id: int, rpc_url: str) -> dict[str, Any]:
    r = session.get(Retirement, certificate_id)
    if r is None:
        raise NotFound(f"no retirement certificate {certificate_id}", certificate_id=certificate_id)
    meta = _meta(session)
    purpose = (
        RetirementPurpose[r.purpose.upper()] if r.purpose.upper() in RetirementPurpose.__members__ else None
    )
    return {
        "kind": "certificate",
        "id": r.certificate_id,
        "chain_id": meta.chain_id,
        "rpc_url": rpc_url,
        "contracts": contracts(meta),
        "facts": {
            "certificate_id": r.certificate_id,
            "holder": to_checksum_address(r.holder),
            "batch_id": r.batch_id,
            "amount_kg": r.amount_kg,
            "serial_first": r.serial_first,
            "serial_last": r.serial_last,
            "purpose": int(purpose) if purpose is not None else None,
            "beneficiary": r.beneficiary,
            "event_id": r.event_id,
            "jurisdiction": r.jurisdiction,
            "consumption_start": r.consumption_start,
            "consumption_end": r.consumption_end,
            "note": r.note,
            "retired_at": r.retired_at,
            "tx_hash": r.tx_hash,
            "block_number": r.block_number,
        },
    }


# -- claims ----------------------------------------------------------------------------------------


def claims(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Claim, Participant.public_id, Participant.name)
        .join(Participant, Participant.id == Claim.claimant_id)
        .order_by(Claim.id.desc())
    ).tuples()
    return [
        {
            "id": c.public_id,
            "kind": c.kind,
            "subject": c.subject,
            "status": str(c.status),
            "claimant": {"id": pid, "name": name},
            "footprint_kg": c.footprint_kg,
            "required_kg": c.required_kg,
            "period_start": str(c.period_start),
            "period_end": str(c.period_end),
        }
        for c, pid, name in rows
    ]


def claim(session: Session, public_id: str) -> dict[str, Any]:
    return claims_module.view(session, claims_module.get(session, public_id))


def chain_check_claim(session: Session, public_id: str, rpc_url: str) -> dict[str, Any]:
    c = claims_module.get(session, public_id)
    meta = _meta(session)
    closed_at = None
    if c.closed_block is not None:
        closed_at = session.execute(
            select(BlockTime.timestamp).where(BlockTime.block_number == c.closed_block)
        ).scalar_one_or_none()
    retired = claims_module.retired_against(session, c)
    return {
        "kind": "claim",
        "id": c.public_id,
        "chain_id": meta.chain_id,
        "rpc_url": rpc_url,
        "contracts": contracts(meta),
        # An open claim's footprint is not on chain yet (closing records it): only what was
        # retired against it is checked then, and the box says so.
        "facts": {
            "claim_id": c.public_id,
            "event_id": c.onchain_id,
            "retired_kg": c.retired_at_close if c.retired_at_close is not None else retired,
            **(
                {"footprint_kg": c.footprint_kg, "required_kg": c.required_kg, "closed_at": closed_at or 0}
                if c.closed_block is not None
                else {"closed_at": 0}
            ),
        },
    }


# -- market and points -----------------------------------------------------------------------------


MARKET_DAYS = 30


def market_page(session: Session) -> dict[str, Any]:
    """The last 30 trading days' prices (with their bands), volumes and turnover per project
    type; today's bands and halts."""
    today = market.today()
    return {
        "days": market.market_days(session, None, today - MARKET_DAYS + 1, today),
        "today": market.bands_view(session, today),
        "halts": market.halts_view(session),
    }


def points_page(session: Session) -> dict[str, Any]:
    return {
        "epochs": epochs.listing(session, limit=30),
        "month": champions.leaderboard(session, "month"),
        "year": champions.leaderboard(session, "year"),
    }


# -- accounts --------------------------------------------------------------------------------------


def normal_address(text: str) -> str | None:
    """`text` as a checksummed address, or None when it is not one."""
    text = text.strip()
    if not _ADDRESS.fullmatch(text) or not is_hex_address(text):
        return None
    return to_checksum_address(text.lower())


def account(session: Session, address: str) -> dict[str, Any]:
    """A participant's (or any address's) holdings and history: transfers in and out,
    retirements, trades, and whether it is frozen."""
    checksummed = normal_address(address)
    if checksummed is None:
        raise NotFound(f"{address[:50]!r} is not an address", address=address[:50])
    who = session.execute(
        select(Participant.public_id, Participant.name, Participant.kind).where(
            Participant.address == checksummed
        )
    ).one_or_none()
    holdings = session.execute(
        select(Holding.batch_id, Holding.amount_kg)
        .where(Holding.address == checksummed)
        .order_by(Holding.batch_id)
        .limit(PAGE_ROWS)
    ).tuples()
    transfers = session.execute(
        select(Transfer)
        .where(or_(Transfer.sender == checksummed, Transfer.recipient == checksummed))
        .order_by(Transfer.block_number.desc(), Transfer.log_index.desc(), Transfer.item.desc())
        .limit(PAGE_ROWS)
    ).scalars()
    retired = session.execute(
        select(Retirement)
        .where(Retirement.holder == checksummed)
        .order_by(Retirement.certificate_id.desc())
        .limit(PAGE_ROWS)
    ).scalars()
    frozen = session.get(FrozenAccount, checksummed)
    known = who is not None
    out = {
        "address": checksummed,
        "participant": None if who is None else {"id": who[0], "name": who[1], "kind": who[2]},
        "frozen": None if frozen is None else {"reason": frozen.reason, "block_number": frozen.block_number},
        "holdings": [{"batch_id": b, "amount_kg": kg} for b, kg in holdings if kg],
        "transfers": [
            {
                "batch_id": t.batch_id,
                "direction": "in" if t.recipient == checksummed else "out",
                "counterparty": t.sender if t.recipient == checksummed else t.recipient,
                "amount_kg": t.amount_kg,
                "tx_hash": t.tx_hash,
                "block_number": t.block_number,
            }
            for t in transfers
        ],
        "retirements": [
            {
                "certificate_id": r.certificate_id,
                "batch_id": r.batch_id,
                "amount_kg": r.amount_kg,
                "beneficiary": r.beneficiary,
                "retired_at": r.retired_at,
                "tx_hash": r.tx_hash,
            }
            for r in retired
        ],
    }
    if not known and not out["holdings"] and not out["transfers"] and not out["retirements"]:
        raise NotFound(f"no account {checksummed} in the registry", address=checksummed)
    return out


# -- search ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str  # certificate | batch | transaction | account | project | claim
    label: str
    path: str


def search(session: Session, query: str) -> list[Hit]:
    """What `query` names: a certificate or batch id (a number), a transaction hash, an address,
    a project's or claim's public id, or a project's name (a substring, case-insensitive)."""
    q = query.strip()[:200]
    if not q or not q.isprintable():  # no control characters (a NUL is an error on PostgreSQL)
        return []
    hits: list[Hit] = []
    if q.isascii() and q.isdigit() and len(q) <= 18:
        n = int(q)
        if session.get(Retirement, n) is not None:
            hits.append(Hit("certificate", f"#{n}", f"/certificates/{n}"))
        if session.get(Batch, n) is not None:
            hits.append(Hit("batch", f"#{n}", f"/batches/{n}"))
        return hits
    if _TX_HASH.fullmatch(q):
        tx = q.lower()
        for (cid,) in session.execute(
            select(Retirement.certificate_id).where(func.lower(Retirement.tx_hash) == tx)
        ):
            hits.append(Hit("certificate", f"#{cid}", f"/certificates/{cid}"))
        for (bid,) in session.execute(select(Batch.id).where(func.lower(Batch.tx_hash) == tx)):
            hits.append(Hit("batch", f"#{bid}", f"/batches/{bid}"))
        for (bid,) in session.execute(
            select(Transfer.batch_id).where(func.lower(Transfer.tx_hash) == tx).distinct()
        ):
            if not any(h.path == f"/batches/{bid}" for h in hits):
                hits.append(Hit("transaction", f"batch #{bid}", f"/batches/{bid}"))
        for (cid,) in session.execute(select(Claim.public_id).where(func.lower(Claim.closed_tx) == tx)):
            hits.append(Hit("claim", cid, f"/claims/{cid}"))
        return hits
    address = normal_address(q)
    if address is not None:
        return [Hit("account", address, f"/accounts/{address}")]
    found = session.execute(
        select(Project.public_id, Project.name)
        .where(Project.public_id == q)
        .where(Project.status.in_(PUBLIC_PROJECTS))
    ).one_or_none()
    if found is not None:
        return [Hit("project", f"{found[1]} ({found[0]})", f"/projects/{found[0]}")]
    claim_row = session.execute(
        select(Claim.public_id, Claim.subject).where(Claim.public_id == q)
    ).one_or_none()
    if claim_row is not None:
        return [Hit("claim", f"{claim_row[1]} ({claim_row[0]})", f"/claims/{claim_row[0]}")]
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        select(Project.public_id, Project.name)
        .where(func.lower(Project.name).like(f"%{escaped}%", escape="\\"))
        .where(Project.status.in_(PUBLIC_PROJECTS))
        .order_by(Project.id)
        .limit(50)
    ).tuples()
    return [Hit("project", f"{name} ({pid})", f"/projects/{pid}") for pid, name in rows]


# -- the supervisors' dashboard --------------------------------------------------------------------


def dashboard(session: Session) -> dict[str, Any]:
    """What a supervisor watches (R23–R24): supply against demand by project type (issued,
    listed, retired), issuance against retirement by month, today's prices against their bands,
    frozen accounts and batches, halts, the pause flags, and every supervisory action with its
    reason."""
    summary = home(session)
    types = _types_of_batches(session)
    listed: dict[str, int] = defaultdict(int)
    for batch_id, remaining in session.execute(
        select(Listing.batch_id, Listing.remaining_kg).where(Listing.state == "open")
    ).tuples():
        listed[types.get(batch_id, OTHER_TYPE)] += remaining
    supply = [{**t, "listed_kg": listed.get(t["project_type"], 0)} for t in summary["by_type"]]
    today = market.today()
    prices = market.market_days(session, None, today - 6, today)
    actions = session.execute(
        select(ChainOperation)
        .where(ChainOperation.kind.in_(SUPERVISORY_KINDS))
        .order_by(ChainOperation.id.desc())
        .limit(100)
    ).scalars()
    frozen_batches = session.execute(
        select(Batch.id).where(Batch.frozen.is_(True)).order_by(Batch.id)
    ).scalars()
    return {
        "supply": supply,
        "by_month": summary["by_month"],
        "prices": prices,
        "bands": market.bands_view(session, today),
        "halts": market.halts_view(session),
        "status": supervision.status(session),
        "frozen_batches": list(frozen_batches),
        "actions": [
            {
                "id": op.id,
                "kind": op.kind,
                "status": str(op.status),
                "payload": op.payload,
                "reason": op.payload.get("reason"),
                "tx_hash": op.tx_hash,
                "at": iso(op.created_at),
            }
            for op in actions
        ],
        "recent_days": [str(market.day_date(d)) for d in range(today - 6, today + 1)],
    }


# -- reconcile runs --------------------------------------------------------------------------------

#: At most this many differences are kept with a run (the count is kept whole).
MAX_KEPT_DIFFERENCES = 200


def record_reconcile(session: Session, report: Any, *, by: str) -> ReconcileRun:
    """Stores a reconcile report's summary (`report` is a registry.reconcile.Report)."""
    run = ReconcileRun(
        ran_at=now(),
        ran_by=by[:60],
        block_number=int(report.block),
        ok=bool(report.ok),
        checked={**dict(report.checked), "differences": len(report.differences)},
        differences=list(report.differences)[:MAX_KEPT_DIFFERENCES],
        anomalies=len(report.anomalies),
    )
    session.add(run)
    session.flush()
    return run


def last_reconcile(session: Session) -> dict[str, Any] | None:
    run = session.execute(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(1)).scalar_one_or_none()
    if run is None:
        return None
    return {
        "ran_at": iso(run.ran_at),
        "ran_by": run.ran_by,
        "block_number": run.block_number,
        "ok": run.ok,
        "checked": run.checked,
        "differences": run.differences,
        "difference_count": int(run.checked.get("differences", len(run.differences))),
        "anomalies": run.anomalies,
    }
