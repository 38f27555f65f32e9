"""What the ingestion needs of the scenes (``registry.points.scenes``): their codes, an act's
grams and points (or the scene's reason for refusing it), and the caps."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from registry.points import scenes


@cache
def scene_codes() -> tuple[str, ...]:
    return tuple(s.code for s in scenes.all_scenes())


def value(code: str, quantity: Decimal, detail: Any) -> tuple[int, int] | str:
    """(grams, points) of an act, or the scene's reason code when it refuses it."""
    scene = scenes.get(code)
    if detail is not None and not (
        isinstance(detail, Mapping)
        and len(detail) <= 20
        and all(isinstance(k, str) and len(k) <= 40 for k in detail)
    ):
        return "bad_detail"
    details = {k: str(v)[:100] for k, v in (detail or {}).items()}
    try:
        # The numbers of scene.value, without its audit trail (the hot path of ingestion).
        return scene.grams_points(scenes.Act(code, quantity, scene.unit, details))
    except scenes.ActRefused as refused:
        return refused.reason
    except ArithmeticError:
        return "bad_quantity"


def caps(code: str) -> tuple[int, int]:
    scene = scenes.get(code)
    return scene.daily_cap_points, scene.monthly_cap_points
