"""Footprint methodologies as code (R14, R15): what a neutrality claim's subject emitted. Typical
use::

    f = footprints.get("TH-FP-EVT-001", 1)
    fp = f.compute(raw_activity_data, MonitoringPeriod(start, end))   # -> Footprint (kg, rounded up)
    f.content_hash()                                                  # -> 32 bytes
"""

from __future__ import annotations

from functools import cache

from registry.methodologies.base import MethodologyInputError, MonitoringPeriod, UnknownMethodology

from .air_route import AirRoute
from .base import SUBJECT_KINDS, Footprint, FootprintMethodology
from .large_event import LargeEvent
from .organisation_period import OrganisationPeriod
from .personal_trip import PersonalTrip

__all__ = [
    "SUBJECT_KINDS",
    "AirRoute",
    "Footprint",
    "FootprintMethodology",
    "LargeEvent",
    "MethodologyInputError",
    "MonitoringPeriod",
    "OrganisationPeriod",
    "PersonalTrip",
    "UnknownMethodology",
    "all_footprints",
    "get",
]

_CLASSES: tuple[type[FootprintMethodology], ...] = (LargeEvent, OrganisationPeriod, AirRoute, PersonalTrip)


@cache
def _registry() -> dict[tuple[str, int], FootprintMethodology]:
    registry: dict[tuple[str, int], FootprintMethodology] = {}
    for cls in _CLASSES:
        key = (cls.code, cls.version)
        if key in registry:
            raise RuntimeError(f"footprint methodology {cls.code} v{cls.version} is defined twice")
        registry[key] = cls()
    return registry


def all_footprints() -> list[FootprintMethodology]:
    """One instance of every registered footprint methodology version, sorted by (code, version)."""
    return [m for _, m in sorted(_registry().items())]


def get(code: str, version: int) -> FootprintMethodology:
    try:
        return _registry()[(code, version)]
    except (KeyError, TypeError):
        raise UnknownMethodology(code, version) from None
