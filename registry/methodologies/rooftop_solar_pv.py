"""TH-ES-002 v1: grid-connected rooftop solar PV (R11, energy substitution).

Baseline: the grid electricity that the PV output displaces, whether exported or used on site,
``(generation - grid electricity drawn by the PV system) × grid factor``. Project emissions and
leakage: none. See docs/methodologies/TH-ES-002.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar

from pydantic import Field

from .base import (
    CONTEXT,
    Methodology,
    MethodologyInputError,
    MonitoringInput,
    MonitoringPeriod,
    Quantification,
    Steps,
)

HOURS_PER_DAY = Decimal(24)


class RooftopSolarPvInput(MonitoringInput):
    installed_capacity_kwp: Decimal = Field(
        gt=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Installed PV module capacity at standard test conditions, kWp.",
    )
    generation_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e10"),
        allow_inf_nan=False,
        description="AC electricity generated in the period, kWh (generation meter after the inverters).",
    )
    exported_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e10"),
        allow_inf_nan=False,
        description="Electricity exported to the grid in the period, kWh (grid-company export meter). "
        "The rest of the generation was used on site; both displace grid electricity.",
    )
    auxiliary_import_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e10"),
        allow_inf_nan=False,
        description="Grid electricity drawn by the PV system itself in the period (inverters at night, "
        "monitoring), kWh; deducted from the generation.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        if self.exported_kwh > self.generation_kwh:
            return [
                (
                    "exported_kwh",
                    f"{self.exported_kwh} kWh exported is more than the {self.generation_kwh} kWh generated",
                )
            ]
        return []


class RooftopSolarPv(Methodology):
    code: ClassVar[str] = "TH-ES-002"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Grid-connected rooftop solar photovoltaic power"
    title_zh: ClassVar[str] = "屋顶分布式光伏发电"
    category: ClassVar[str] = "energy-substitution"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R11")
    Input: ClassVar[type[MonitoringInput]] = RooftopSolarPvInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: RooftopSolarPvInput = self._data(data)
        with localcontext(CONTEXT):
            # A module cannot deliver more than its rated output for every hour of the period.
            ceiling = d.installed_capacity_kwp * HOURS_PER_DAY * period.days
            if d.generation_kwh > ceiling:
                raise MethodologyInputError.single(
                    "generation_kwh",
                    f"{d.generation_kwh} kWh is more than {d.installed_capacity_kwp} kWp can produce "
                    f"running at full rated power for all {period.days} days ({ceiling} kWh)",
                )
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            generated = s.add("electricity generated", d.generation_kwh, "kWh")
            s.add("of which exported to the grid", d.exported_kwh, "kWh")
            s.add("of which used on site", d.generation_kwh - d.exported_kwh, "kWh")
            aux = s.add("grid electricity drawn by the PV system", d.auxiliary_import_kwh, "kWh")
            net_kwh = s.add("net electricity supplied = generated - drawn", generated - aux, "kWh")
            s.add(
                "capacity factor, informative",
                generated / ceiling,
                "",
            )
            baseline = s.add(
                "baseline emissions = net electricity x grid factor",
                net_kwh * self.factors["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            project = s.add("project emissions", Decimal(0), "kg CO2")
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
