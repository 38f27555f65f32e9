"""The market's rules (R21-R24): project types, reference prices, daily price bands and halts,
and the market data the public sees.

The exchange contract enforces the rules; the registry computes each trading day's band of a
project type and posts it on chain before the first settlement that needs it. The band is
centred on the previous close: the volume-weighted average price of the project type's trades
on the previous trading day, or its reference price when there were none. Listed trades settle
within ±10 % of it, block trades (from ``block_trade_min_kg``) within ±30 %, after the national
carbon market's trading rules. Trading days are calendar days of China Standard Time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.contracts import Band, trading_day
from registry.amounts import tonnes
from registry.clock import EPOCH, iso, now
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.errors import InvalidRequest, InvalidState, NoReferencePrice, NotFound, TradingDayClosing
from registry.models import (
    Batch,
    ChainOperation,
    MarketBand,
    MarketSetting,
    Methodology,
    Participant,
    Project,
    Trade,
)
from registry.outbox import Outbox, describe
from registry.states import PENDING_OPERATIONS

#: Project types (R21), as the exchange contract numbers them, by methodology category.
PROJECT_TYPES = {"energy-substitution": 1, "resource-saving": 2, "ecological": 3}
TYPE_NAMES = {number: name for name, number in PROJECT_TYPES.items()}
#: The bands' half-widths in basis points of the previous close.
LISTED_BAND_BP = 1_000
BLOCK_BAND_BP = 3_000
#: From this size (kg) a trade is a block trade, unless the settings say otherwise.
DEFAULT_BLOCK_TRADE_MIN_KG = 100_000
#: Reference prices and band limits are kept below 2^48 fen per tonne (the contract's field).
MAX_PRICE_FEN = 2**48 - 1
#: Gas limits of the operator's market operations (all checked from the index first).
BAND_GAS = 150_000
SETTING_GAS = 150_000

REFERENCE_PRICE = "reference_price"
METHODOLOGY_TYPE = "methodology_type"
TYPE_HALT = "type_halt"
BATCH_HALT = "batch_halt"


def project_type(name: str) -> int:
    """The number of a project type given by name ("ecological") or number ("3")."""
    if name in PROJECT_TYPES:
        return PROJECT_TYPES[name]
    if name.isdigit() and int(name) in TYPE_NAMES:
        return int(name)
    raise InvalidRequest(
        f"project_type must be one of {', '.join(PROJECT_TYPES)}", field="project_type", given=name
    )


def today() -> int:
    """Today's trading day (days since 1970-01-01, China Standard Time)."""
    return trading_day(int(now().timestamp()))


#: Settlements are not taken in the last seconds of a trading day: one mined after midnight
#: would meet the next day's band (none posted yet) and revert.
DAY_CLOSING_SECONDS = 30


def trading_day_open() -> int:
    """Today's trading day, unless it closes within DAY_CLOSING_SECONDS (then TradingDayClosing)."""
    moment = int(now().timestamp())
    day = trading_day(moment)
    if trading_day(moment + DAY_CLOSING_SECONDS) != day:
        raise TradingDayClosing(
            "the trading day closes at midnight China Standard Time: send the settlement again "
            "in a minute, on the next trading day"
        )
    return day


def day_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def date_day(value: date) -> int:
    return (value - EPOCH).days


def utc_time(timestamp: int) -> str:
    """A block's unix time, ISO 8601 in UTC."""
    return iso(datetime.fromtimestamp(timestamp, UTC))


# -- what the index says of the market ----------------------------------------------------------


def setting(session: Session, kind: str, key: str | int) -> MarketSetting | None:
    return session.get(MarketSetting, (kind, str(key)))


def reference_price(session: Session, kind: int) -> int | None:
    row = setting(session, REFERENCE_PRICE, kind)
    return row.value if row is not None else None


def halted(session: Session, kind: int, batch_id: int) -> str | None:
    """Why trading of the project type or the batch is halted (on chain, or by a halt on its way
    there: the operator signs both, so the halt is mined first), or None."""
    for scope, key, what in (
        (TYPE_HALT, kind, f"project type {TYPE_NAMES.get(kind, kind)}"),
        (BATCH_HALT, batch_id, f"batch {batch_id}"),
    ):
        row = setting(session, scope, key)
        if row is not None and row.value:
            return f"trading of {what} is halted: {row.reason}"
        pending = pending_operation(session, "set_halt", scope=scope, key=key)
        if pending is not None and pending.payload.get("halted"):
            return f"trading of {what} is being halted: {pending.payload.get('reason')}"
    return None


def methodology_of_batch(session: Session, batch_id: int) -> Methodology:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}", batch=batch_id)
    methodology = session.execute(
        select(Methodology)
        .join(Project, Project.methodology_id == Methodology.id)
        .where(Project.onchain_id == batch.project_hash)
    ).scalar_one_or_none()
    if methodology is None:
        raise InvalidState(f"batch {batch_id}'s project is not one of this registry's", batch=batch_id)
    return methodology


def type_of_batch(session: Session, batch_id: int) -> int:
    methodology = methodology_of_batch(session, batch_id)
    if methodology.category not in PROJECT_TYPES:
        raise InvalidState(
            f"batch {batch_id}'s methodology has category {methodology.category!r}, which is not traded",
            batch=batch_id,
        )
    return PROJECT_TYPES[methodology.category]


def vwap(trades: list[Trade]) -> int | None:
    """The volume-weighted average price of `trades` in fen per tonne (half up), or None."""
    volume = sum(t.amount_kg for t in trades)
    if volume == 0:
        return None
    turnover = sum((Decimal(t.price_fen_per_t) * t.amount_kg for t in trades), Decimal(0))
    return int((turnover / volume).to_integral_value(ROUND_HALF_UP))


def trades_of_day(session: Session, kind: int, day: int) -> list[Trade]:
    return list(
        session.execute(
            select(Trade).where(Trade.project_type == kind, Trade.day == day).order_by(Trade.id)
        ).scalars()
    )


def previous_close(session: Session, kind: int, day: int) -> int | None:
    """The close of trading day `day - 1`: its volume-weighted average price, or the reference
    price when it had no trades."""
    return vwap(trades_of_day(session, kind, day - 1)) or reference_price(session, kind)


def compute_band(session: Session, kind: int, day: int, block_min_kg: int) -> Band:
    """The band of project type `kind` on trading day `day`, from the index."""
    close = previous_close(session, kind, day)
    if close is None:
        raise NoReferencePrice(
            f"project type {TYPE_NAMES.get(kind, kind)} has no reference price and no trades yet: "
            f"the registrar sets one (POST /v1/market/reference-prices)",
            project_type=TYPE_NAMES.get(kind, str(kind)),
        )
    low, high = _around(close, LISTED_BAND_BP)
    block_low, block_high = _around(close, BLOCK_BAND_BP)
    return Band(low, high, block_low, block_high, block_min_kg)


def _around(close: int, bp: int) -> tuple[int, int]:
    """[close - bp, close + bp] in whole fen, rounded inwards, never below 1 fen."""
    low = -((-close * (10_000 - bp)) // 10_000)  # ceiling
    high = close * (10_000 + bp) // 10_000
    low = max(1, low)
    return low, min(max(low, high), MAX_PRICE_FEN)


def indexed_band(session: Session, kind: int, day: int) -> Band | None:
    row = session.get(MarketBand, (kind, day))
    if row is None:
        return None
    return Band(row.low, row.high, row.block_low, row.block_high, row.block_min_kg)


def pending_operation(session: Session, kind: str, **payload: Any) -> ChainOperation | None:
    """The newest pending operation of `kind` whose payload has these values."""
    rows = session.execute(
        select(ChainOperation)
        .where(ChainOperation.kind == kind, ChainOperation.status.in_(PENDING_OPERATIONS))
        .order_by(ChainOperation.id.desc())
    ).scalars()
    for op in rows:
        if all(op.payload.get(k) == v for k, v in payload.items()):
            return op
    return None


def ensure_band(
    session: Session, outbox: Outbox, kind: int, day: int, block_min_kg: int
) -> tuple[Band, ChainOperation | None]:
    """Today's band of `kind`: as posted on chain, else as a pending posting, else computed now
    and posted (the operation returned, for a settlement to wait on)."""
    band = indexed_band(session, kind, day)
    if band is not None:
        return band, None
    pending = pending_operation(session, "post_band", project_type=kind, day=day)
    if pending is not None:
        return Band(*pending.payload["band"]), pending
    band = compute_band(session, kind, day, block_min_kg)
    op = outbox.enqueue(
        session,
        kind="post_band",
        call=outbox.calls.post_band(kind, day, band),
        signer=outbox.operator,
        payload={"project_type": kind, "day": day, "band": list(band.as_tuple())},
        gas=BAND_GAS,
    )
    return band, op


def ensure_type(session: Session, outbox: Outbox, methodology: Methodology) -> ChainOperation | None:
    """Gives the methodology's credits their project type on chain, unless it has it (or a
    pending operation gives it); returns the operation a listing must wait for, if any."""
    kind = PROJECT_TYPES[methodology.category]
    key = "0x" + keccak(text=methodology.code).hex()
    row = setting(session, METHODOLOGY_TYPE, key)
    if row is not None and row.value == kind:
        return None
    pending = pending_operation(session, "set_methodology_type", methodology=key, project_type=kind)
    if pending is not None:
        return pending
    return outbox.enqueue(
        session,
        kind="set_methodology_type",
        call=outbox.calls.set_methodology_type(bytes.fromhex(key[2:]), kind),
        signer=outbox.operator,
        payload={"methodology": key, "code": methodology.code, "project_type": kind},
        gas=SETTING_GAS,
    )


# -- reference prices and halts (commands) ------------------------------------------------------


def set_reference_price_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    kind: int,
    price_fen: int,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Sets a project type's reference price on chain (R22)."""
    if not 0 < price_fen <= MAX_PRICE_FEN:
        raise InvalidRequest(f"the price must be 1 to {MAX_PRICE_FEN} fen per tonne", field="price_fen_per_t")

    def action(session: Session, me: Participant) -> Done:
        op = outbox.enqueue(
            session,
            kind="set_reference_price",
            call=outbox.calls.set_reference_price(kind, price_fen),
            signer=outbox.operator,
            payload={"project_type": kind, "price_fen_per_t": price_fen, "by": me.public_id},
        )
        return Done(Resource("operation", op.id), [op.id])

    return commands.run(actor, action, render_operation, idempotency=idempotency)


def set_halt_command(
    commands: Commands,
    outbox: Outbox,
    actor: Participant,
    *,
    kind: int | None,
    batch_id: int | None,
    halted_now: bool,
    reason: str,
    idempotency: IdempotencyKey | None,
) -> Answer:
    """Halts or resumes trading of a project type or a batch (R24)."""
    if (kind is None) == (batch_id is None):
        raise InvalidRequest("give either project_type or batch_id", field="project_type")
    if not reason.strip():
        raise InvalidRequest("a reason is required", field="reason")

    def action(session: Session, me: Participant) -> Done:
        scope, key = (TYPE_HALT, kind) if kind is not None else (BATCH_HALT, batch_id)
        assert key is not None
        if scope == BATCH_HALT and session.get(Batch, key) is None:
            raise NotFound(f"no batch {key}", batch=key)
        row = setting(session, scope, key)
        if bool(row is not None and row.value) == halted_now:
            state = "already halted" if halted_now else "not halted"
            raise InvalidState(f"trading of {scope.split('_')[0]} {key} is {state}")
        if pending_operation(session, "set_halt", scope=scope, key=key) is not None:
            raise InvalidState(f"a halt of {scope.split('_')[0]} {key} is pending")
        call = (
            outbox.calls.set_type_halted(key, halted_now, reason)
            if scope == TYPE_HALT
            else outbox.calls.set_batch_halted(key, halted_now, reason)
        )
        op = outbox.enqueue(
            session,
            kind="set_halt",
            call=call,
            signer=outbox.operator,
            payload={"scope": scope, "key": key, "halted": halted_now, "reason": reason, "by": me.public_id},
        )
        return Done(Resource("operation", op.id), [op.id])

    return commands.run(actor, action, render_operation, idempotency=idempotency)


def post_bands_command(
    commands: Commands, outbox: Outbox, actor: Participant, *, block_min_kg: int
) -> Answer:
    """Posts today's band of every project type that has a reference price or trades and no band yet."""

    def action(session: Session, me: Participant) -> Done:
        day = today()
        ops: list[int] = []
        for kind in TYPE_NAMES:
            if indexed_band(session, kind, day) is not None or previous_close(session, kind, day) is None:
                continue
            _, op = ensure_band(session, outbox, kind, day, block_min_kg)
            if op is not None:
                ops.append(op.id)
        return Done(Resource("bands", day), ops)

    def render(session: Session, resource: Resource) -> dict[str, Any]:
        return bands_view(session, int(resource.id))

    return commands.run(actor, action, render)


def render_operation(session: Session, resource: Resource) -> dict[str, Any]:
    op = session.get(ChainOperation, int(resource.id))
    assert op is not None
    return describe(op)


# -- views -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayStats:
    open: int
    high: int
    low: int
    last: int
    vwap: int
    volume_kg: int
    turnover_fen: int
    trades: int


def day_stats(trades: list[Trade]) -> DayStats | None:
    if not trades:
        return None
    prices = [t.price_fen_per_t for t in trades]
    turnover = sum((Decimal(t.price_fen_per_t) * t.amount_kg / 1000 for t in trades), Decimal(0))
    average = vwap(trades)
    assert average is not None
    return DayStats(
        open=prices[0],
        high=max(prices),
        low=min(prices),
        last=prices[-1],
        vwap=average,
        volume_kg=sum(t.amount_kg for t in trades),
        turnover_fen=int(turnover.to_integral_value(ROUND_HALF_UP)),
        trades=len(trades),
    )


def yuan(fen: int | None) -> str | None:
    return None if fen is None else str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def band_view(band: Band | None) -> dict[str, Any] | None:
    if band is None:
        return None
    return {
        "low_fen_per_t": band.low,
        "high_fen_per_t": band.high,
        "block_low_fen_per_t": band.block_low,
        "block_high_fen_per_t": band.block_high,
        "block_min_t": tonnes(band.block_min_kg),
    }


def market_days(session: Session, kind: int | None, first: int, last: int) -> list[dict[str, Any]]:
    """Per project type and trading day in [first, last] with trades: open, high, low, close
    (the day's volume-weighted average, which the next day's band is centred on), last, volume
    and turnover."""
    query = select(Trade).where(Trade.day >= first, Trade.day <= last)
    if kind is not None:
        query = query.where(Trade.project_type == kind)
    grouped: dict[tuple[int, int], list[Trade]] = defaultdict(list)
    for t in session.execute(query.order_by(Trade.id)).scalars():
        grouped[(t.project_type, t.day)].append(t)
    out = []
    for (k, day), trades in sorted(grouped.items(), key=lambda item: (item[0][1], item[0][0])):
        stats = day_stats(trades)
        assert stats is not None
        out.append(
            {
                "project_type": TYPE_NAMES.get(k, str(k)),
                "day": day_date(day).isoformat(),
                "open_fen_per_t": stats.open,
                "high_fen_per_t": stats.high,
                "low_fen_per_t": stats.low,
                "close_fen_per_t": stats.vwap,
                "last_fen_per_t": stats.last,
                "volume_t": tonnes(stats.volume_kg),
                "turnover_yuan": yuan(stats.turnover_fen),
                "trades": stats.trades,
                "band": band_view(indexed_band(session, k, day)),
            }
        )
    return out


def bands_view(session: Session, day: int) -> dict[str, Any]:
    """Each project type on trading day `day`: reference price, previous close, the band posted
    on chain (or the one the registry would post), halts."""
    types = []
    for kind, name in TYPE_NAMES.items():
        posted = indexed_band(session, kind, day)
        close = previous_close(session, kind, day)
        halt = setting(session, TYPE_HALT, kind)
        types.append(
            {
                "project_type": name,
                "reference_price_fen_per_t": reference_price(session, kind),
                "previous_close_fen_per_t": close,
                "band": band_view(posted),
                "posted": posted is not None,
                "halted": bool(halt is not None and halt.value),
                "halt_reason": halt.reason if halt is not None and halt.value else None,
            }
        )
    return {"day": day_date(day).isoformat(), "types": types}


def halts_view(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(MarketSetting)
        .where(MarketSetting.kind.in_((TYPE_HALT, BATCH_HALT)), MarketSetting.value == 1)
        .order_by(MarketSetting.kind, MarketSetting.key)
    ).scalars()
    return [
        {
            "scope": "project_type" if r.kind == TYPE_HALT else "batch",
            "project_type": TYPE_NAMES.get(int(r.key), r.key) if r.kind == TYPE_HALT else None,
            "batch_id": int(r.key) if r.kind == BATCH_HALT else None,
            "reason": r.reason,
            "block_number": r.block_number,
        }
        for r in rows
    ]
