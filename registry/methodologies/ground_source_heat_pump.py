"""TH-ES-004 v1: shallow geothermal (ground-source) heat pumps for building heating (R11, energy
substitution).

Baseline: the heating the building would otherwise have had for the same useful heat — a natural
gas or coal boiler (``heat / efficiency × CO2 factor of the fuel``) or electric resistance heating
(``heat in kWh × grid factor``). Project: the electricity of the heat pumps and their circulation
pumps in heating mode (``electricity × grid factor``) plus the refrigerant the heat pumps leak
(``charge × annual leak rate × years × GWP``). Leakage: none. Cooling is not credited in v1.
See docs/methodologies/TH-ES-004.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar, Literal

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

#: Plausibility ceiling of the seasonal heating COP (heat delivered / electricity). The Carnot COP
#: of lifting heat from ground at 10 °C to a 45 °C supply is 318.15 / 35 ≈ 9.1; real ground-source
#: systems reach 3 to 5. A report above 8 is treated as a metering or entry error.
MAX_SEASONAL_COP = Decimal(8)

#: Efficiency ceilings of a documented replaced boiler (net calorific value basis): a condensing
#: gas boiler can exceed 1 on that basis, a coal boiler cannot.
MAX_GAS_BOILER_EFFICIENCY = Decimal("1.10")

BaselineHeating = Literal["natural_gas_boiler", "coal_boiler", "electric_heating"]
Refrigerant = Literal["R410A", "R134a", "R32"]

#: Factor keys of the CO2 factor of each boiler fuel.
FUEL_FACTOR = {
    "natural_gas_boiler": "natural_gas_co2_kg_per_gj",
    "coal_boiler": "coal_co2_kg_per_gj",
}
GWP_FACTOR = {"R410A": "gwp_r410a", "R134a": "gwp_r134a", "R32": "gwp_r32"}


# A fossil boiler in service below 50 % thermal efficiency is a data error; a lower baseline
# efficiency would inflate the baseline (the fuel the heat "would have needed").
MIN_BOILER_EFFICIENCY = Decimal("0.5")


class GroundSourceHeatPumpInput(MonitoringInput):
    baseline_heating: BaselineHeating = Field(
        description="What heats the building without the project: the replaced system, or for a new "
        "building the heating in its approved design alternative: 'natural_gas_boiler', "
        "'coal_boiler' or 'electric_heating' (resistance heaters or electric boiler).",
    )
    replaced_boiler_efficiency: Decimal | None = Field(
        default=None,
        ge=MIN_BOILER_EFFICIENCY,
        le=MAX_GAS_BOILER_EFFICIENCY,
        allow_inf_nan=False,
        description="Thermal efficiency of the replaced boiler, net calorific value basis, as a fraction: "
        "the higher of its test and nameplate values. Leave out when there is no replaced boiler "
        "(the default 1.00 is used) and for electric heating (always 1.00).",
    )
    heat_delivered_gj: Decimal = Field(
        gt=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Useful heat supplied by the heat pumps to the building in heating mode in the "
        "period, GJ (heat meter on the building side).",
    )
    heating_electricity_kwh: Decimal = Field(
        gt=0,
        le=Decimal("1e10"),
        allow_inf_nan=False,
        description="Electricity drawn in heating mode in the period by the heat pump units, the "
        "ground-loop and building circulation pumps and any back-up electric heater, kWh.",
    )
    heat_pump_rated_input_power_kw: Decimal = Field(
        gt=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Sum of the nameplate electrical input power of the heat pump units, circulation "
        "pumps and back-up heaters, kW.",
    )
    refrigerant: Refrigerant = Field(description="Refrigerant of the heat pump units.")
    refrigerant_charge_kg: Decimal = Field(
        gt=0,
        le=Decimal("1e5"),
        allow_inf_nan=False,
        description="Total refrigerant charge of the heat pump units (nameplate), kg.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.heat_delivered_gj > self.heating_electricity_kwh * GJ_PER_KWH * MAX_SEASONAL_COP:
            problems.append(
                (
                    "heat_delivered_gj",
                    f"{self.heat_delivered_gj} GJ of heat from {self.heating_electricity_kwh} kWh is a "
                    f"seasonal COP above {MAX_SEASONAL_COP}, beyond what a ground-source heat pump reaches",
                )
            )
        eff = self.replaced_boiler_efficiency
        if eff is not None:
            if self.baseline_heating == "electric_heating":
                problems.append(
                    (
                        "replaced_boiler_efficiency",
                        "electric heating has no boiler efficiency (it is counted at 1.00); leave it out",
                    )
                )
            elif self.baseline_heating == "coal_boiler" and eff > 1:
                problems.append(
                    ("replaced_boiler_efficiency", f"a coal boiler cannot be {eff} efficient (at most 1)")
                )
        return problems


class GroundSourceHeatPump(Methodology):
    code: ClassVar[str] = "TH-ES-004"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Shallow geothermal (ground-source) heat pumps for building heating"
    title_zh: ClassVar[str] = "浅层地热能(地源热泵)供暖替代"
    category: ClassVar[str] = "energy-substitution"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R11")
    Input: ClassVar[type[MonitoringInput]] = GroundSourceHeatPumpInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: GroundSourceHeatPumpInput = self._data(data)
        with localcontext(CONTEXT):
            max_kwh = d.heat_pump_rated_input_power_kw * HOURS_PER_DAY * period.days
            if d.heating_electricity_kwh > max_kwh:
                raise MethodologyInputError.single(
                    "heating_electricity_kwh",
                    f"{d.heating_electricity_kwh} kWh is more than the system can draw in {period.days} "
                    f"days at its rated {d.heat_pump_rated_input_power_kw} kW ({max_kwh} kWh)",
                )
            grid = self.factors["grid_ef_kg_per_kwh"]
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            s.note("baseline heating", d.baseline_heating)
            heat = s.add("useful heat delivered", d.heat_delivered_gj, "GJ")
            elec = s.add("heat pump electricity, heating mode", d.heating_electricity_kwh, "kWh")
            s.add("seasonal COP, informative = heat / electricity", heat / (elec * GJ_PER_KWH), "")
            if d.baseline_heating == "electric_heating":
                baseline_kwh = s.add(
                    "baseline electricity = heat / 0.0036 GJ/kWh (efficiency 1.00)", heat / GJ_PER_KWH, "kWh"
                )
                baseline = s.add(
                    "baseline emissions = baseline electricity x grid factor", baseline_kwh * grid, "kg CO2"
                )
            else:
                eff = s.add(
                    "baseline boiler efficiency",
                    d.replaced_boiler_efficiency
                    if d.replaced_boiler_efficiency is not None
                    else self.factors["default_boiler_efficiency"],
                    "",
                )
                fuel_gj = s.add("baseline fuel energy = heat / efficiency", heat / eff, "GJ")
                baseline = s.add(
                    "baseline emissions = fuel energy x fuel CO2 factor",
                    fuel_gj * self.factors[FUEL_FACTOR[d.baseline_heating]],
                    "kg CO2",
                )
            elec_co2 = s.add(
                "project electricity emissions = electricity x grid factor", elec * grid, "kg CO2"
            )
            years = s.add("period in years = days / 365", period.years, "yr")
            leaked = s.add(
                "refrigerant leaked = charge x annual leak rate x years",
                d.refrigerant_charge_kg * self.factors["refrigerant_leak_rate_per_year"] * years,
                "kg",
            )
            refrigerant_co2 = s.add(
                f"refrigerant emissions = leaked x GWP of {d.refrigerant}",
                leaked * self.factors[GWP_FACTOR[d.refrigerant]],
                "kg CO2e",
            )
            project = s.add(
                "project emissions = electricity + refrigerant", elec_co2 + refrigerant_co2, "kg CO2e"
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2e")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
