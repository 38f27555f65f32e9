"""TH-SC-SUP-001 v1: Supermarkets (R2, R5): a scored checklist of refrigeration, refrigerants,
lighting, bags and green products, and the operational CO2 per m² of sales floor a year. See
docs/scenes/TH-SC-SUP-001.md.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Item, SceneStandard


class Supermarket(SceneStandard):
    code: ClassVar[str] = "TH-SC-SUP-001"
    version: ClassVar[int] = 1
    kind: ClassVar[str] = "supermarket"
    title: ClassVar[str] = "Low-carbon supermarket"
    title_zh: ClassVar[str] = "低碳超市"
    activity: ClassVar[str] = "m2 of sales floor"
    intensity_unit: ClassVar[str] = "kg CO2 / m2"
    period: ClassVar[str] = "the last 12 months"
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "energy_metering",
            "Electricity and gas metered (refrigeration sub-metered), 12 months of bills on file",
            10,
            mandatory=True,
        ),
        Item(
            "refrigerant_management",
            "Refrigerant leak checks logged; no new equipment on ozone-depleting refrigerants",
            10,
            mandatory=True,
        ),
        Item("closed_refrigeration", "Doors or night covers on refrigerated and frozen display cases", 15),
        Item("lighting_hvac", "LED lighting; air-conditioning set points and schedules controlled", 10),
        Item("plastic_bags", "No free plastic carrier bags; reusable bags offered", 10),
        Item(
            "green_products",
            "Shelf space for labelled green products and certified green farm produce",
            15,
        ),
    )
