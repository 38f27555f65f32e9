"""The merchant alliance's mall (R17, R19): approved merchants list items for points; a citizen
redeems one for a one-time voucher; the merchant confirms it once, at its own counter; an
unconfirmed voucher expires and its points come back; each merchant gets a monthly statement.

**Merchants.** A participant with the ``merchant`` role is not yet a mall merchant: the registrar
approves it into the alliance (:func:`approve_merchant`), under a display name. Only an approved
merchant lists items and confirms vouchers (``merchant_not_approved`` otherwise).

**The ledger** (registry/points/ledger.py). A redemption is a ``redeem`` transaction from
``citizen:<id>`` to ``voucher:<voucher id>``: the voucher holds the points. Confirming it is a
``settle`` transaction from the voucher to ``merchant:<merchant id>``; its expiry a ``refund``
back to the citizen. Every transaction sums to zero, and a voucher's account is 0 once it is
confirmed or expired.

**Concurrency.** A redemption runs in one database transaction: it locks the citizen's row
(:func:`registry.points.ledger.lock_citizen`) and then the item's row (:func:`lock_item`) with
``SELECT ... FOR UPDATE`` before it reads the balance and the stock, so concurrent redemptions
are checked one after the other and never overdraw either (SQLite serialises writers with
``BEGIN IMMEDIATE``). Locks are always taken citizen first, then item: no deadlock.

**Voucher codes.** 12 characters of an alphabet without look-alikes (``0/O``, ``1/I/L``): about
59 bits, from :mod:`secrets`. Only the code's SHA-256 is stored; the code is shown once, to the
citizen who redeemed. A merchant may type it in lower case, with spaces or dashes.

**Months** of statements are in China Standard Time (UTC+8).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry import clock, participants
from registry.errors import Conflict, Forbidden, InvalidRequest, NotFound
from registry.models import Base, Citizen, Participant
from registry.points import ledger

#: How long a voucher can be confirmed after its redemption (a parameter of :func:`redeem`).
VOUCHER_VALIDITY = timedelta(days=30)
#: The alphabet and length of voucher codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
#: China Standard Time: the statements' months.
CST = timezone(timedelta(hours=8), "CST")
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_POINTS = 10**12
MAX_STOCK = 10**9

APPROVED = "approved"
ISSUED, CONFIRMED, EXPIRED = "issued", "confirmed", "expired"


# -- errors (stable codes) ----------------------------------------------------------------------


class NotAMerchant(Conflict):
    """Only a participant with the ``merchant`` role joins the alliance."""

    code = "not_a_merchant"


class MerchantAlreadyApproved(Conflict):
    code = "merchant_already_approved"


class MerchantNotApproved(Forbidden):
    """The participant has the ``merchant`` role but the registrar has not approved it into the
    alliance."""

    code = "merchant_not_approved"


class ItemNotFound(NotFound):
    code = "item_not_found"


class ItemNotAvailable(Conflict):
    """The item was withdrawn by its merchant."""

    code = "item_not_available"


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class OutOfStock(Conflict):
    code = "out_of_stock"


class VoucherNotFound(NotFound):
    """No voucher with this code at this merchant: unknown, or another merchant's (a merchant
    cannot tell which, so it cannot probe other merchants' codes)."""

    code = "voucher_not_found"


class VoucherAlreadyConfirmed(Conflict):
    code = "voucher_already_confirmed"


class VoucherExpired(Conflict):
    code = "voucher_expired"


# -- models -------------------------------------------------------------------------------------


class MallMerchant(Base):
    """A participant with the ``merchant`` role approved into the alliance by the registrar."""

    __tablename__ = "mall_merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(MAX_NAME))
    status: Mapped[str] = mapped_column(String(20))  # approved
    approved_by: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MallItem(Base):
    """An item a merchant offers for points, with the stock left."""

    __tablename__ = "mall_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("mall_merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    description: Mapped[str] = mapped_column(String(MAX_DESCRIPTION))
    points_price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MallVoucher(Base):
    """A redemption: the one-time code's hash, the points it holds (``voucher:<id>``), and its
    fate: issued, then confirmed by its merchant or expired (its points refunded)."""

    __tablename__ = "mall_vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("mall_items.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("mall_merchants.id"), index=True)
    item_name: Mapped[str] = mapped_column(String(MAX_NAME))  # as redeemed
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), index=True)  # issued | confirmed | expired
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    redeem_txn: Mapped[str] = mapped_column(String(40))
    close_txn: Mapped[str | None] = mapped_column(String(40), nullable=True)  # settle | refund


def _utc(moment: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive datetimes; they were written in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- merchants ----------------------------------------------------------------------------------


def approve_merchant(
    session: Session, registrar: Participant, participant_id: str, display_name: str
) -> MallMerchant:
    """Approves a participant with the ``merchant`` role into the alliance (the registrar)."""
    participants.require_role(registrar, "registrar")
    name = _text(display_name, "display_name", MAX_NAME)
    participant = participants.get(session, participant_id)
    if "merchant" not in participant.role_names:
        raise NotAMerchant(
            f"participant {participant_id} does not have the merchant role", participant=participant_id
        )
    existing = session.execute(
        select(MallMerchant).where(MallMerchant.participant_id == participant.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise MerchantAlreadyApproved(
            f"participant {participant_id} is already a mall merchant", merchant=existing.id
        )
    merchant = MallMerchant(
        participant_id=participant.id,
        display_name=name,
        status=APPROVED,
        approved_by=registrar.id,
        approved_at=clock.now(),
    )
    session.add(merchant)
    session.flush()
    return merchant


def merchant_of(session: Session, participant: Participant) -> MallMerchant:
    """The participant's approved mall merchant (``merchant_not_approved`` otherwise)."""
    participants.require_role(participant, "merchant")
    merchant = session.execute(
        select(MallMerchant).where(MallMerchant.participant_id == participant.id)
    ).scalar_one_or_none()
    if merchant is None or merchant.status != APPROVED:
        raise MerchantNotApproved(
            f"participant {participant.public_id} is not an approved mall merchant; the registrar "
            "approves merchants (POST /v1/mall/merchants)"
        )
    return merchant


def merchants(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(MallMerchant, Participant.public_id)
        .join(Participant, Participant.id == MallMerchant.participant_id)
        .where(MallMerchant.status == APPROVED)
        .order_by(MallMerchant.id)
    ).all()
    return [merchant_dict(m, public_id) for m, public_id in rows]


def merchant_dict(merchant: MallMerchant, participant_public_id: str) -> dict[str, Any]:
    return {
        "id": merchant.id,
        "participant_id": participant_public_id,
        "display_name": merchant.display_name,
        "status": merchant.status,
        "approved_at": clock.iso(merchant.approved_at),
    }


# -- items --------------------------------------------------------------------------------------


def _text(value: str, field: str, limit: int, *, empty: bool = False) -> str:
    value = value.strip()
    if (not value and not empty) or len(value) > limit:
        raise InvalidRequest(f"{field} is 1 to {limit} characters", field=field)
    return value


def _count(value: int, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"{field} is a whole number from {low} to {high}", field=field)
    return value


def add_item(
    session: Session,
    merchant_participant: Participant,
    *,
    name: str,
    description: str = "",
    points_price: int,
    stock: int,
) -> MallItem:
    """A new item of the participant's approved merchant."""
    merchant = merchant_of(session, merchant_participant)
    at = clock.now()
    item = MallItem(
        merchant_id=merchant.id,
        name=_text(name, "name", MAX_NAME),
        description=_text(description, "description", MAX_DESCRIPTION, empty=True),
        points_price=_count(points_price, "points_price", low=1, high=MAX_POINTS),
        stock=_count(stock, "stock", low=0, high=MAX_STOCK),
        active=True,
        created_at=at,
        updated_at=at,
    )
    session.add(item)
    session.flush()
    return item


def lock_item(session: Session, item_id: int) -> MallItem:
    """The item's row, locked until the transaction ends (``SELECT ... FOR UPDATE``)."""
    item = session.execute(
        select(MallItem)
        .where(MallItem.id == item_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if item is None:
        raise ItemNotFound(f"no item {item_id}", item=item_id)
    return item


def update_item(
    session: Session,
    merchant_participant: Participant,
    item_id: int,
    *,
    points_price: int | None = None,
    stock: int | None = None,
    active: bool | None = None,
    name: str | None = None,
    description: str | None = None,
) -> MallItem:
    """Changes one of the merchant's own items: what is given is set (``stock`` is the stock left,
    not a change of it); the rest stays."""
    merchant = merchant_of(session, merchant_participant)
    item = lock_item(session, item_id)
    if item.merchant_id != merchant.id:
        raise ItemNotFound(f"no item {item_id} of this merchant", item=item_id)
    if points_price is not None:
        item.points_price = _count(points_price, "points_price", low=1, high=MAX_POINTS)
    if stock is not None:
        item.stock = _count(stock, "stock", low=0, high=MAX_STOCK)
    if name is not None:
        item.name = _text(name, "name", MAX_NAME)
    if description is not None:
        item.description = _text(description, "description", MAX_DESCRIPTION, empty=True)
    if active is not None:
        item.active = active
    item.updated_at = clock.now()
    session.flush()
    return item


def _items_query() -> Any:
    return select(MallItem, MallMerchant.display_name).join(
        MallMerchant, MallMerchant.id == MallItem.merchant_id
    )


def items(session: Session) -> list[dict[str, Any]]:
    """The active items of approved merchants (public), oldest first."""
    rows = session.execute(
        _items_query().where(MallItem.active.is_(True), MallMerchant.status == APPROVED).order_by(MallItem.id)
    ).all()
    return [item_dict(i, name) for i, name in rows]


def item_view(session: Session, item_id: int) -> dict[str, Any]:
    row = session.execute(_items_query().where(MallItem.id == item_id)).one_or_none()
    if row is None:
        raise ItemNotFound(f"no item {item_id}", item=item_id)
    return item_dict(row[0], row[1])


def item_dict(item: MallItem, merchant_name: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "merchant_id": item.merchant_id,
        "merchant": merchant_name,
        "name": item.name,
        "description": item.description,
        "points_price": item.points_price,
        "stock": item.stock,
        "active": item.active,
        "updated_at": clock.iso(item.updated_at),
    }


# -- redemptions and vouchers -------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


@dataclass(frozen=True)
class Redemption:
    voucher: MallVoucher
    code: str  # shown once
    balance: int  # the citizen's balance after it


def redeem(
    session: Session,
    citizen_id: int,
    item_id: int,
    *,
    now: datetime | None = None,
    validity: timedelta | None = None,
) -> Redemption:
    """Redeems one of the item for the citizen's points, in the caller's transaction: locks the
    citizen then the item, checks the balance and the stock, posts the ``redeem`` transaction
    into the voucher's account, takes one off the stock and issues the voucher (its code shown
    once). ``insufficient_points``, ``out_of_stock``, ``item_not_found`` or ``item_not_available``
    otherwise, with nothing written."""
    at = _utc(now or clock.now())
    ledger.lock_citizen(session, citizen_id)
    item = lock_item(session, item_id)
    merchant = session.get(MallMerchant, item.merchant_id)
    assert merchant is not None
    if not item.active or merchant.status != APPROVED:
        raise ItemNotAvailable(f"item {item_id} is not offered now", item=item_id)
    if item.stock < 1:
        raise OutOfStock(f"item {item_id} is out of stock", item=item_id)
    citizen = session.get(Citizen, citizen_id)
    if citizen is None or citizen.closed_at is not None:
        raise InvalidRequest("the citizen's account is closed", field="citizen")
    # What the citizen can spend: the balance less points past their validity that the day's
    # expiry has not taken yet (they are not the citizen's to spend any more).
    yesterday = at.astimezone(CST).date() - timedelta(days=1)
    points = ledger.balance(session, citizen_id).points - ledger.expirable(session, citizen_id, yesterday)
    if points < item.points_price:
        raise InsufficientPoints(
            f"the item costs {item.points_price} points; the balance is {points}",
            needed=item.points_price,
            balance=points,
        )
    code = new_code()
    voucher = MallVoucher(
        code_hash=hash_code(code),
        citizen_id=citizen_id,
        item_id=item.id,
        merchant_id=merchant.id,
        item_name=item.name,
        points=item.points_price,
        status=ISSUED,
        issued_at=at,
        expires_at=at + (VOUCHER_VALIDITY if validity is None else validity),
        redeem_txn="",
    )
    session.add(voucher)
    session.flush()
    voucher.redeem_txn = ledger.redeem_into_voucher(session, citizen_id, item.points_price, voucher.id, at)
    item.stock -= 1
    item.updated_at = at
    session.flush()
    return Redemption(voucher, code, points - item.points_price)


def confirm_voucher(
    session: Session, merchant_participant: Participant, code: str, *, now: datetime | None = None
) -> MallVoucher:
    """The merchant confirms a voucher at its counter, once: its points go to the merchant
    (``settle``). ``voucher_not_found`` (unknown, or another merchant's),
    ``voucher_already_confirmed``, ``voucher_expired``."""
    at = _utc(now or clock.now())
    merchant = merchant_of(session, merchant_participant)
    voucher = session.execute(
        select(MallVoucher)
        .where(MallVoucher.code_hash == hash_code(code))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if voucher is None or voucher.merchant_id != merchant.id:
        raise VoucherNotFound("no voucher with this code at this merchant")
    if voucher.status == CONFIRMED:
        raise VoucherAlreadyConfirmed(
            f"voucher {voucher.id} was confirmed at {clock.iso(voucher.confirmed_at or at)}",
            voucher=voucher.id,
        )
    if voucher.status == EXPIRED or _utc(voucher.expires_at) <= at:
        raise VoucherExpired(
            f"voucher {voucher.id} expired at {clock.iso(voucher.expires_at)}", voucher=voucher.id
        )
    voucher.close_txn = ledger.settle_voucher(session, voucher.id, merchant.id, at)
    voucher.status = CONFIRMED
    voucher.confirmed_at = at
    session.flush()
    return voucher


def expire_vouchers(session: Session, now: datetime | None = None) -> list[MallVoucher]:
    """Expires every issued voucher whose expiry is at or before `now`: its points go back to the
    citizen (``refund``). Deterministic: the same `now` expires the same vouchers; run twice, the
    second run finds none."""
    at = _utc(now or clock.now())
    due = list(
        session.execute(
            select(MallVoucher)
            .where(MallVoucher.status == ISSUED, MallVoucher.expires_at <= at)
            .order_by(MallVoucher.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    )
    for voucher in due:
        voucher.close_txn = ledger.refund_voucher(session, voucher.id, voucher.citizen_id, at)
        voucher.status = EXPIRED
        voucher.expired_at = at
    session.flush()
    return due


def vouchers_of(session: Session, citizen: Citizen) -> list[dict[str, Any]]:
    """The citizen's vouchers, newest first (never their codes)."""
    rows = session.execute(
        select(MallVoucher, MallMerchant.display_name)
        .join(MallMerchant, MallMerchant.id == MallVoucher.merchant_id)
        .where(MallVoucher.citizen_id == citizen.id)
        .order_by(MallVoucher.id.desc())
    ).all()
    return [voucher_dict(v, name) for v, name in rows]


def voucher_dict(voucher: MallVoucher, merchant_name: str) -> dict[str, Any]:
    return {
        "id": voucher.id,
        "item_id": voucher.item_id,
        "item": voucher.item_name,
        "merchant_id": voucher.merchant_id,
        "merchant": merchant_name,
        "points": voucher.points,
        "status": voucher.status,
        "issued_at": clock.iso(voucher.issued_at),
        "expires_at": clock.iso(voucher.expires_at),
        "confirmed_at": clock.iso(voucher.confirmed_at) if voucher.confirmed_at else None,
        "expired_at": clock.iso(voucher.expired_at) if voucher.expired_at else None,
    }


# -- statements ---------------------------------------------------------------------------------

MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in China Standard Time (as UTC)."""
    match = MONTH.match(month)
    if match is None:
        raise InvalidRequest("the month is YYYY-MM", field="month")
    year, number = int(match[1]), int(match[2])
    if not 1970 <= year <= 9998:
        raise InvalidRequest("the month's year is 1970 to 9998", field="month")
    start = datetime(year, number, 1, tzinfo=CST)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CST)
    return start.astimezone(UTC), end.astimezone(UTC)


def statement(session: Session, merchant_participant: Participant, month: str) -> dict[str, Any]:
    """The merchant's vouchers confirmed in `month` (YYYY-MM, China Standard Time), in order of
    confirmation, and their totals."""
    start, end = month_bounds(month)
    merchant = merchant_of(session, merchant_participant)
    rows = session.execute(
        select(MallVoucher)
        .where(
            MallVoucher.merchant_id == merchant.id,
            MallVoucher.status == CONFIRMED,
            MallVoucher.confirmed_at >= start,
            MallVoucher.confirmed_at < end,
        )
        .order_by(MallVoucher.confirmed_at, MallVoucher.id)
    ).scalars()
    lines = [
        {
            "voucher_id": v.id,
            "item_id": v.item_id,
            "item": v.item_name,
            "points": v.points,
            "confirmed_at": clock.iso(v.confirmed_at) if v.confirmed_at else "",
        }
        for v in rows
    ]
    return {
        "merchant_id": merchant.id,
        "merchant": merchant.display_name,
        "month": month,
        "timezone": "+08:00",
        "from": clock.iso(start),
        "until": clock.iso(end),
        "vouchers": lines,
        "count": len(lines),
        "total_points": sum(line["points"] for line in lines),
    }
