"""TH-ES-005 v1: biomass fuel substituted for coal or natural gas in an industrial boiler or kiln
(R11, energy substitution).

Baseline: the fossil fuel the replaced (or converted) boiler would have burned for the same useful
heat, ``heat / baseline efficiency × CO2 factor of the fuel``. Project: fossil fuel still co-fired,
the CH4 and N2O of burning the biomass, auxiliary electricity and the road haulage of the biomass.
Leakage: none for residues shown to be surplus; otherwise the biomass is assumed to have been
taken from another user, who burns the most carbon-intensive fuel in its place.
See docs/methodologies/TH-ES-005.md.
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

#: 1 MWh = 3.6 GJ exactly.
GJ_PER_MWH = Decimal("3.6")
HOURS_PER_DAY = Decimal(24)

#: Baseline fuel -> factor key of its CO2 emission factor (kg CO2 / GJ, net calorific value).
BASELINE_FUEL_FACTOR: dict[str, str] = {
    "coal": "coal_co2_kg_per_gj",
    "natural_gas": "natural_gas_co2_kg_per_gj",
}


# A fossil boiler in service below 50 % thermal efficiency is a data error; a lower baseline
# efficiency would inflate the baseline (the fuel the heat "would have needed").
MIN_BOILER_EFFICIENCY = Decimal("0.5")


class BiomassFuelSubstitutionInput(MonitoringInput):
    baseline_fuel: Literal["coal", "natural_gas"] = Field(
        description="Fossil fuel the boiler or kiln burned before the project: 'coal' or 'natural_gas'.",
    )
    heat_delivered_gj: Decimal = Field(
        gt=0,
        le=Decimal("1e9"),
        allow_inf_nan=False,
        description="Useful heat (steam or hot water) supplied by the boiler in the period, GJ "
        "(heat or steam meter at the boiler outlet, net of feed-water enthalpy).",
    )
    boiler_rated_capacity_mw: Decimal = Field(
        gt=0,
        le=Decimal("1e4"),
        allow_inf_nan=False,
        description="Nameplate thermal output of the boiler(s), MW (1 t/h of steam is about 0.7 MW).",
    )
    baseline_efficiency_measured: Decimal = Field(
        ge=MIN_BOILER_EFFICIENCY,
        le=1,
        allow_inf_nan=False,
        description="Thermal efficiency of the boiler on its fossil fuel, measured before the project "
        "(net calorific value basis), as a fraction.",
    )
    baseline_efficiency_rated: Decimal = Field(
        ge=MIN_BOILER_EFFICIENCY,
        le=1,
        allow_inf_nan=False,
        description="Manufacturer's rated efficiency of the boiler on its fossil fuel (or of the new "
        "fossil boiler that would have been installed), as a fraction.",
    )
    biomass_t: Decimal = Field(
        gt=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Biomass fuel fired in the period, t as received (weighbridge or belt scale).",
    )
    biomass_ncv_gj_per_t: Decimal = Field(
        gt=0,
        le=20,
        allow_inf_nan=False,
        description="Net calorific value of the biomass as received, GJ/t (laboratory analysis of "
        "samples, weighted mean for the period). Dry wood is about 18-19 GJ/t; 20 is the ceiling.",
    )
    biomass_origin: Literal["residue", "other"] = Field(
        description="'residue': agricultural or forestry residues and wood-processing wastes (straw, "
        "husks, bagasse, sawdust, offcuts) or pellets made only from them; 'other': any other biomass "
        "(e.g. wood from dedicated plantations or forests).",
    )
    residue_surplus_demonstrated: bool = Field(
        description="True when the project owner has shown that the residues used are surplus in the "
        "region (not otherwise used), so that no other user loses them; only for residues.",
    )
    cofired_coal_t: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Coal still fired in the boiler in the period, t (0 if none); only where coal is "
        "the baseline fuel.",
    )
    cofired_natural_gas_m3: Decimal = Field(
        ge=0,
        le=Decimal("1e11"),
        allow_inf_nan=False,
        description="Natural gas still fired in the boiler in the period, m3 at standard conditions "
        "(0 if none); only where natural gas is the baseline fuel.",
    )
    auxiliary_electricity_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e12"),
        allow_inf_nan=False,
        description="Electricity drawn by the biomass handling, feeding, fans and flue-gas treatment "
        "in the period, kWh (sub-meter); all of it, not only the increase over the baseline.",
    )
    biomass_transport_tkm: Decimal = Field(
        ge=0,
        le=Decimal("1e11"),
        allow_inf_nan=False,
        description="Road haulage of the biomass from its source (field, mill or pellet plant) to the "
        "boiler, t-km (sum over deliveries of tonnes x km).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.baseline_fuel != "coal" and self.cofired_coal_t > 0:
            problems.append(
                (
                    "cofired_coal_t",
                    "coal may be co-fired only where coal is the baseline fuel; this boiler's baseline "
                    f"fuel is {self.baseline_fuel}",
                )
            )
        if self.baseline_fuel != "natural_gas" and self.cofired_natural_gas_m3 > 0:
            problems.append(
                (
                    "cofired_natural_gas_m3",
                    "natural gas may be co-fired only where natural gas is the baseline fuel; this "
                    f"boiler's baseline fuel is {self.baseline_fuel}",
                )
            )
        if self.residue_surplus_demonstrated and self.biomass_origin != "residue":
            problems.append(
                (
                    "residue_surplus_demonstrated",
                    "a surplus can only be demonstrated for residues; biomass of origin 'other' always "
                    "carries the diversion leakage",
                )
            )
        return problems


class BiomassFuelSubstitution(Methodology):
    code: ClassVar[str] = "TH-ES-005"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Biomass fuel substituted for coal or natural gas in an industrial boiler or kiln"
    title_zh: ClassVar[str] = "生物质燃料替代"
    category: ClassVar[str] = "energy-substitution"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R11")
    Input: ClassVar[type[MonitoringInput]] = BiomassFuelSubstitutionInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: BiomassFuelSubstitutionInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            max_heat = d.boiler_rated_capacity_mw * GJ_PER_MWH * HOURS_PER_DAY * period.days
            if d.heat_delivered_gj > max_heat:
                raise MethodologyInputError.single(
                    "heat_delivered_gj",
                    f"{d.heat_delivered_gj} GJ is more than the boiler can deliver in {period.days} days "
                    f"at its rated {d.boiler_rated_capacity_mw} MW ({max_heat} GJ)",
                )
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            s.note("baseline fuel", d.baseline_fuel)

            # Baseline: the fossil fuel for the same useful heat.
            heat = s.add("useful heat delivered", d.heat_delivered_gj, "GJ")
            eff = s.add(
                "baseline efficiency (higher of measured and rated)",
                max(d.baseline_efficiency_measured, d.baseline_efficiency_rated),
                "",
            )
            fossil_gj = s.add("baseline fossil fuel energy = heat / efficiency", heat / eff, "GJ")
            baseline = s.add(
                "baseline emissions = fossil fuel energy x CO2 factor",
                fossil_gj * f[BASELINE_FUEL_FACTOR[d.baseline_fuel]],
                "kg CO2",
            )

            # Project: co-fired fossil fuel, CH4 and N2O of the biomass, electricity, haulage.
            biomass_gj = s.add("biomass energy = tonnes x NCV", d.biomass_t * d.biomass_ncv_gj_per_t, "GJ")
            coal_gj = s.add(
                "co-fired coal energy = tonnes x default NCV",
                d.cofired_coal_t * f["coal_ncv_gj_per_t"],
                "GJ",
            )
            gas_gj = s.add(
                "co-fired natural gas energy = m3 x default NCV",
                d.cofired_natural_gas_m3 * f["natural_gas_ncv_gj_per_m3"],
                "GJ",
            )
            fuel_in = biomass_gj + coal_gj + gas_gj
            if heat > fuel_in:
                raise MethodologyInputError.single(
                    "heat_delivered_gj",
                    f"{heat} GJ of useful heat is more than the {fuel_in} GJ of fuel fired "
                    "(biomass plus co-fired fossil fuel); a boiler cannot exceed 100 % efficiency",
                )
            s.add("project boiler efficiency, informative = heat / fuel energy", heat / fuel_in, "")
            cofired = s.add(
                "co-fired fossil emissions = coal GJ x coal factor + gas GJ x gas factor",
                coal_gj * f["coal_co2_kg_per_gj"] + gas_gj * f["natural_gas_co2_kg_per_gj"],
                "kg CO2",
            )
            per_gj = s.add(
                "biomass CH4 and N2O per GJ = EF_CH4 x GWP_CH4 + EF_N2O x GWP_N2O",
                f["biomass_ch4_kg_per_gj"] * f["gwp_ch4"] + f["biomass_n2o_kg_per_gj"] * f["gwp_n2o"],
                "kg CO2e / GJ",
            )
            non_co2 = s.add("biomass CH4 and N2O = biomass energy x per GJ", biomass_gj * per_gj, "kg CO2e")
            electricity = s.add(
                "auxiliary electricity = kWh x grid factor",
                d.auxiliary_electricity_kwh * f["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            haulage = s.add(
                "biomass haulage = t-km x road freight factor",
                d.biomass_transport_tkm * f["road_freight_kg_co2e_per_tkm"],
                "kg CO2e",
            )
            project = s.add(
                "project emissions = co-fired + CH4 and N2O + electricity + haulage",
                cofired + non_co2 + electricity + haulage,
                "kg CO2e",
            )

            # Leakage: diversion of biomass from other users.
            if d.biomass_origin == "residue" and d.residue_surplus_demonstrated:
                leakage = s.add("leakage (surplus residues)", Decimal(0), "kg CO2")
            else:
                leakage = s.add(
                    "leakage = biomass energy x most carbon-intensive fuel factor",
                    biomass_gj * f["leakage_fuel_co2_kg_per_gj"],
                    "kg CO2",
                )
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
