"""Carbon-asset accounting (财会〔2019〕22号): the worked example of docs/accounting.md, entry by
entry, and the ledger's laws over random histories."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.accounting import (
    BANK,
    CARBON_ASSET,
    CST,
    JOURNAL_CSV_HEADER,
    NON_OPERATING_EXPENSES,
    NON_OPERATING_INCOME,
    AccountingError,
    Amount,
    Disclosure,
    Entry,
    Fact,
    FactsOutOfOrder,
    Invalidated,
    Issued,
    Line,
    Oversold,
    Position,
    Purchased,
    Retired,
    Sold,
    TransferredIn,
    TransferredOut,
    disclosure,
    disclosure_dict,
    entry_dict,
    journal,
    journal_csv,
    positions,
    yuan,
)

DOC = Path(__file__).parents[2] / "docs" / "accounting.md"


def day(month: int, dom: int, year: int = 2025) -> datetime:
    return datetime(year, month, dom, 10, tzinfo=CST)


def lines(entry: Entry) -> list[tuple[str, int, int]]:
    return [(line.account, line.debit_fen, line.credit_fen) for line in entry.lines]


def balanced(entry: Entry) -> bool:
    return sum(line.debit_fen for line in entry.lines) == sum(line.credit_fen for line in entry.lines)


WORKED: list[Fact] = [
    Purchased(at=day(3, 3), batch_id=1, kg=10_000, reference="trade 1", price_fen_per_t=6000, fee_fen=300),
    Purchased(at=day(4, 10), batch_id=1, kg=5_000, reference="trade 2", price_fen_per_t=6600, fee_fen=150),
    Sold(at=day(6, 16), batch_id=1, kg=6_000, reference="trade 3", price_fen_per_t=7000, fee_fen=210),
    Retired(at=day(9, 1), batch_id=1, kg=4_000, reference="certificate 7"),
    Issued(at=day(10, 15), batch_id=2, kg=20_000, reference="batch 2"),
    Sold(at=day(11, 20), batch_id=2, kg=8_000, reference="trade 4", price_fen_per_t=6500, fee_fen=260),
]


# -- The worked example -------------------------------------------------------------------------


def test_worked_example__journal_entry_by_entry() -> None:
    entries = journal(WORKED)

    assert [(e.number, e.date.isoformat(), e.reference) for e in entries] == [
        (1, "2025-03-03", "trade 1"),
        (2, "2025-04-10", "trade 2"),
        (3, "2025-06-16", "trade 3"),
        (4, "2025-09-01", "certificate 7"),
        (5, "2025-11-20", "trade 4"),
    ]  # the issuance makes no entry
    assert [lines(e) for e in entries] == [
        [(CARBON_ASSET, 60300, 0), (BANK, 0, 60300)],
        [(CARBON_ASSET, 33150, 0), (BANK, 0, 33150)],
        [(BANK, 41790, 0), (CARBON_ASSET, 0, 37380), (NON_OPERATING_INCOME, 0, 4410)],
        [(NON_OPERATING_EXPENSES, 24920, 0), (CARBON_ASSET, 0, 24920)],
        [(BANK, 51740, 0), (NON_OPERATING_INCOME, 0, 51740)],
    ]
    assert all(balanced(e) for e in entries)
    assert entries[0].memo_zh.startswith("购入碳排放权")
    assert entries[0].memo_en.startswith("Purchase of carbon emission rights")


def test_worked_example__positions() -> None:
    pos = positions(WORKED)

    assert [(p.batch_id, p.kg, p.cost_fen) for p in pos.values()] == [(1, 5000, 31150), (2, 12000, 0)]
    assert (pos[1].tonnes, pos[1].yuan) == (Decimal("5.000"), Decimal("311.50"))


def test_worked_example__weighted_average_after_two_purchases() -> None:
    pool = positions(WORKED[:2])[1]

    assert (pool.kg, pool.cost_fen) == (15000, 93450)
    assert Decimal(pool.cost_fen) / pool.kg * 1000 / 100 == Decimal("62.3")


def test_worked_example__disclosure() -> None:
    d = disclosure(WORKED, 2025)

    table = {name: (str(a.tonnes), str(a.yuan)) for name, _zh, _en, a in d.rows()}
    assert table == {
        "opening": ("0.000", "0.00"),
        "purchased": ("15.000", "934.50"),
        "issued": ("20.000", "0.00"),
        "transferred_in": ("0.000", "0.00"),
        "sold": ("14.000", "373.80"),
        "retired": ("4.000", "249.20"),
        "transferred_out": ("0.000", "0.00"),
        "invalidated": ("0.000", "0.00"),
        "closing": ("17.000", "311.50"),
    }


def test_worked_example__figures_appear_in_the_doc() -> None:
    doc = DOC.read_text(encoding="utf-8")
    d = disclosure(WORKED, 2025)
    figures = {str(line_amount) for e in journal(WORKED) for line_amount in _yuan_amounts(e)}
    figures |= {str(a.yuan) for _n, _zh, _en, a in d.rows()} | {str(a.tonnes) for _n, _zh, _en, a in d.rows()}
    figures |= {"62.30 yuan/t", "44.10", "560.70", "财会〔2019〕22号"}

    missing = sorted(f for f in figures if f not in doc)
    assert missing == []
    for row in (
        "| purchased | 本期增加：购入 | 15.000 | 934.50 |",
        "| closing | 期末余额 | 17.000 | 311.50 |",
    ):
        assert row in doc


def _yuan_amounts(entry: Entry) -> list[Decimal]:
    return [yuan(line.debit_fen + line.credit_fen) for line in entry.lines]


def test_rounding_example_of_the_doc() -> None:
    facts: list[Fact] = [
        Purchased(at=day(1, 6), batch_id=5, kg=1234, reference="trade 21", price_fen_per_t=5555, fee_fen=37),
        Sold(at=day(1, 7), batch_id=5, kg=500, reference="trade 22", price_fen_per_t=6001, fee_fen=10),
        Retired(at=day(1, 8), batch_id=5, kg=367, reference="certificate 31"),
        Retired(at=day(1, 9), batch_id=5, kg=367, reference="certificate 32"),
    ]
    entries = journal(facts)

    assert [lines(e) for e in entries] == [
        [(CARBON_ASSET, 6892, 0), (BANK, 0, 6892)],
        [(BANK, 2991, 0), (CARBON_ASSET, 0, 2793), (NON_OPERATING_INCOME, 0, 198)],
        [(NON_OPERATING_EXPENSES, 2050, 0), (CARBON_ASSET, 0, 2050)],
        [(NON_OPERATING_EXPENSES, 2049, 0), (CARBON_ASSET, 0, 2049)],
    ]
    assert (positions(facts)[5].kg, positions(facts)[5].cost_fen) == (0, 0)
    doc = DOC.read_text(encoding="utf-8")
    for figure in ("68.92", "29.91", "27.93", "1.98", "20.50", "20.49"):
        assert f"**{figure}**" in doc


# -- Rules --------------------------------------------------------------------------------------


def test_last_kg_of_a_pool_take_its_remaining_cost__no_residue() -> None:
    # 100 fen over 3 kg: 33.3 -> 33, then 67 * 1/2 = 33.5 -> 34, then the last kg take the 33 left.
    facts: list[Fact] = [
        Purchased(at=day(2, 1), batch_id=1, kg=3, reference="t", price_fen_per_t=0, fee_fen=100)
    ]
    facts += [Retired(at=day(2, 2 + i), batch_id=1, kg=1, reference=f"c{i}") for i in range(3)]

    assert [e.total_fen for e in journal(facts)] == [100, 33, 34, 33]
    assert positions(facts)[1] == Position(1, 0, 0)


def test_sell__more_than_the_pool_holds_raises_oversold() -> None:
    facts: list[Fact] = [
        *WORKED[:2],
        Sold(at=day(5, 1), batch_id=1, kg=15_001, reference="trade 9", price_fen_per_t=7000, fee_fen=0),
    ]

    with pytest.raises(Oversold) as raised:
        journal(facts)
    assert (raised.value.batch_id, raised.value.held_kg, raised.value.wanted_kg) == (1, 15_000, 15_001)
    assert raised.value.reference == "trade 9"
    assert isinstance(raised.value, ValueError)


def test_retire__from_a_batch_never_held_raises_oversold() -> None:
    with pytest.raises(Oversold):
        positions([Retired(at=day(1, 1), batch_id=9, kg=1, reference="certificate 1")])


def test_facts_out_of_time_order_raise() -> None:
    with pytest.raises(FactsOutOfOrder):
        journal([WORKED[1], WORKED[0]])
    assert issubclass(FactsOutOfOrder, AccountingError)


def test_sell__fee_above_price_credits_the_bank_and_books_a_loss() -> None:
    facts: list[Fact] = [
        Purchased(at=day(1, 2), batch_id=1, kg=1000, reference="trade 1", price_fen_per_t=5000, fee_fen=0),
        Sold(at=day(1, 3), batch_id=1, kg=1, reference="trade 2", price_fen_per_t=5000, fee_fen=100),
    ]
    sale = journal(facts)[1]

    # proceeds 5 - 100 = -95 fen; book value 5 fen; loss 100 fen.
    assert lines(sale) == [(NON_OPERATING_EXPENSES, 100, 0), (BANK, 0, 95), (CARBON_ASSET, 0, 5)]
    assert balanced(sale)


def test_sell__zero_cost_credits_are_income_in_full() -> None:
    facts: list[Fact] = [
        Issued(at=day(1, 2), batch_id=3, kg=5000, reference="batch 3"),
        TransferredIn(at=day(1, 3), batch_id=3, kg=1000, reference="transfer 4"),
        Sold(at=day(1, 4), batch_id=3, kg=6000, reference="trade 5", price_fen_per_t=4321, fee_fen=99),
    ]

    assert [lines(e) for e in journal(facts)] == [[(BANK, 25827, 0), (NON_OPERATING_INCOME, 0, 25827)]]


def test_retire_transfer_out_invalidate__zero_cost_make_no_entry_but_move_kg() -> None:
    facts: list[Fact] = [
        Issued(at=day(1, 2), batch_id=3, kg=5000, reference="batch 3"),
        Retired(at=day(1, 3), batch_id=3, kg=1000, reference="certificate 1"),
        TransferredOut(at=day(1, 4), batch_id=3, kg=1000, reference="transfer 2"),
        Invalidated(at=day(1, 5), batch_id=3, kg=1000, reference="batch 3"),
    ]

    assert journal(facts) == []
    assert positions(facts)[3].kg == 2000


def test_transfer_out_and_invalidation__book_value_to_non_operating_expenses() -> None:
    facts: list[Fact] = [
        Purchased(at=day(1, 2), batch_id=1, kg=4000, reference="trade 1", price_fen_per_t=1000, fee_fen=0),
        TransferredOut(at=day(1, 3), batch_id=1, kg=1000, reference="transfer 2"),
        Invalidated(at=day(1, 4), batch_id=1, kg=1000, reference="batch 1"),
    ]
    entries = journal(facts)

    assert [lines(e) for e in entries[1:]] == [
        [(NON_OPERATING_EXPENSES, 1000, 0), (CARBON_ASSET, 0, 1000)],
        [(NON_OPERATING_EXPENSES, 1000, 0), (CARBON_ASSET, 0, 1000)],
    ]
    d = disclosure(facts, 2025)
    assert (d.transferred_out, d.invalidated, d.closing) == (
        Amount(1000, 1000),
        Amount(1000, 1000),
        Amount(2000, 2000),
    )


def test_sell__below_book_value_debits_the_loss_even_of_one_fen() -> None:
    facts: list[Fact] = [
        Purchased(at=day(1, 2), batch_id=1, kg=1000, reference="trade 1", price_fen_per_t=1000, fee_fen=1),
        Sold(at=day(1, 3), batch_id=1, kg=1000, reference="trade 2", price_fen_per_t=1000, fee_fen=0),
    ]

    assert lines(journal(facts)[1]) == [
        (BANK, 1000, 0),
        (NON_OPERATING_EXPENSES, 1, 0),
        (CARBON_ASSET, 0, 1001),
    ]


def test_sell__at_book_value_makes_no_gain_line() -> None:
    facts: list[Fact] = [
        Purchased(at=day(1, 2), batch_id=1, kg=1000, reference="trade 1", price_fen_per_t=1000, fee_fen=0),
        Sold(at=day(1, 3), batch_id=1, kg=1000, reference="trade 2", price_fen_per_t=1100, fee_fen=100),
    ]

    assert lines(journal(facts)[1]) == [(BANK, 1000, 0), (CARBON_ASSET, 0, 1000)]


def test_unbalanced_entry_cannot_be_built() -> None:
    with pytest.raises(AssertionError):
        Entry(1, day(1, 1), "x", "", "", (Line(BANK, debit_fen=1), Line(CARBON_ASSET, credit_fen=2)))
    with pytest.raises(ValueError):
        Line(BANK, debit_fen=1, credit_fen=1)


def test_disclosure_identity_is_checked() -> None:
    with pytest.raises(AssertionError):
        nothing = Amount()
        Disclosure(2025, nothing, Amount(1, 1), nothing, nothing, nothing, nothing, nothing, nothing, nothing)


def test_facts_refuse_naive_times_and_non_positive_kg() -> None:
    with pytest.raises(ValueError):
        Retired(at=datetime(2025, 1, 1), batch_id=1, kg=1, reference="c")
    with pytest.raises(ValueError):
        Retired(at=day(1, 1), batch_id=1, kg=0, reference="c")
    with pytest.raises(ValueError):
        Sold(at=day(1, 1), batch_id=1, kg=1, reference="t", price_fen_per_t=-1, fee_fen=0)


def test_year_boundary_is_china_standard_time() -> None:
    new_year_cst = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 in Beijing
    facts: list[Fact] = [
        Purchased(at=day(6, 1), batch_id=1, kg=2000, reference="trade 1", price_fen_per_t=1000, fee_fen=0),
        Retired(at=new_year_cst - timedelta(seconds=1), batch_id=1, kg=500, reference="certificate 1"),
        Retired(at=new_year_cst, batch_id=1, kg=500, reference="certificate 2"),
    ]

    d2025, d2026 = disclosure(facts, 2025), disclosure(facts, 2026)
    assert (d2025.retired, d2025.closing) == (Amount(500, 500), Amount(1500, 1500))
    assert (d2026.opening, d2026.retired, d2026.closing) == (
        Amount(1500, 1500),
        Amount(500, 500),
        Amount(1000, 1000),
    )
    assert journal(facts)[2].date.isoformat() == "2026-01-01"


# -- Output -------------------------------------------------------------------------------------


def test_journal_csv__header_one_row_per_line_decimals_as_text() -> None:
    entries = journal(WORKED)
    rows = list(csv.reader(io.StringIO(journal_csv(entries))))

    assert tuple(rows[0]) == JOURNAL_CSV_HEADER
    assert rows[0] == ["date", "entry", "reference", "account", "account_name", "debit", "credit", "memo"]
    assert len(rows) - 1 == sum(len(e.lines) for e in entries) == 11
    assert rows[1][:7] == ["2025-03-03", "1", "trade 1", "1489", "碳排放权资产", "603.00", "0.00"]
    assert rows[2][:7] == ["2025-03-03", "1", "trade 1", "1002", "银行存款", "0.00", "603.00"]
    assert rows[7][3:7] == ["6301", "营业外收入", "0.00", "44.10"]
    assert "Purchase of carbon emission rights" in rows[1][7] and "购入碳排放权" in rows[1][7]


def test_entry_dict_and_disclosure_dict_are_plain_json() -> None:
    import json

    e = entry_dict(journal(WORKED)[2])
    d = disclosure_dict(disclosure(WORKED, 2025))

    assert json.loads(json.dumps(e)) == e and json.loads(json.dumps(d)) == d
    assert e["date"] == "2025-06-16" and e["reference"] == "trade 3"
    assert [(x["account"], x["debit"], x["credit"]) for x in e["lines"]] == [
        ("1002", "417.90", "0.00"),
        ("1489", "0.00", "373.80"),
        ("6301", "0.00", "44.10"),
    ]
    closing = d["rows"][-1]
    assert (d["year"], closing["item"], closing["tonnes"], closing["yuan"]) == (
        2025,
        "closing",
        "17.000",
        "311.50",
    )


# -- Laws over random histories -----------------------------------------------------------------

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "retire", "issue", "in", "out", "invalidate"]),
        st.integers(1, 3),  # batch
        st.integers(1, 50_000),  # kg wanted (capped at what is held when leaving)
        st.integers(0, 20_000),  # price fen/t
        st.integers(0, 5_000),  # fee fen
        st.integers(0, 200),  # days after the previous fact
    ),
    max_size=40,
)


def _history(ops: list[tuple[str, int, int, int, int, int]]) -> list[Fact]:
    held: dict[int, int] = {}
    at = datetime(2024, 11, 1, tzinfo=UTC)
    facts: list[Fact] = []
    for i, (kind, batch, kg, price, fee, gap) in enumerate(ops):
        at += timedelta(days=gap, hours=7)
        ref = f"fact {i}"
        if kind in ("buy", "issue", "in"):
            held[batch] = held.get(batch, 0) + kg
            if kind == "buy":
                facts.append(
                    Purchased(at=at, batch_id=batch, kg=kg, reference=ref, price_fen_per_t=price, fee_fen=fee)
                )
            else:
                into = Issued if kind == "issue" else TransferredIn
                facts.append(into(at=at, batch_id=batch, kg=kg, reference=ref))
            continue
        kg = min(kg, held.get(batch, 0))
        if kg == 0:
            continue
        held[batch] -= kg
        if kind == "sell":
            facts.append(
                Sold(at=at, batch_id=batch, kg=kg, reference=ref, price_fen_per_t=price, fee_fen=fee)
            )
        elif kind == "retire":
            facts.append(Retired(at=at, batch_id=batch, kg=kg, reference=ref))
        elif kind == "out":
            facts.append(TransferredOut(at=at, batch_id=batch, kg=kg, reference=ref))
        else:
            facts.append(Invalidated(at=at, batch_id=batch, kg=kg, reference=ref))
    return facts


@settings(max_examples=300, deadline=None)
@given(_OPS)
def test_ledger_laws_over_random_histories(ops: list[tuple[str, int, int, int, int, int]]) -> None:
    facts = _history(ops)
    entries = journal(facts)
    pos = positions(facts)

    for entry in entries:
        assert balanced(entry)
        assert all((line.debit_fen > 0) != (line.credit_fen > 0) for line in entry.lines)
    ledger_1489 = sum(
        line.debit_fen - line.credit_fen for e in entries for line in e.lines if line.account == CARBON_ASSET
    )
    assert ledger_1489 == sum(p.cost_fen for p in pos.values())
    for p in pos.values():
        assert p.kg >= 0 and p.cost_fen >= 0
        if p.kg == 0:
            assert p.cost_fen == 0
    # The whole journal balances, and income - expenses = bank + (what 1489 no longer holds).
    assert sum(e.total_fen for e in entries) == sum(line.credit_fen for e in entries for line in e.lines)

    years = sorted({f.at.astimezone(CST).year for f in facts}) or [2025]
    previous_closing = None
    for year in range(years[0], years[-1] + 1):
        d = disclosure(facts, year)
        if previous_closing is not None:
            assert d.opening == previous_closing
        increases = d.purchased + d.issued + d.transferred_in
        decreases = d.sold + d.retired + d.transferred_out + d.invalidated
        assert d.opening.kg + increases.kg - decreases.kg == d.closing.kg
        assert d.opening.fen + increases.fen - decreases.fen == d.closing.fen
        assert d.closing.tonnes == Decimal(d.closing.kg) / 1000
        previous_closing = d.closing
    assert previous_closing == Amount(sum(p.kg for p in pos.values()), sum(p.cost_fen for p in pos.values()))
