"""Invariants of the index, as pure functions that return violations as data.

They run in the tests, in ``tanhui reconcile`` and in production checks. Each violation is a
plain dict: ``{"invariant": name, "subject": ..., "expected": ..., "found": ...}``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from registry.models import Batch, Holding, Retirement

Violation = dict[str, Any]


def conservation(batches: Iterable[Batch], holdings: Iterable[Holding]) -> list[Violation]:
    """Per batch: issued == held + retired + invalidated, held being the sum of holdings."""
    held: dict[int, int] = defaultdict(int)
    for h in holdings:
        held[h.batch_id] += h.amount_kg
    violations = []
    for b in batches:
        total = held.get(b.id, 0) + b.retired_kg + b.invalidated_kg
        if total != b.issued_kg:
            violations.append(
                {
                    "invariant": "conservation",
                    "subject": f"batch {b.id}",
                    "expected": b.issued_kg,
                    "found": total,
                }
            )
    return violations


def no_negative_holdings(holdings: Iterable[Holding]) -> list[Violation]:
    return [
        {
            "invariant": "non-negative holding",
            "subject": f"{h.address} batch {h.batch_id}",
            "expected": ">= 0",
            "found": h.amount_kg,
        }
        for h in holdings
        if h.amount_kg < 0
    ]


def serial_blocks(batches: Iterable[Batch], retirements: Iterable[Retirement]) -> list[Violation]:
    """Per batch, the certificates' serial blocks are exclusive and cover exactly [1, retired]."""
    by_batch: dict[int, list[Retirement]] = defaultdict(list)
    for r in retirements:
        by_batch[r.batch_id].append(r)
    violations: list[Violation] = []
    for b in batches:
        expected_next = 1
        for r in sorted(by_batch.get(b.id, []), key=lambda r: r.serial_first):
            if r.serial_first != expected_next or r.serial_last - r.serial_first + 1 != r.amount_kg:
                violations.append(
                    {
                        "invariant": "serial blocks",
                        "subject": f"certificate {r.certificate_id}",
                        "expected": f"[{expected_next}, {expected_next + r.amount_kg - 1}]",
                        "found": f"[{r.serial_first}, {r.serial_last}]",
                    }
                )
            expected_next = r.serial_last + 1
        if expected_next - 1 != b.retired_kg:
            violations.append(
                {
                    "invariant": "serial blocks",
                    "subject": f"batch {b.id}",
                    "expected": b.retired_kg,
                    "found": expected_next - 1,
                }
            )
    return violations


def all_violations(
    batches: list[Batch], holdings: list[Holding], retirements: list[Retirement]
) -> list[Violation]:
    return (
        conservation(batches, holdings) + no_negative_holdings(holdings) + serial_blocks(batches, retirements)
    )
