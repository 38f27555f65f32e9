"""Test cases of the footprint methodologies (``registry/footprints``), one module per code
(``th_fp_evt_001.py`` for TH-FP-EVT-001), each defining ``CASES``. ``test_footprints.py`` runs
the shared tests over every module here: the worked example reproduced and shown in its document,
the hand-worked cases, bad input naming the field, content hashes, the document's sections.

A module here holds data only: numbers worked by hand from the document and its cited factors,
never numbers printed by the code.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from registry.footprints import MonitoringPeriod


@dataclass(frozen=True)
class FootprintCase:
    """A footprint worked out in full: the document's worked example, or one worked by hand."""

    code: str
    case: str
    raw: dict[str, Any]
    period: MonitoringPeriod
    total_kg: int
    by_source: dict[str, int] = field(default_factory=dict)  # every source the case names
    steps: dict[str, str] = field(default_factory=dict)  # audit-trail lines, label -> "value unit"


@dataclass(frozen=True)
class FootprintCases:
    """Everything the shared tests need of one footprint methodology.

    - ``example``: the document's worked example (``case="worked example"``), as the document
      states it;
    - ``hand_worked``: at least one further case, its arithmetic in a comment beside it;
    - ``bad_input``: ``(case, raw, the dotted field the error must name)``: a negative, a missing
      and an unknown field, a non-number, each cross-field check and each impossible value
      (e.g. a 50,000 km bus ride);
    - ``period_checks``: ``(case, raw, period, field)`` for checks that need the period.
    """

    example: FootprintCase
    hand_worked: list[FootprintCase]
    bad_input: list[tuple[str, dict[str, Any], str]]
    period_checks: list[tuple[str, dict[str, Any], MonitoringPeriod, str]] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.example.code


def all_cases() -> list[FootprintCases]:
    """``CASES`` of every module in this package, sorted by code."""
    found: list[FootprintCases] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases = module.CASES
        assert isinstance(cases, FootprintCases), info.name
        assert info.name == cases.code.lower().replace("-", "_"), f"{info.name} holds {cases.code}"
        found.append(cases)
    return sorted(found, key=lambda c: c.code)
