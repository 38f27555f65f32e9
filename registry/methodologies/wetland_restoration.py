"""TH-EC-006 v1: lake and wetland restoration (湖泊湿地修复), stock-change method net of methane
(R13, ecological).

For each stratum of the restored wetland (marsh, lake littoral zone or ecological constructed
wetland) the soil/sediment organic carbon stock (t C/ha, fixed depth) and the woody biomass
(t d.m./ha) are measured at the start and at the end of the period; their change is the removal.
Soil carbon of constructed wetlands is not credited. The sampling uncertainty and a
non-permanence buffer are deducted, as in TH-EC-001. The methane emitted by the whole restored
area (IPCC Wetlands Supplement default per hectare, GWP 28) is a project emission. Baseline
removals and emissions and leakage are zero under the applicability conditions. See
docs/methodologies/TH-EC-006.md.
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

MIN_PERIOD_DAYS = 365
KG_PER_T = Decimal(1000)

WetlandType = Literal["marsh", "lake_littoral", "constructed"]

#: Wetland types whose soil/sediment carbon gain is credited. Constructed wetlands are not: the
#: Wetlands Supplement (Ch. 6) gives them no removal, and their sediment carbon comes mostly from
#: the water they treat.
SOIL_CREDITED: dict[str, bool] = {"marsh": True, "lake_littoral": True, "constructed": False}


class WetlandStratum(MonitoringInput):
    stratum_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the stratum in the monitoring report.",
    )
    wetland_type: WetlandType = Field(
        description="marsh (inland freshwater marsh on mineral soil), lake_littoral (vegetated lake "
        "shore zone) or constructed (ecological constructed wetland fed by river or lake water).",
    )
    area_ha: Decimal = Field(
        gt=0, le=Decimal("1e5"), allow_inf_nan=False, description="Restored area of the stratum, ha."
    )
    soil_carbon_start_t_c_per_ha: Decimal = Field(
        ge=0,
        le=2000,
        allow_inf_nan=False,
        description="Mean soil/sediment organic carbon stock at the start of the period, t C/ha, to the "
        "fixed sampling depth of the monitoring plan (equivalent soil mass).",
    )
    soil_carbon_end_t_c_per_ha: Decimal = Field(
        ge=0,
        le=2000,
        allow_inf_nan=False,
        description="Mean soil/sediment organic carbon stock at the end of the period, t C/ha, same depth.",
    )
    woody_biomass_start_t_dm_per_ha: Decimal = Field(
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Mean woody (tree and shrub) biomass, above + below ground, at the start, t d.m./ha.",
    )
    woody_biomass_end_t_dm_per_ha: Decimal = Field(
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Mean woody biomass, above + below ground, at the end of the period, t d.m./ha.",
    )


class WetlandRestorationInput(MonitoringInput):
    strata: tuple[WetlandStratum, ...] = Field(min_length=1, max_length=1000, description="Wetland strata.")
    sampling_error_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Half-width of the 90 % confidence interval of the estimated carbon stock change, as a "
        "percentage of the estimate, from the soil-core and vegetation sampling.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, stratum in enumerate(self.strata):
            if stratum.stratum_id in seen:
                problems.append((f"strata.{i}.stratum_id", f"stratum {stratum.stratum_id!r} appears twice"))
            seen.add(stratum.stratum_id)
        return problems


class WetlandRestoration(Methodology):
    code: ClassVar[str] = "TH-EC-006"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Lake and wetland restoration (stock-change method, net of methane)"
    title_zh: ClassVar[str] = "湖泊湿地修复与保护碳汇（碳储量变化法，扣除甲烷排放）"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = WetlandRestorationInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: WetlandRestorationInput = self._data(data)
        with localcontext(CONTEXT):
            if period.days < MIN_PERIOD_DAYS:
                raise MethodologyInputError.single(
                    "period",
                    f"a stock change and a year of methane need at least {MIN_PERIOD_DAYS} days between "
                    f"inventories, got {period.days}",
                )
            years = period.years
            max_soil = self.factors["max_soil_carbon_gain_t_c_per_ha_yr"]
            max_woody = self.factors["max_woody_biomass_gain_t_dm_per_ha_yr"]
            problems = []
            for i, st in enumerate(d.strata):
                tag = f"stratum {st.stratum_id!r}"
                soil_rate = (st.soil_carbon_end_t_c_per_ha - st.soil_carbon_start_t_c_per_ha) / years
                if SOIL_CREDITED[st.wetland_type] and soil_rate > max_soil:
                    problems.append(
                        {
                            "field": f"strata.{i}.soil_carbon_end_t_c_per_ha",
                            "message": f"{tag} gains {soil_rate.quantize(Decimal('0.01'))} "
                            f"t C/ha a year in its soil, above the {max_soil} t C/ha/year plausibility limit",
                        }
                    )
                woody_rate = (st.woody_biomass_end_t_dm_per_ha - st.woody_biomass_start_t_dm_per_ha) / years
                if woody_rate > max_woody:
                    problems.append(
                        {
                            "field": f"strata.{i}.woody_biomass_end_t_dm_per_ha",
                            "message": f"{tag} gains {woody_rate.quantize(Decimal('0.01'))} "
                            f"t d.m./ha a year of woody biomass, above the {max_woody} t d.m./ha/year "
                            "plausibility limit",
                        }
                    )
            if problems:
                raise MethodologyInputError(problems)

            cf = self.factors["carbon_fraction"]
            ef_ch4 = self.factors["ch4_kg_per_ha_yr"]
            gwp = self.factors["gwp_ch4"]
            co2_per_c = Decimal(44) / Decimal(12)
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            years = s.add("period in years = days / 365", years, "yr")
            gross = Decimal(0)
            methane = Decimal(0)
            for st in d.strata:
                tag = f"stratum {st.stratum_id} ({st.wetland_type}, {st.area_ha} ha)"
                if SOIL_CREDITED[st.wetland_type]:
                    soil = s.add(
                        f"{tag}: soil CO2 = area x (end - start) x 44/12",
                        st.area_ha
                        * (st.soil_carbon_end_t_c_per_ha - st.soil_carbon_start_t_c_per_ha)
                        * co2_per_c
                        * KG_PER_T,
                        "kg CO2",
                    )
                else:
                    soil = Decimal(0)
                    s.note(f"{tag}: soil CO2", "not credited (constructed wetland)")
                woody = s.add(
                    f"{tag}: woody biomass CO2 = area x (end - start) x CF x 44/12",
                    st.area_ha
                    * (st.woody_biomass_end_t_dm_per_ha - st.woody_biomass_start_t_dm_per_ha)
                    * cf
                    * co2_per_c
                    * KG_PER_T,
                    "kg CO2",
                )
                gross += soil + woody
                ch4 = s.add(f"{tag}: CH4 = area x EF x years", st.area_ha * ef_ch4 * years, "kg CH4")
                methane += s.add(f"{tag}: CH4 in CO2e = CH4 x GWP", ch4 * gwp, "kg CO2e")
            gross = s.add("gross removals by the restored wetland", gross, "kg CO2")
            uncertainty = s.add(
                f"uncertainty deduction = gross x {d.sampling_error_pct} %",
                max(gross, Decimal(0)) * d.sampling_error_pct / 100,
                "kg CO2",
            )
            after_uncertainty = gross - uncertainty
            buffer = s.add(
                f"non-permanence buffer = (gross - uncertainty) x {self.factors['non_permanence_buffer']}",
                max(after_uncertainty, Decimal(0)) * self.factors["non_permanence_buffer"],
                "kg CO2",
            )
            credited = s.add(
                "removals credited = gross - uncertainty - buffer", after_uncertainty - buffer, "kg CO2"
            )
            methane = s.add("methane emissions of the restored wetland", methane, "kg CO2e")
            baseline = s.add("baseline net removals", Decimal(0), "kg CO2")
            project = s.add("project emissions = methane - removals credited", methane - credited, "kg CO2e")
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
