"""TH-RS-001 v1: waste sorting and recycling of recovered materials (R12, resource saving).

Baseline: the emissions of producing the same materials from virgin resources, avoided by
recycling, ``Σ tonnes recovered × avoided-emission factor``. Project: the road haulage of the
recovered materials, ``t-km × road freight factor``. Leakage: none. See
docs/methodologies/TH-RS-001.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Annotated, ClassVar

from pydantic import Field

from .base import CONTEXT, Methodology, MonitoringInput, MonitoringPeriod, Quantification, Steps

KG_PER_T = Decimal(1000)

#: Input field -> factor key (t CO2e avoided per short ton recycled).
MATERIALS: dict[str, str] = {
    "paper_t": "paper_t_co2e_per_short_ton",
    "plastics_t": "plastics_t_co2e_per_short_ton",
    "aluminium_cans_t": "aluminium_cans_t_co2e_per_short_ton",
    "other_metals_t": "other_metals_t_co2e_per_short_ton",
    "glass_t": "glass_t_co2e_per_short_ton",
}


Tonnes = Annotated[Decimal, Field(ge=0, le=Decimal("1e8"), allow_inf_nan=False)]


class WasteRecyclingInput(MonitoringInput):
    collected_t: Decimal = Field(
        gt=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Sorted recyclables received by the project in the period, t (weighbridge records).",
    )
    paper_t: Tonnes = Field(description="Paper and cardboard delivered to licensed reprocessors, t.")
    plastics_t: Tonnes = Field(description="Plastics delivered to licensed reprocessors, t.")
    aluminium_cans_t: Tonnes = Field(
        description="Aluminium beverage cans, weighed separately, delivered to reprocessors, t."
    )
    other_metals_t: Tonnes = Field(
        description="Other metals (steel, mixed, non-can aluminium) delivered to reprocessors, t."
    )
    glass_t: Tonnes = Field(description="Glass delivered to licensed reprocessors, t.")
    transport_tkm: Decimal = Field(
        ge=0,
        le=Decimal("1e11"),
        allow_inf_nan=False,
        description="Road haulage of the recovered materials from collection points to reprocessors, t-km "
        "(sum over shipments of tonnes x km).",
    )

    def recovered_t(self) -> Decimal:
        return sum((getattr(self, name) for name in MATERIALS), Decimal(0))

    def consistency_errors(self) -> list[tuple[str, str]]:
        recovered = self.recovered_t()
        if recovered > self.collected_t:
            return [
                (
                    "collected_t",
                    f"{recovered} t of materials delivered to reprocessors is more than the "
                    f"{self.collected_t} t collected",
                )
            ]
        return []


class WasteRecycling(Methodology):
    code: ClassVar[str] = "TH-RS-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Waste sorting and recycling of recovered materials"
    title_zh: ClassVar[str] = "垃圾分类与可回收物资源化利用"
    category: ClassVar[str] = "resource-saving"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R12")
    Input: ClassVar[type[MonitoringInput]] = WasteRecyclingInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: WasteRecyclingInput = self._data(data)
        with localcontext(CONTEXT):
            per_short_ton = self.factors["t_per_short_ton"]
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            s.add("sorted recyclables collected", d.collected_t, "t")
            baseline = Decimal(0)
            for name, key in MATERIALS.items():
                tonnes = getattr(d, name)
                if tonnes == 0:
                    continue
                material = name.removesuffix("_t").replace("_", " ")
                factor = s.add(
                    f"{material}: factor per tonne = factor per short ton / 0.90718474",
                    self.factors[key] / per_short_ton * KG_PER_T,
                    "kg CO2e / t",
                )
                baseline += s.add(
                    f"{material}: avoided emissions = {tonnes} t x factor", tonnes * factor, "kg CO2e"
                )
            baseline = s.add("baseline emissions (virgin production avoided)", baseline, "kg CO2e")
            project = s.add(
                "project emissions = haulage t-km x road freight factor",
                d.transport_tkm * self.factors["road_freight_kg_co2e_per_tkm"],
                "kg CO2e",
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2e")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
