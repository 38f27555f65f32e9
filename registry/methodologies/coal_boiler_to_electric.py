"""TH-ES-001 v1: a coal-fired boiler replaced by an electric boiler (R11, energy substitution).

Baseline: the coal the replaced boiler would have burned to deliver the same useful heat,
``heat / efficiency × CO2 factor of coal``. Project: the electricity the electric boiler drew,
``electricity × grid factor``. Leakage: none (the coal boiler is scrapped, not moved).
See docs/methodologies/TH-ES-001.md.
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

#: 1 kWh = 3.6 MJ exactly.
GJ_PER_KWH = Decimal("0.0036")
HOURS_PER_DAY = Decimal(24)


class CoalBoilerToElectricInput(MonitoringInput):
    heat_delivered_gj: Decimal = Field(
        gt=0,
        le=Decimal("1e9"),
        allow_inf_nan=False,
        description="Useful heat supplied by the electric boiler in the period, GJ "
        "(heat meter at the boiler outlet).",
    )
    electricity_kwh: Decimal = Field(
        gt=0,
        le=Decimal("1e12"),
        allow_inf_nan=False,
        description="Electricity drawn by the electric boiler and its auxiliaries in the period, kWh "
        "(dedicated meter).",
    )
    electric_boiler_rated_power_kw: Decimal = Field(
        gt=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Nameplate electrical input power of the electric boiler(s), kW.",
    )
    baseline_efficiency_measured: Decimal = Field(
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="Thermal efficiency of the replaced coal boiler measured before replacement "
        "(net calorific value basis), as a fraction, e.g. 0.72.",
    )
    baseline_efficiency_rated: Decimal = Field(
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="Manufacturer's rated (nameplate) thermal efficiency of the replaced coal boiler, "
        "as a fraction.",
    )
    replaced_boiler_scrapped: bool = Field(
        description="True when the replaced coal boiler has been dismantled or scrapped (not relocated); "
        "required by the applicability conditions.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.heat_delivered_gj > self.electricity_kwh * GJ_PER_KWH:
            problems.append(
                (
                    "heat_delivered_gj",
                    f"{self.heat_delivered_gj} GJ of heat is more than the "
                    f"{self.electricity_kwh * GJ_PER_KWH} GJ of electricity drawn; an electric resistance "
                    "or electrode boiler cannot exceed 100 % efficiency",
                )
            )
        if not self.replaced_boiler_scrapped:
            problems.append(
                (
                    "replaced_boiler_scrapped",
                    "the replaced coal boiler must be scrapped or dismantled, not kept or relocated",
                )
            )
        return problems


class CoalBoilerToElectric(Methodology):
    code: ClassVar[str] = "TH-ES-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Coal-fired boiler replaced by an electric boiler"
    title_zh: ClassVar[str] = "燃煤锅炉电能替代"
    category: ClassVar[str] = "energy-substitution"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R11")
    Input: ClassVar[type[MonitoringInput]] = CoalBoilerToElectricInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: CoalBoilerToElectricInput = self._data(data)
        with localcontext(CONTEXT):
            max_kwh = d.electric_boiler_rated_power_kw * HOURS_PER_DAY * period.days
            if d.electricity_kwh > max_kwh:
                raise MethodologyInputError.single(
                    "electricity_kwh",
                    f"{d.electricity_kwh} kWh is more than the boiler can draw in {period.days} days "
                    f"at its rated {d.electric_boiler_rated_power_kw} kW ({max_kwh} kWh)",
                )
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            heat = s.add("useful heat delivered", d.heat_delivered_gj, "GJ")
            eff = s.add(
                "baseline boiler efficiency (higher of measured and rated)",
                max(d.baseline_efficiency_measured, d.baseline_efficiency_rated),
                "",
            )
            fuel_gj = s.add("baseline coal energy = heat / efficiency", heat / eff, "GJ")
            s.add(
                "baseline coal, informative = energy / NCV", fuel_gj / self.factors["coal_ncv_gj_per_t"], "t"
            )
            baseline = s.add(
                "baseline emissions = coal energy x coal CO2 factor",
                fuel_gj * self.factors["coal_co2_kg_per_gj"],
                "kg CO2",
            )
            elec = s.add("electricity consumed", d.electricity_kwh, "kWh")
            project = s.add(
                "project emissions = electricity x grid factor",
                elec * self.factors["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
