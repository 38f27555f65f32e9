"""TH-SC-EXH-001 v1: Exhibitions (R2, R5): a scored checklist of booths, waste, transport, materials
and catering, and the operational CO2 per m² of exhibition area per open day. See docs/scenes/TH-SC-
EXH-001.md.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Item, SceneStandard


class Exhibition(SceneStandard):
    code: ClassVar[str] = "TH-SC-EXH-001"
    version: ClassVar[int] = 1
    kind: ClassVar[str] = "exhibition"
    title: ClassVar[str] = "Low-carbon exhibition"
    title_zh: ClassVar[str] = "低碳会展"
    activity: ClassVar[str] = "m2-days of exhibition (gross area x open days)"
    intensity_unit: ClassVar[str] = "kg CO2 / m2-day"
    period: ClassVar[str] = "the exhibition, build-up to dismantling"
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "energy_metering",
            "Venue electricity and gas metered from build-up to dismantling",
            10,
            mandatory=True,
        ),
        Item(
            "reusable_booths",
            "Modular, reusable booth structures for most of the floor",
            10,
            mandatory=True,
        ),
        Item("waste_plan", "A waste plan: sorted collection, carpet and board reuse or recycling", 15),
        Item("visitor_transport", "Public transport and shuttle links promoted to visitors", 15),
        Item("digital_materials", "Electronic tickets, badges and catalogues; print on request only", 10),
        Item("catering", "Catering with reusable tableware and food-waste measurement", 10),
    )
