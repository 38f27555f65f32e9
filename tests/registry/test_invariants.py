"""The index's invariants, each shown data that violates it (and data that does not)."""

from __future__ import annotations

from registry import invariants
from registry.models import Batch, Holding, Retirement

A, B = "0x" + "aa" * 20, "0x" + "bb" * 20


def batch(batch_id: int = 1, issued: int = 100, retired: int = 0, invalidated: int = 0) -> Batch:
    return Batch(id=batch_id, issued_kg=issued, retired_kg=retired, invalidated_kg=invalidated)


def holding(address: str, amount: int, batch_id: int = 1) -> Holding:
    return Holding(address=address, batch_id=batch_id, amount_kg=amount)


def cert(
    certificate_id: int, first: int, last: int, batch_id: int = 1, amount: int | None = None
) -> Retirement:
    return Retirement(
        certificate_id=certificate_id,
        batch_id=batch_id,
        serial_first=first,
        serial_last=last,
        amount_kg=last - first + 1 if amount is None else amount,
    )


def test_conservation__holds_when_issued_is_held_plus_retired_plus_invalidated() -> None:
    assert (
        invariants.conservation(
            [batch(issued=100, retired=20, invalidated=5)], [holding(A, 50), holding(B, 25)]
        )
        == []
    )


def test_conservation__credits_from_nowhere_are_a_violation() -> None:
    (violation,) = invariants.conservation([batch(issued=100, retired=20)], [holding(A, 50), holding(B, 35)])
    assert violation == {"invariant": "conservation", "subject": "batch 1", "expected": 100, "found": 105}


def test_conservation__credits_lost_are_a_violation_per_batch() -> None:
    found = invariants.conservation(
        [batch(1, issued=10), batch(2, issued=10)], [holding(A, 10, 1), holding(A, 9, 2)]
    )
    assert [v["subject"] for v in found] == ["batch 2"]


def test_conservation__a_batch_nobody_holds_counts_as_zero_held() -> None:
    (violation,) = invariants.conservation([batch(issued=7)], [])
    assert (violation["expected"], violation["found"]) == (7, 0)


def test_no_negative_holdings__names_the_negative_one() -> None:
    assert invariants.no_negative_holdings([holding(A, 0), holding(B, 3)]) == []
    (violation,) = invariants.no_negative_holdings([holding(A, 5), holding(B, -1)])
    assert violation == {
        "invariant": "non-negative holding",
        "subject": f"{B} batch 1",
        "expected": ">= 0",
        "found": -1,
    }


def test_serial_blocks__contiguous_exclusive_blocks_covering_retired_hold() -> None:
    assert invariants.serial_blocks([batch(retired=30)], [cert(2, 11, 30), cert(1, 1, 10)]) == []


def test_serial_blocks__overlapping_blocks_are_a_violation() -> None:
    found = invariants.serial_blocks([batch(retired=25)], [cert(1, 1, 10), cert(2, 6, 25)])
    assert found[0]["subject"] == "certificate 2"
    assert found[0]["expected"] == "[11, 30]" and found[0]["found"] == "[6, 25]"


def test_serial_blocks__a_gap_is_a_violation() -> None:
    found = invariants.serial_blocks([batch(retired=20)], [cert(1, 1, 10), cert(2, 12, 21)])
    assert "certificate 2" in [v["subject"] for v in found]


def test_serial_blocks__a_block_that_does_not_match_its_amount_is_a_violation() -> None:
    (violation,) = invariants.serial_blocks([batch(retired=10)], [cert(1, 1, 10, amount=9)])
    assert violation["subject"] == "certificate 1"


def test_serial_blocks__blocks_not_covering_the_retired_amount_are_a_violation() -> None:
    (violation,) = invariants.serial_blocks([batch(retired=15)], [cert(1, 1, 10)])
    assert violation == {"invariant": "serial blocks", "subject": "batch 1", "expected": 15, "found": 10}


def test_serial_blocks__a_retired_amount_without_certificates_is_a_violation() -> None:
    (violation,) = invariants.serial_blocks([batch(retired=3)], [])
    assert violation["subject"] == "batch 1" and violation["found"] == 0


def test_all_violations__gathers_each_kind() -> None:
    found = invariants.all_violations([batch(issued=10, retired=5)], [holding(A, -1)], [cert(1, 2, 6)])
    assert {v["invariant"] for v in found} == {"conservation", "non-negative holding", "serial blocks"}
