"""TH-SC-HOT-001 v1: Star-rated and green hotels (R2, R5): a scored checklist of room controls, linen
and amenities, hot water and food waste (a star or green rating is a prerequisite), and the
operational CO2 per guest-night. See docs/scenes/TH-SC-HOT-001.md.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Item, SceneStandard


class Hotel(SceneStandard):
    code: ClassVar[str] = "TH-SC-HOT-001"
    version: ClassVar[int] = 1
    kind: ClassVar[str] = "hotel"
    title: ClassVar[str] = "Low-carbon star-rated or green hotel"
    title_zh: ClassVar[str] = "低碳星级饭店、绿色饭店"
    activity: ClassVar[str] = "guest-nights"
    intensity_unit: ClassVar[str] = "kg CO2 / guest-night"
    period: ClassVar[str] = "the last 12 months"
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "star_or_green_rating",
            "Star-rated (GB/T 14308) or a rated green hotel (GB/T 21084)",
            10,
            mandatory=True,
        ),
        Item(
            "energy_metering",
            "Electricity and gas metered (guest floors, kitchen, laundry), 12 months of bills on file",
            10,
            mandatory=True,
        ),
        Item("room_controls", "Key-card power and occupancy-controlled air-conditioning in guest rooms", 15),
        Item(
            "linen_reuse_amenities",
            "Linen and towel reuse by default; disposable toiletries only on request",
            10,
        ),
        Item("hot_water_heat_recovery", "Hot water from heat pumps, heat recovery or solar", 15),
        Item("food_waste", "Buffet and kitchen food waste cut and measured", 10),
    )
