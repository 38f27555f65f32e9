"""Points scenes (R6-R10): rules as code, one module per scene. Typical use::

from decimal import Decimal
from registry.points import scenes

v = scenes.get("metro").value(scenes.Act("metro", Decimal("12.5"), "km"))
v.grams, v.points, v.steps
"""

from __future__ import annotations

from functools import cache

from .base import GRAMS_PER_POINT, Act, ActRefused, Scene, UnknownScene, Valuation, points_for
from .bike_share import BikeShare
from .bus import Bus
from .car_free_day import CarFreeDay
from .certified_purchase import CertifiedPurchase
from .ev_charging import EvCharging
from .household_electricity import HouseholdElectricity
from .metro import Metro
from .waste_sorting import WasteSorting

__all__ = [
    "GRAMS_PER_POINT",
    "Act",
    "ActRefused",
    "BikeShare",
    "Bus",
    "CarFreeDay",
    "CertifiedPurchase",
    "EvCharging",
    "HouseholdElectricity",
    "Metro",
    "Scene",
    "UnknownScene",
    "Valuation",
    "WasteSorting",
    "all_scenes",
    "get",
    "points_for",
]

SCENE_CLASSES: tuple[type[Scene], ...] = (
    Metro,
    Bus,
    BikeShare,
    CarFreeDay,
    EvCharging,
    WasteSorting,
    HouseholdElectricity,
    CertifiedPurchase,
)


@cache
def _registry() -> dict[str, Scene]:
    return {cls.code: cls() for cls in SCENE_CLASSES}


def get(code: str) -> Scene:
    """The current version of a scene; ``UnknownScene`` if there is none."""
    try:
        return _registry()[code]
    except KeyError:
        raise UnknownScene(code) from None


def all_scenes() -> tuple[Scene, ...]:
    return tuple(_registry().values())
