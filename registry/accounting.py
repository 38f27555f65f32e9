"""Carbon-asset accounting: the journal that the Ministry of Finance's interim rules for the
accounting of carbon-emission trading (财会〔2019〕22号, 《碳排放权交易有关会计处理暂行规定》)
ask of a participant, computed from facts the caller supplies. Pure: no database, no I/O, no
clock.

Money is integer fen (1 yuan = 100 fen) and is shown as yuan with two decimals; carbon is integer
kilograms and is shown as tonnes with three decimals. Never floats. Dates are in China Standard
Time (UTC+8): an entry's date and the year a fact belongs to are read on that clock.

Accounts
    1489 碳排放权资产  carbon emission rights asset
    1002 银行存款      bank deposits
    6301 营业外收入    non-operating income
    6711 营业外支出    non-operating expenses

Facts (frozen dataclasses, fed in time order) and their entries
    ``Issued``         credits issued to the participant as a project owner. Like freely
                       allocated quotas: no cost, no entry; the kg enter the batch's pool at
                       zero cost.
    ``TransferredIn``  credits received from another participant off the exchange, for no
                       consideration: zero cost, no entry; the kg enter the pool.
    ``Purchased``      bought on the exchange. cost = round_half_up(price × kg / 1000) + fee.
                       Dr 1489 cost / Cr 1002 cost.
    ``Sold``           sold on the exchange. proceeds = round_half_up(price × kg / 1000) − fee;
                       book value = the pool's cost of the kg sold (below).
                       Dr 1002 proceeds / Cr 1489 book value, and the difference:
                       Cr 6301 gain or Dr 6711 loss. Proceeds below zero (the fee exceeds the
                       price) are paid out: Cr 1002 instead.
    ``Retired``        retired (voluntary retirement, use for compliance or a claim):
                       Dr 6711 book value / Cr 1489 book value.
    ``TransferredOut`` given to another participant off the exchange: as a retirement.
    ``Invalidated``    invalidated by the supervisor: as a retirement.

No entry carries a line of zero: a zero book value, proceeds or gain leaves its line out, and a
fact whose lines would all be zero makes no entry (its kilograms still move).

Cost: weighted average per batch. Each batch is its own pool of kilograms and cost (fen).
Taking k of the pool's K kg takes round_half_up(cost × k / K) fen; taking the pool's last kg
takes exactly its remaining cost, so an empty pool has no residue. Taking more kg than the pool
holds raises ``Oversold``: the facts are incomplete or out of order.

Every ``Entry`` balances (Σ debit = Σ credit), checked when it is built; every ``Disclosure``
satisfies opening + increases − decreases = closing in kilograms and in fen, checked likewise.
See docs/accounting.md for the treatment, its sources and a worked example.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

#: China Standard Time. (China has kept no daylight-saving time since 1991.)
CST = timezone(timedelta(hours=8), "CST")

KG_PER_TONNE = 1000
FEN_PER_YUAN = 100
_TONNE_PLACES = Decimal("0.001")
_YUAN_PLACES = Decimal("0.01")

CARBON_ASSET = "1489"
BANK = "1002"
NON_OPERATING_INCOME = "6301"
NON_OPERATING_EXPENSES = "6711"


@dataclass(frozen=True)
class Account:
    code: str
    name_zh: str
    name_en: str


#: The accounts the journal uses, by code.
ACCOUNTS: Mapping[str, Account] = {
    a.code: a
    for a in (
        Account(CARBON_ASSET, "碳排放权资产", "Carbon emission rights asset"),
        Account(BANK, "银行存款", "Bank deposits"),
        Account(NON_OPERATING_INCOME, "营业外收入", "Non-operating income"),
        Account(NON_OPERATING_EXPENSES, "营业外支出", "Non-operating expenses"),
    )
}


# -- Errors -------------------------------------------------------------------------------------


class AccountingError(ValueError):
    """The facts cannot be accounted for as given."""


class FactsOutOfOrder(AccountingError):
    def __init__(self, reference: str, at: datetime, previous: datetime) -> None:
        super().__init__(
            f"{reference} at {at.isoformat()} comes before the previous fact ({previous.isoformat()}):"
            " feed facts in time order"
        )
        self.reference = reference
        self.at = at
        self.previous = previous


class Oversold(AccountingError):
    """More kilograms leave a batch's pool than it holds: a fact is missing or out of order."""

    def __init__(self, reference: str, batch_id: int, held_kg: int, wanted_kg: int) -> None:
        super().__init__(
            f"{reference} removes {tonnes(wanted_kg)} t of batch {batch_id},"
            f" which holds {tonnes(held_kg)} t: a fact is missing or out of order"
        )
        self.reference = reference
        self.batch_id = batch_id
        self.held_kg = held_kg
        self.wanted_kg = wanted_kg


# -- Units --------------------------------------------------------------------------------------


def tonnes(kg: int) -> Decimal:
    """12345 -> Decimal("12.345")."""
    return (Decimal(kg) / KG_PER_TONNE).quantize(_TONNE_PLACES)


def yuan(fen: int) -> Decimal:
    """60300 -> Decimal("603.00")."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(_YUAN_PLACES)


def _div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers (denominator > 0)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- Facts --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Fact:
    at: datetime
    batch_id: int
    kg: int
    reference: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"{self.reference}: `at` must be timezone-aware")
        if not _is_int(self.batch_id):
            raise ValueError(f"{self.reference}: batch_id must be an integer")
        if not _is_int(self.kg) or self.kg <= 0:
            raise ValueError(f"{self.reference}: kg must be a positive integer, not {self.kg!r}")


@dataclass(frozen=True, kw_only=True)
class _Trade(_Fact):
    price_fen_per_t: int
    fee_fen: int

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("price_fen_per_t", "fee_fen"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{self.reference}: {name} must be an integer >= 0, not {value!r}")

    @property
    def gross_fen(self) -> int:
        """price × kg / 1000, rounded half-up to whole fen."""
        return _div_half_up(self.price_fen_per_t * self.kg, KG_PER_TONNE)


@dataclass(frozen=True, kw_only=True)
class Issued(_Fact):
    """Issued to the participant as a project owner: zero cost, no entry."""


@dataclass(frozen=True, kw_only=True)
class TransferredIn(_Fact):
    """Received from another participant outside the exchange, for nothing: zero cost, no entry."""


@dataclass(frozen=True, kw_only=True)
class Purchased(_Trade):
    """Bought on the exchange at `price_fen_per_t`, paying `fee_fen` on top."""

    @property
    def cost_fen(self) -> int:
        return self.gross_fen + self.fee_fen


@dataclass(frozen=True, kw_only=True)
class Sold(_Trade):
    """Sold on the exchange at `price_fen_per_t`, paying `fee_fen` out of the proceeds."""

    @property
    def proceeds_fen(self) -> int:
        """May be negative: a fee larger than the price."""
        return self.gross_fen - self.fee_fen


@dataclass(frozen=True, kw_only=True)
class Retired(_Fact):
    """Retired (voluntarily, for compliance or for a claim)."""


@dataclass(frozen=True, kw_only=True)
class TransferredOut(_Fact):
    """Given to another participant outside the exchange."""


@dataclass(frozen=True, kw_only=True)
class Invalidated(_Fact):
    """Invalidated by the supervisor."""


Fact = Issued | TransferredIn | Purchased | Sold | Retired | TransferredOut | Invalidated

_INTO_POOL = (Issued, TransferredIn, Purchased)


# -- Entries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    account: str
    debit_fen: int = 0
    credit_fen: int = 0

    def __post_init__(self) -> None:
        if self.account not in ACCOUNTS:
            raise ValueError(f"unknown account {self.account!r}")
        amounts = (self.debit_fen, self.credit_fen)
        if not all(_is_int(a) and a >= 0 for a in amounts) or (self.debit_fen > 0) == (self.credit_fen > 0):
            raise ValueError(f"a line is a debit or a credit of whole fen > 0, not {amounts}")


@dataclass(frozen=True)
class Entry:
    """A balanced journal entry. `number` counts from 1 in the journal; `date` is in UTC+8."""

    number: int
    at: datetime
    reference: str
    memo_zh: str
    memo_en: str
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        debit = sum(line.debit_fen for line in self.lines)
        credit = sum(line.credit_fen for line in self.lines)
        if not self.lines or debit != credit:
            # Not `assert`: the check must survive python -O.
            raise AssertionError(f"entry {self.number} ({self.reference}) is unbalanced: {debit} != {credit}")

    @property
    def date(self) -> date:
        return self.at.astimezone(CST).date()

    @property
    def total_fen(self) -> int:
        return sum(line.debit_fen for line in self.lines)


@dataclass(frozen=True)
class Position:
    """A batch's pool: the kilograms held and their cost in fen."""

    batch_id: int
    kg: int
    cost_fen: int

    @property
    def tonnes(self) -> Decimal:
        return tonnes(self.kg)

    @property
    def yuan(self) -> Decimal:
        return yuan(self.cost_fen)


@dataclass(frozen=True)
class _Step:
    """What one fact did: the kg and fen it moved into (+) or out of (−) its batch's pool."""

    fact: Fact
    kg: int
    fen: int


def _replay(facts: Iterable[Fact]) -> Iterator[tuple[_Step, Mapping[int, Position]]]:
    """Each fact's movement and the pools after it; raises on disorder or overselling."""
    pools: dict[int, Position] = {}
    previous: datetime | None = None
    for fact in facts:
        if previous is not None and fact.at < previous:
            raise FactsOutOfOrder(fact.reference, fact.at, previous)
        previous = fact.at
        pool = pools.get(fact.batch_id, Position(fact.batch_id, 0, 0))
        if isinstance(fact, _INTO_POOL):
            fen = fact.cost_fen if isinstance(fact, Purchased) else 0
            step = _Step(fact, fact.kg, fen)
        else:
            if fact.kg > pool.kg:
                raise Oversold(fact.reference, fact.batch_id, pool.kg, fact.kg)
            if fact.kg == pool.kg:
                fen = pool.cost_fen  # the last kg take what is left: no residue
            else:
                fen = _div_half_up(pool.cost_fen * fact.kg, pool.kg)
            step = _Step(fact, -fact.kg, -fen)
        pools[fact.batch_id] = Position(fact.batch_id, pool.kg + step.kg, pool.cost_fen + step.fen)
        yield step, pools


def _lines(step: _Step) -> tuple[Line, ...]:
    fact = step.fact
    book = -step.fen
    if isinstance(fact, Purchased):
        if step.fen == 0:  # free, with no fee
            return ()
        return (Line(CARBON_ASSET, debit_fen=step.fen), Line(BANK, credit_fen=step.fen))
    if isinstance(fact, Sold):
        proceeds = fact.proceeds_fen
        gain = proceeds - book
        debits: list[Line] = []
        credits: list[Line] = []
        if proceeds > 0:
            debits.append(Line(BANK, debit_fen=proceeds))
        if gain < 0:
            debits.append(Line(NON_OPERATING_EXPENSES, debit_fen=-gain))
        if proceeds < 0:
            credits.append(Line(BANK, credit_fen=-proceeds))
        if book > 0:
            credits.append(Line(CARBON_ASSET, credit_fen=book))
        if gain > 0:
            credits.append(Line(NON_OPERATING_INCOME, credit_fen=gain))
        return (*debits, *credits)
    if isinstance(fact, Retired | TransferredOut | Invalidated) and book > 0:
        return (Line(NON_OPERATING_EXPENSES, debit_fen=book), Line(CARBON_ASSET, credit_fen=book))
    return ()


_MEMOS: Mapping[type[_Fact], tuple[str, str]] = {
    Purchased: ("购入碳排放权", "Purchase of carbon emission rights"),
    Sold: ("出售碳排放权", "Sale of carbon emission rights"),
    Retired: ("注销碳排放权", "Retirement of carbon emission rights"),
    TransferredOut: ("转出碳排放权", "Transfer out of carbon emission rights"),
    Invalidated: ("碳排放权被作废", "Invalidation of carbon emission rights"),
}


def _memo(fact: Fact) -> tuple[str, str]:
    zh, en = _MEMOS[type(fact)]
    amount = tonnes(fact.kg)
    if isinstance(fact, _Trade):
        price = yuan(fact.price_fen_per_t)
        fee = yuan(fact.fee_fen)
        return (
            f"{zh}：批次 {fact.batch_id}，{amount} 吨，单价 {price} 元/吨，手续费 {fee} 元",
            f"{en}: batch {fact.batch_id}, {amount} t at {price} yuan/t, fee {fee} yuan",
        )
    return f"{zh}：批次 {fact.batch_id}，{amount} 吨", f"{en}: batch {fact.batch_id}, {amount} t"


def journal(facts: Iterable[Fact]) -> list[Entry]:
    """The journal entries of `facts` (in time order), numbered from 1."""
    entries: list[Entry] = []
    for step, _pools in _replay(facts):
        lines = _lines(step)
        if lines:
            zh, en = _memo(step.fact)
            entries.append(Entry(len(entries) + 1, step.fact.at, step.fact.reference, zh, en, lines))
    return entries


def positions(facts: Iterable[Fact]) -> dict[int, Position]:
    """Each batch's pool after `facts`, by batch id (ascending); emptied pools included (0, 0)."""
    last: Mapping[int, Position] = {}
    for _step, pools in _replay(facts):
        last = pools
    return {batch_id: last[batch_id] for batch_id in sorted(last)}


# -- Disclosure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A quantity with its carrying amount."""

    kg: int = 0
    fen: int = 0

    @property
    def tonnes(self) -> Decimal:
        return tonnes(self.kg)

    @property
    def yuan(self) -> Decimal:
        return yuan(self.fen)

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.kg + other.kg, self.fen + other.fen)


#: The disclosure's rows: field, Chinese label, English label, +1 increase / −1 decrease / 0.
DISCLOSURE_ROWS: tuple[tuple[str, str, str, int], ...] = (
    ("opening", "期初余额", "Opening balance", 0),
    ("purchased", "本期增加：购入", "Increase: purchased", 1),
    ("issued", "本期增加：项目签发（无偿取得）", "Increase: issued to the project owner (free)", 1),
    ("transferred_in", "本期增加：无偿转入", "Increase: transferred in (free)", 1),
    ("sold", "本期减少：出售", "Decrease: sold", -1),
    ("retired", "本期减少：注销", "Decrease: retired", -1),
    ("transferred_out", "本期减少：转出", "Decrease: transferred out", -1),
    ("invalidated", "本期减少：作废", "Decrease: invalidated", -1),
    ("closing", "期末余额", "Closing balance", 0),
)

_ROW_OF: Mapping[type[_Fact], str] = {
    Purchased: "purchased",
    Issued: "issued",
    TransferredIn: "transferred_in",
    Sold: "sold",
    Retired: "retired",
    TransferredOut: "transferred_out",
    Invalidated: "invalidated",
}


@dataclass(frozen=True)
class Disclosure:
    """The year's movement of carbon emission rights (UTC+8 calendar year), as quantity (kg)
    and carrying amount (fen). Decreases are at book value (not at proceeds), positive."""

    year: int
    opening: Amount
    purchased: Amount
    issued: Amount
    transferred_in: Amount
    sold: Amount
    retired: Amount
    transferred_out: Amount
    invalidated: Amount
    closing: Amount

    def __post_init__(self) -> None:
        expected = Amount()
        for field_name, _zh, _en, sign in DISCLOSURE_ROWS:
            amount: Amount = getattr(self, field_name)
            expected = expected + Amount(sign * amount.kg, sign * amount.fen)
        expected = expected + self.opening
        if expected != self.closing:
            # Not `assert`: the check must survive python -O.
            raise AssertionError(f"{self.year}: opening + in - out = {expected}, closing = {self.closing}")

    def rows(self) -> list[tuple[str, str, str, Amount]]:
        """(field, Chinese label, English label, amount) in table order."""
        return [(name, zh, en, getattr(self, name)) for name, zh, en, _sign in DISCLOSURE_ROWS]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of `year` in China Standard Time, as UTC datetimes."""
    start = datetime(year, 1, 1, tzinfo=CST).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=CST).astimezone(UTC)
    return start, end


def disclosure(facts: Iterable[Fact], year: int) -> Disclosure:
    """The movement table of `year` (UTC+8). Facts after the year are not read."""
    start, end = year_bounds(year)
    opening = closing = Amount()
    moved = {name: Amount() for name in _ROW_OF.values()}
    for step, pools in _replay(facts):
        at = step.fact.at
        if at >= end:
            break
        # Closing (and opening) are read off the pools, not summed from the movements, so the
        # identity Disclosure checks is a real one.
        closing = Amount(sum(p.kg for p in pools.values()), sum(p.cost_fen for p in pools.values()))
        if at < start:
            opening = closing
        else:
            name = _ROW_OF[type(step.fact)]
            moved[name] = moved[name] + Amount(abs(step.kg), abs(step.fen))
    return Disclosure(year=year, opening=opening, closing=closing, **moved)


# -- Output -------------------------------------------------------------------------------------

JOURNAL_CSV_HEADER = ("date", "entry", "reference", "account", "account_name", "debit", "credit", "memo")


def journal_csv(entries: Sequence[Entry]) -> str:
    """One row per entry line, under `JOURNAL_CSV_HEADER`: the UTC+8 date (ISO), the entry number,
    its reference, the account code and Chinese name, debit and credit in yuan with two decimals
    ("603.00", "0.00") and the memo (Chinese / English). Rows end in "\\n"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(JOURNAL_CSV_HEADER)
    for entry in entries:
        for line in entry.lines:
            writer.writerow(
                (
                    entry.date.isoformat(),
                    entry.number,
                    entry.reference,
                    line.account,
                    ACCOUNTS[line.account].name_zh,
                    str(yuan(line.debit_fen)),
                    str(yuan(line.credit_fen)),
                    f"{entry.memo_zh} / {entry.memo_en}",
                )
            )
    return out.getvalue()


def entry_dict(entry: Entry) -> dict[str, Any]:
    """`entry` as JSON-ready data: yuan as strings ("603.00"), fen as integers."""
    return {
        "number": entry.number,
        "date": entry.date.isoformat(),
        "at": entry.at.isoformat(),
        "reference": entry.reference,
        "memo_zh": entry.memo_zh,
        "memo_en": entry.memo_en,
        "lines": [
            {
                "account": line.account,
                "account_name_zh": ACCOUNTS[line.account].name_zh,
                "account_name_en": ACCOUNTS[line.account].name_en,
                "debit": str(yuan(line.debit_fen)),
                "credit": str(yuan(line.credit_fen)),
                "debit_fen": line.debit_fen,
                "credit_fen": line.credit_fen,
            }
            for line in entry.lines
        ],
    }


def disclosure_dict(d: Disclosure) -> dict[str, Any]:
    """`d` as JSON-ready data: each row's tonnes ("12.345") and yuan ("603.00") as strings, with
    its kg and fen as integers, in table order."""
    return {
        "year": d.year,
        "rows": [
            {
                "item": name,
                "label_zh": zh,
                "label_en": en,
                "tonnes": str(amount.tonnes),
                "yuan": str(amount.yuan),
                "kg": amount.kg,
                "fen": amount.fen,
            }
            for name, zh, en, amount in d.rows()
        ],
    }
