"""TH-SC-SCN-001 v1: A-grade scenic spots (R2, R5): a scored checklist of transport, waste, renewables
and visitor guidance (an A grade is a prerequisite), and the operational CO2 per visitor. See
docs/scenes/TH-SC-SCN-001.md.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Item, SceneStandard


class ScenicSpot(SceneStandard):
    code: ClassVar[str] = "TH-SC-SCN-001"
    version: ClassVar[int] = 1
    kind: ClassVar[str] = "scenic_spot"
    title: ClassVar[str] = "Low-carbon A-grade scenic spot"
    title_zh: ClassVar[str] = "低碳A级旅游景区"
    activity: ClassVar[str] = "visitors"
    intensity_unit: ClassVar[str] = "kg CO2 / visitor"
    period: ClassVar[str] = "the last 12 months"
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "a_grade",
            "Rated A to AAAAA under GB/T 17775 (the national grading of tourist attractions)",
            10,
            mandatory=True,
        ),
        Item(
            "energy_metering",
            "Electricity and gas of the managing company metered, 12 months of bills on file",
            10,
            mandatory=True,
        ),
        Item(
            "low_carbon_transport",
            "Electric shuttles inside the spot; public transport or cycle links to it",
            15,
        ),
        Item("waste_sorting", "Sorted waste bins and collection across the spot", 10),
        Item("renewable_energy", "On-site renewable electricity or heat (solar, heat pumps)", 10),
        Item("visitor_guidance", "Low-carbon signage and guidance; electronic tickets and guides", 15),
    )
