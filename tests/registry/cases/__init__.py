"""Test cases of the methodologies added after the first five, one module per methodology code
(``th_es_003.py`` for TH-ES-003), each defining ``CASES``. ``test_methodologies.py`` runs its
shared tests (worked example reproduced and shown in the document, hand-worked cases, bad input
naming the field, no reduction, content hash, document sections) over every module here.

A module here holds data only: numbers worked by hand from the document and its cited factors,
never numbers printed by the code.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from registry.methodologies import MonitoringPeriod


@dataclass(frozen=True)
class WorkedExample:
    """The worked example of a methodology document, with every number it shows."""

    code: str
    raw: dict[str, Any]
    period: MonitoringPeriod
    baseline_kg: int
    project_kg: int
    leakage_kg: int
    net_kg: int
    steps: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HandWorked:
    """A case worked by hand from the factors the document cites (not from the code)."""

    code: str
    case: str
    raw: dict[str, Any]
    period: MonitoringPeriod
    baseline_kg: int
    project_kg: int
    leakage_kg: int
    net_kg: int
    steps: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cases:
    """Everything the shared tests need of one methodology.

    - ``example``: the document's worked example, copied as the document states it;
    - ``hand_worked``: at least one further case, its arithmetic in a comment beside it;
    - ``bad_input``: ``(case, raw, the dotted field the error must name)``, covering a negative,
      a zero where zero is meaningless, a missing and an unknown field, and each cross-field check;
    - ``no_reduction``: valid data whose net is not positive (quantified over ``example.period``).
    """

    example: WorkedExample
    hand_worked: list[HandWorked]
    bad_input: list[tuple[str, dict[str, Any], str]]
    no_reduction: list[dict[str, Any]]

    @property
    def code(self) -> str:
        return self.example.code


def with_(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with top-level keys replaced (``None`` deletes the key)."""
    out: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def all_cases() -> list[Cases]:
    """``CASES`` of every module in this package, sorted by methodology code."""
    found: list[Cases] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases = module.CASES
        assert isinstance(cases, Cases), info.name
        assert info.name == cases.code.lower().replace("-", "_"), f"{info.name} holds {cases.code}"
        found.append(cases)
    return sorted(found, key=lambda c: c.code)
