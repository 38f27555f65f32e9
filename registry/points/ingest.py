"""Data partners, citizens, and the ingestion of citizens' acts.

A partner reports acts in batches of up to ``MAX_BATCH`` records, the raw body signed with
HMAC-SHA256 under the partner's key. The key is derived from the registry's secret and the
partner's id (shown once, when the partner is registered; never stored). Every record is either
accepted — valued by its scene's rules, capped per citizen and day and month, and written to the
ledger — or rejected with a reason code. A partner's record id counts once: a resent batch
changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any, NamedTuple, cast

from eth_utils.crypto import keccak
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from registry import campaigns
from registry.clock import now
from registry.errors import InvalidRequest, NotFound, RegistryError
from registry.models import Citizen, LedgerPosting, PointsAct, PointsPartner
from registry.points import bulk, ledger, valuation
from registry.scenes import CertificateCheck, certificate_check

MAX_BATCH = 10_000
#: The columns of an act's row (``_Act.row``), in the order the ingestion streams them (PostgreSQL).
ACT_COLUMNS = (
    "id", "partner_id", "record_id", "citizen_id", "scene", "occurred_at", "day", "quantity", "device",
    "grams", "points", "status", "reason", "received_at",
)  # fmt: skip
#: How late a record may arrive, and how far in the future its time may be (clock skew).
MAX_AGE = timedelta(days=90)
MAX_SKEW = timedelta(minutes=5)
#: Points are valid this long after the day they were earned.
VALIDITY = timedelta(days=730)
#: One device reporting more acts than this within a minute is a burst (fraud rule).
DEVICE_BURST = 20


class BadSignature(RegistryError):
    code = "bad_signature"
    status = 401


class BatchTooLarge(RegistryError):
    code = "batch_too_large"
    status = 413


# -- partners and citizens ----------------------------------------------------------------------


def partner_key(registry_secret: str, partner_public_id: str) -> bytes:
    """The partner's signing key: HMAC of its id under the registry's secret."""
    return hmac.new(
        registry_secret.encode(), f"tanhui/points-partner/{partner_public_id}".encode(), hashlib.sha256
    ).digest()


def register_partner(
    session: Session, registry_secret: str, name: str, scenes: Sequence[str]
) -> tuple[PointsPartner, str]:
    known = set(valuation.scene_codes())
    unknown = sorted(set(scenes) - known)
    if unknown or not scenes:
        raise InvalidRequest(f"scenes must be some of {', '.join(sorted(known))}", field="scenes")
    partner = PointsPartner(
        public_id="ptn_" + secrets.token_hex(6), name=name, scenes=sorted(set(scenes)), created_at=now()
    )
    session.add(partner)
    session.flush()
    return partner, partner_key(registry_secret, partner.public_id).hex()


def partner_for(
    session: Session, registry_secret: str, public_id: str | None, body: bytes, signature: str | None
) -> PointsPartner:
    """The partner whose key signed `body`; BadSignature (401) otherwise, for an unknown partner too."""
    partner = None
    if public_id:
        partner = session.execute(
            select(PointsPartner).where(PointsPartner.public_id == public_id)
        ).scalar_one_or_none()
    expected = hmac.new(partner_key(registry_secret, public_id or "-"), body, hashlib.sha256).hexdigest()
    given = (signature or "").strip().lower().encode("utf-8", "replace")
    if partner is None or not given or not hmac.compare_digest(expected.encode(), given):
        raise BadSignature(
            "the batch is not signed with a registered partner's key (X-Tanhui-Partner, X-Tanhui-Signature)"
        )
    return partner


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_citizen(session: Session) -> tuple[Citizen, str]:
    """A new pseudonymous citizen and its token (shown once). Its pseudonym — keccak-256 of a
    random salt and its id — keys its leaf on chain; nothing personal goes there."""
    public_id = "ctz_" + secrets.token_hex(6)
    salt = secrets.token_hex(32)
    token = "tc_" + secrets.token_urlsafe(32)
    citizen = Citizen(
        public_id=public_id,
        pseudonym="0x" + keccak(bytes.fromhex(salt) + public_id.encode()).hex(),
        salt=salt,
        token_hash=hash_token(token),
        created_at=now(),
    )
    session.add(citizen)
    session.flush()
    return citizen, token


def citizen_by_token(session: Session, token: str | None) -> Citizen:
    from registry.errors import Unauthenticated

    if not token:
        raise Unauthenticated("a citizen's token is required (Authorization: Bearer <token>)")
    citizen = session.execute(
        select(Citizen).where(Citizen.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if citizen is None or citizen.closed_at is not None:
        raise Unauthenticated("the citizen's token is not valid")
    return citizen


# -- ingestion ----------------------------------------------------------------------------------


class Outcome(NamedTuple):
    """A record's outcome (a named tuple: ten thousand a batch are made in the hot loop)."""

    record_id: str
    status: str  # accepted | rejected | duplicate
    reason: str | None = None
    points: int = 0
    grams: int = 0


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            return None
        return parsed.astimezone(UTC)  # in range once in UTC (an offset may overflow year 1 or 9999)
    except (ValueError, OverflowError):
        return None


def _parse_quantity(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal) or len(str(value)) > 30:
        return None
    try:
        quantity = Decimal(str(value))
    except InvalidOperation:
        return None
    return quantity if quantity.is_finite() else None


def ingest(
    session: Session,
    partner: PointsPartner,
    records: Sequence[Mapping[str, Any]],
    *,
    validity: timedelta = VALIDITY,
) -> list[Outcome]:
    """Values and records a batch; returns each record's outcome, in order. Points earned on a
    day stay valid for `validity` after it."""
    if len(records) > MAX_BATCH:
        raise BatchTooLarge(f"{len(records)} records; a batch holds at most {MAX_BATCH}", limit=MAX_BATCH)
    received = now()
    # One batch of a partner at a time (its record ids count once), and the citizens it names
    # locked in id order (their caps are read and raised by one batch at a time): FOR UPDATE on
    # PostgreSQL; SQLite's write lock serialises the batches already.
    session.execute(select(PointsPartner.id).where(PointsPartner.id == partner.id).with_for_update())
    conn = session.connection()
    ids = [_record_id(r) for r in records]
    earlier = dict(
        session.execute(
            select(PointsAct.record_id, PointsAct.status).where(
                PointsAct.partner_id == partner.id, bulk.among(conn, PointsAct.record_id, set(ids))
            )
        )
        .tuples()
        .all()
    )
    # An accepted record counts once; a rejected one may come again, corrected: its rejection
    # (which wrote nothing else) gives way to the new outcome.
    seen_before = {record_id for record_id, status in earlier.items() if status == "accepted"}
    retried = [record_id for record_id, status in earlier.items() if status != "accepted"]
    if retried:
        session.execute(
            delete(PointsAct).where(
                PointsAct.partner_id == partner.id,
                bulk.among(conn, PointsAct.record_id, retried),
                PointsAct.status == "rejected",
            )
        )
    named = {str(r.get("citizen", "")) for r in records if isinstance(r, Mapping)}
    citizens = {
        c.public_id: c
        for c in session.execute(
            select(Citizen)
            .where(bulk.among(conn, Citizen.public_id, named))
            .order_by(Citizen.id)
            .with_for_update()
        ).scalars()
    }
    # What each (citizen, scene) earned already on the days and in the months the batch touches.
    citizen_ids = {c.id for c in citizens.values()}
    earned_day: dict[tuple[int, str, date], int] = defaultdict(int)
    earned_month: dict[tuple[int, str, int, int], int] = defaultdict(int)
    trips: set[tuple[int, str, str]] = set()
    device_minute: dict[tuple[str, str], int] = defaultdict(int)
    # The days of the records that can be accepted at all (within MAX_AGE and MAX_SKEW of
    # receipt): a record dated far away is rejected for its time and must not widen the reads.
    moments = [_parse_time(r.get("occurred_at")) if isinstance(r, Mapping) else None for r in records]
    days = {
        moment.date()
        for moment in moments
        if moment is not None and received - MAX_AGE <= moment <= received + MAX_SKEW
    }
    if citizen_ids and days:
        # Sums by day over the whole months the batch touches (a monthly cap counts the month's
        # later days too), and the acts of the very days it touches (for duplicate trips).
        first = min(days).replace(day=1)
        last = (max(days).replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        for cid, scene, day, points in session.execute(
            select(PointsAct.citizen_id, PointsAct.scene, PointsAct.day, func.sum(PointsAct.points))
            .where(
                bulk.among(conn, PointsAct.citizen_id, citizen_ids),
                PointsAct.status == "accepted",
                PointsAct.day >= first,
                PointsAct.day <= last,
            )
            .group_by(PointsAct.citizen_id, PointsAct.scene, PointsAct.day)
        ):
            earned_day[(cid, scene, day)] += int(points)
            earned_month[(cid, scene, day.year, day.month)] += int(points)
        for cid, scene, occurred in session.execute(
            select(PointsAct.citizen_id, PointsAct.scene, PointsAct.occurred_at).where(
                bulk.among(conn, PointsAct.citizen_id, citizen_ids),
                PointsAct.status == "accepted",
                PointsAct.day.in_(days),
            )
        ):
            trips.add((cid, scene, _minute(occurred)))
    # What each of the partner's devices named in the batch reported already, minute by minute
    # (whoever the citizens: a burst split over batches is still a burst).
    devices = {
        str(r["device"])[:100] for r in records if isinstance(r, Mapping) and r.get("device") is not None
    }
    if devices:
        horizon = (received - MAX_AGE).date()
        for device, occurred in session.execute(
            select(PointsAct.device, PointsAct.occurred_at).where(
                PointsAct.partner_id == partner.id,
                bulk.among(conn, PointsAct.device, devices),
                PointsAct.status == "accepted",
                PointsAct.day >= horizon,
            )
        ):
            device_minute[(str(device), _minute(occurred))] += 1
    certified = certificate_check(session, records, "certified_purchase")  # R9: is the scene certified?
    # The campaigns in force on the (CST) days the batch touches, loaded once; and the bonuses
    # its citizens were granted already on those days (a bonus is once a citizen, campaign and day).
    offers = campaigns.Offers(())
    bonused: set[tuple[int, int, date]] = set()
    if days:
        offers = campaigns.offers(session, partner.scenes, min(days), max(days) + timedelta(days=1))
    if offers.bonus_ids and citizen_ids:
        for cid, campaign_id, occurred in session.execute(
            select(LedgerPosting.citizen_id, LedgerPosting.campaign_id, PointsAct.occurred_at)
            .join(PointsAct, PointsAct.id == LedgerPosting.act_id)
            .where(
                LedgerPosting.campaign_id.in_(offers.bonus_ids),
                LedgerPosting.citizen_id.in_(citizen_ids),
                LedgerPosting.kind == "earn",
            )
        ):
            bonused.add((cid, campaign_id, campaigns.cst_day(occurred)))
    rows: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    boosts: dict[str, tuple[int, int]] = {}  # record id -> (campaign id, extra points)
    in_batch: set[str] = set()
    acts = cast(Table, PointsAct.__table__)
    postgres = bulk.is_postgres(conn)
    with ExitStack() as streaming:
        if postgres and records:
            # The acts stream to the server (COPY) as they are valued, so that it stores and
            # indexes them while this loop runs; their ids are drawn from the sequence first,
            # one a record (COPY returns none; a duplicate's id is a gap, as a rollback's is).
            fresh = iter(bulk.next_ids(session, acts, len(records)))
            write = streaming.enter_context(bulk.copy_rows(session, acts, ACT_COLUMNS))
            values = itemgetter(*ACT_COLUMNS)
        for record, record_id, occurred in zip(records, ids, moments, strict=True):
            outcome, row = _one(
                partner, record, record_id, occurred, received, seen_before, in_batch, citizens,
                earned_day, earned_month, trips, device_minute, certified,
            )  # fmt: skip
            if offers and row is not None and outcome.points > 0:
                # After the caps: the campaign adds to the capped base points (which alone count
                # against the caps); see registry/campaigns.py.
                day = campaigns.cst_day(row["occurred_at"])
                offer = offers.find(row["scene"], day)
                if offer is not None:
                    key = (row["citizen_id"], offer.id, day)
                    extra = offer.extra(outcome.points, bonus_due=key not in bonused)
                    if extra > 0:
                        if offer.bonus_points is not None:
                            bonused.add(key)
                        boosts[record_id] = (offer.id, extra)
                        outcome = outcome._replace(points=outcome.points + extra)
            outcomes.append(outcome)
            if row is not None:
                if postgres:
                    row["id"] = next(fresh)
                    write(values(row))
                rows.append(row)
    if rows:
        earning = {row["record_id"]: row for row in rows if row["status"] == "accepted" and row["points"] > 0}
        act_ids: list[tuple[int, str]]
        if postgres:
            act_ids = [(row["id"], record_id) for record_id, row in earning.items()]
        else:
            # Core statements, many rows each (the ORM's bulk path runs one statement a row
            # here); the ids read back after.
            conn.execute(acts.insert(), rows)
            act_ids = (
                list(
                    conn.execute(
                        select(acts.c.id, acts.c.record_id).where(
                            acts.c.partner_id == partner.id, acts.c.record_id.in_(list(earning))
                        )
                    ).tuples()
                )
                if earning
                else []
            )
        postings: list[tuple[Any, ...]] = []
        for act_id, record_id in act_ids:
            row = earning[record_id]
            expires_on = row["day"] + validity
            postings += ledger.earn_postings(
                row["citizen_id"], act_id, row["points"], row["grams"], expires_on, received
            )
            if record_id in boosts:
                # The campaign's extra points: a second pair of postings in the act's own
                # transaction, no grams, carrying the campaign's id.
                campaign_id, extra = boosts[record_id]
                postings += ledger.earn_postings(
                    row["citizen_id"], act_id, extra, 0, expires_on, received, campaign_id
                )
        bulk.insert_tuples(session, cast(Table, LedgerPosting.__table__), ledger.POSTING_COLUMNS, postings)
    return outcomes


def _record_id(record: Any) -> str:
    """A record's id: a non-empty string (or an integer, as its decimal text); "" for anything else."""
    if not isinstance(record, Mapping):
        return ""
    value = record.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)


def _minute(moment: datetime) -> str:
    """The moment's minute in UTC, as ``YYYY-MM-DDTHH:MM`` (one key for the trips and bursts)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="minutes")[:16]


def _one(
    partner: PointsPartner,
    record: Mapping[str, Any],
    record_id: str,
    occurred: datetime | None,
    received: datetime,
    seen_before: set[str],
    in_batch: set[str],
    citizens: Mapping[str, Citizen],
    earned_day: dict[tuple[int, str, date], int],
    earned_month: dict[tuple[int, str, int, int], int],
    trips: set[tuple[int, str, str]],
    device_minute: dict[tuple[str, str], int],
    certified: CertificateCheck,
) -> tuple[Outcome, dict[str, Any] | None]:
    """One record's outcome and, unless it is a duplicate of one already counted, its row."""
    if not isinstance(record, Mapping) or not record_id or len(record_id) > 100:
        return Outcome(record_id[:100], "rejected", "bad_record"), None
    if record_id in seen_before or record_id in in_batch:
        return Outcome(record_id, "duplicate"), None
    in_batch.add(record_id)
    scene = str(record.get("scene", ""))[:40]
    device = record.get("device")
    device = str(device)[:100] if device is not None else None
    citizen = citizens.get(str(record.get("citizen", "")))
    act = _Act(partner, record, record_id, scene, citizen, occurred, received, device)
    reason = _refusal(partner, scene, citizen, occurred, received)
    if reason is not None:
        return act.rejected(reason)
    assert citizen is not None and occurred is not None  # _refusal checked both
    quantity = _parse_quantity(record.get("quantity"))
    if quantity is None:
        return act.rejected("bad_quantity")
    value = valuation.value(scene, quantity, record.get("detail"))
    if isinstance(value, str):
        # the scene's own reason: impossible_distance, negative_quantity...
        return act.rejected(value)
    if scene == "certified_purchase" and (uncertified := certified(record.get("detail"), occurred)):
        # scene_not_certified, missing_scene
        return act.rejected(uncertified)
    grams, points = value
    stamp = _minute(occurred)
    cid = citizen.id
    reason = None
    if (cid, scene, stamp) in trips:
        reason = "duplicate_trip"  # the same act from another partner, or twice
    elif device is not None and device_minute[(device, stamp)] >= DEVICE_BURST:
        reason = "device_burst"
    else:
        day = occurred.date()  # in UTC already (_parse_time)
        daily_cap, monthly_cap = valuation.caps(scene)
        day_key, month_key = (cid, scene, day), (cid, scene, day.year, day.month)
        room = min(daily_cap - earned_day[day_key], monthly_cap - earned_month[month_key])
        if room <= 0:
            reason = "cap_reached"
    if reason is not None:
        return act.rejected(reason)
    if points > room:  # capped: the grams follow the points credited
        grams = grams * room // points if points else 0
        points = room
    earned_day[day_key] += points
    earned_month[month_key] += points
    trips.add((cid, scene, stamp))
    if device is not None:
        device_minute[(device, stamp)] += 1
    row = act.row(None)
    row.update(grams=grams, points=points, status="accepted")
    return Outcome(record_id, "accepted", None, points, grams), row


def _refusal(
    partner: PointsPartner, scene: str, citizen: Citizen | None, occurred: datetime | None, received: datetime
) -> str | None:
    """Why a record cannot be valued at all (before its quantity is read), or None."""
    if scene not in valuation.scene_codes():
        return "unknown_scene"
    if scene not in partner.scenes:
        return "scene_not_allowed"
    if citizen is None or citizen.closed_at is not None:
        return "unknown_citizen"
    if occurred is None:
        return "bad_time"
    if occurred > received + MAX_SKEW:
        return "future_time"
    if occurred < received - MAX_AGE:
        return "too_old"
    return None


class _Act(NamedTuple):
    """A record being valued, with what its row is made of."""

    partner: PointsPartner
    record: Mapping[str, Any]
    record_id: str
    scene: str
    citizen: Citizen | None
    occurred: datetime | None
    received: datetime
    device: str | None

    def row(self, reason: str | None) -> dict[str, Any]:
        """The act's row, as a rejection for `reason` (an accepted act's caller sets its numbers
        and status)."""
        at = self.occurred or self.received
        return {
            "partner_id": self.partner.id,
            "record_id": self.record_id,
            "citizen_id": self.citizen.id if self.citizen is not None else None,
            "scene": self.scene,
            "occurred_at": at,
            "day": at.astimezone(UTC).date(),
            "quantity": str(self.record.get("quantity", ""))[:40],
            "device": self.device,
            "grams": 0,
            "points": 0,
            "status": "rejected",
            "reason": reason,
            "received_at": self.received,
        }

    def rejected(self, reason: str) -> tuple[Outcome, dict[str, Any]]:
        return Outcome(self.record_id, "rejected", reason), self.row(reason)


def rejections(session: Session, partner: PointsPartner, limit: int = 1000) -> list[dict[str, Any]]:
    """The partner's rejected records, newest first."""
    acts = session.execute(
        select(PointsAct)
        .where(PointsAct.partner_id == partner.id, PointsAct.status == "rejected")
        .order_by(PointsAct.id.desc())
        .limit(limit)
    ).scalars()
    return [
        {"id": a.record_id, "reason": a.reason, "scene": a.scene, "received_at": a.received_at.isoformat()}
        for a in acts
    ]


def history(session: Session, citizen: Citizen, limit: int = 1000) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LedgerPosting, PointsAct.scene, PointsAct.occurred_at, campaigns.Campaign.name)
        .outerjoin(PointsAct, PointsAct.id == LedgerPosting.act_id)
        .outerjoin(campaigns.Campaign, campaigns.Campaign.id == LedgerPosting.campaign_id)
        .where(LedgerPosting.account == ledger.citizen_account(citizen.id))
        .order_by(LedgerPosting.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "kind": p.kind,
            "points": p.points,
            "grams": p.grams,
            "scene": scene,
            "occurred_at": occurred.isoformat() if occurred else None,
            "expires_on": str(p.expires_on) if p.expires_on else None,
            "at": p.created_at.isoformat(),
            # The campaign whose extra points the entry carries: present only then.
            **({"campaign": {"id": p.campaign_id, "name": name}} if p.campaign_id is not None else {}),
        }
        for p, scene, occurred, name in rows
    ]


def partner_get(session: Session, public_id: str) -> PointsPartner:
    partner = session.execute(
        select(PointsPartner).where(PointsPartner.public_id == public_id)
    ).scalar_one_or_none()
    if partner is None:
        raise NotFound(f"no partner {public_id}", partner=public_id)
    return partner


def acts_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(PointsAct)).scalar_one())
