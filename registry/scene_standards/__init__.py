"""Certified low-carbon scenes' standards (R2, R5, R9): one module per standard version, a scored
checklist and a carbon-footprint part each, with cited factors and a worked example in
docs/scenes/. Typical use::

    std = scene_standards.get("TH-SC-RES-001")        # the current version (or get(code, version))
    result = std.assess({"items": {...}, "footprint": {...}})   # -> Assessment; ChecklistInvalid
    result.passed, result.total
"""

from __future__ import annotations

from functools import cache

from .base import Assessment, ChecklistInvalid, Item, SceneStandard, UnknownStandard
from .exhibition import Exhibition
from .hotel import Hotel
from .restaurant import Restaurant
from .scenic_spot import ScenicSpot
from .supermarket import Supermarket

__all__ = [
    "Assessment",
    "ChecklistInvalid",
    "Exhibition",
    "Hotel",
    "Item",
    "Restaurant",
    "SceneStandard",
    "ScenicSpot",
    "Supermarket",
    "UnknownStandard",
    "all_standards",
    "get",
    "kinds",
]

STANDARD_CLASSES: tuple[type[SceneStandard], ...] = (
    Restaurant,
    Supermarket,
    ScenicSpot,
    Hotel,
    Exhibition,
)


@cache
def _registry() -> dict[tuple[str, int], SceneStandard]:
    return {(cls.code, cls.version): cls() for cls in STANDARD_CLASSES}


def get(code: str, version: int | None = None) -> SceneStandard:
    """Standard `code` at `version` (its latest by default); ``UnknownStandard`` if none."""
    found = [s for (c, v), s in _registry().items() if c == code and (version is None or v == version)]
    if not found:
        raise UnknownStandard(code, version)
    return max(found, key=lambda s: s.version)


def all_standards() -> tuple[SceneStandard, ...]:
    return tuple(_registry().values())


def kinds() -> dict[str, str]:
    """Scene kind -> the code of its standard (latest versions)."""
    return {s.kind: s.code for s in all_standards()}
