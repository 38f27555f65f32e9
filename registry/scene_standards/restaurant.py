"""TH-SC-RES-001 v1: Restaurants (R2, R5): a scored checklist of the kitchen, food waste, plastics,
lighting and menu, and the operational CO2 per customer served. See docs/scenes/TH-SC-RES-001.md.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Item, SceneStandard


class Restaurant(SceneStandard):
    code: ClassVar[str] = "TH-SC-RES-001"
    version: ClassVar[int] = 1
    kind: ClassVar[str] = "restaurant"
    title: ClassVar[str] = "Low-carbon restaurant"
    title_zh: ClassVar[str] = "低碳餐厅"
    activity: ClassVar[str] = "customers served"
    intensity_unit: ClassVar[str] = "kg CO2 / customer"
    period: ClassVar[str] = "the last 12 months"
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "energy_metering",
            "Electricity and gas metered (sub-metered kitchen), 12 months of bills on file",
            10,
            mandatory=True,
        ),
        Item(
            "no_single_use_plastics",
            "No non-degradable single-use plastic straws, tableware or bags",
            10,
            mandatory=True,
        ),
        Item(
            "efficient_kitchen",
            "Efficient or electric cooking appliances; extraction with variable-speed fans",
            15,
        ),
        Item(
            "food_waste",
            "Food waste cut and measured: portions, clean-plate promotion, kitchen waste sorted and weighed",
            15,
        ),
        Item(
            "lighting_hvac",
            "LED lighting throughout; air-conditioning set points and schedules controlled",
            10,
        ),
        Item("local_seasonal_menu", "Local and seasonal produce; low-carbon dishes marked on the menu", 10),
    )
