"""Bike-share ride (R8): km ridden on a pedal bike-share bicycle x a per-km factor. See
docs/points/bike_share.md."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from registry.methodologies.base import Steps

from .base import Act, Scene


class BikeShare(Scene):
    code: ClassVar[str] = "bike_share"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Bike-share ride"
    title_zh: ClassVar[str] = "共享单车骑行"
    requirement: ClassVar[str] = "R8"
    unit: ClassVar[str] = "km"
    max_quantity: ClassVar[Decimal] = Decimal(50)
    impossible_reason: ClassVar[str] = "impossible_distance"
    daily_cap_points: ClassVar[int] = 50
    monthly_cap_points: ClassVar[int] = 800

    def avoided_grams(self, act: Act, steps: Steps) -> Decimal:
        return steps.add(
            "avoided = km x bike-share factor",
            act.quantity * self.factors["bike_share_g_per_km"],
            "g CO2",
        )
