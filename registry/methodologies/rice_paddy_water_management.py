"""TH-EC-007 v1: methane reduction in rice paddies by water management (水稻田甲烷减排) (R13).

Continuous flooding (or a single mid-season drainage) replaced by intermittent irrigation:
mid-season drainage (烤田) or alternate wetting and drying (干湿交替). The method is the IPCC
2019 Refinement Tier 1 approach for rice (Vol. 4, Ch. 5.5, Eqs 5.1–5.3) as used by CDM
AMS-III.AU's default-value option: a daily baseline emission factor for continuously flooded
fields, scaled for the water regime during cultivation, the pre-season water regime and organic
amendments, times the cultivation days and the area. The extra N2O of drained paddies and a
15 % deduction for the uncertainty of Tier 1 defaults are counted with the project emissions.
See docs/methodologies/TH-EC-007.md.
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

BaselineRegime = Literal["continuously_flooded", "single_drainage"]
ProjectRegime = Literal["single_drainage", "multiple_drainage"]
PreseasonRegime = Literal["non_flooded_short", "non_flooded_long", "non_flooded_over_365"]

#: Order of the water regimes from wettest to driest (IPCC 2019 Table 5.12).
_WETNESS = {"continuously_flooded": 2, "single_drainage": 1, "multiple_drainage": 0}

#: Organic amendments: input field -> factor key of its conversion factor CFOA.
_AMENDMENTS = (
    ("straw_short_t_per_ha", "cfoa_straw_short", "straw incorporated < 30 days before cultivation"),
    ("straw_long_t_per_ha", "cfoa_straw_long", "straw incorporated > 30 days before cultivation"),
    ("compost_t_per_ha", "cfoa_compost", "compost"),
    ("farmyard_manure_t_per_ha", "cfoa_farmyard_manure", "farmyard manure"),
    ("green_manure_t_per_ha", "cfoa_green_manure", "green manure"),
)


class RicePaddyWaterManagementInput(MonitoringInput):
    area_ha: Decimal = Field(
        gt=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Irrigated paddy area under the project water regime in each season, ha "
        "(only fields whose water-level records comply).",
    )
    rice_seasons: int = Field(
        ge=1,
        le=3,
        description="Rice seasons on that area whose cultivation period lies in the monitoring period.",
    )
    cultivation_days_per_season: int = Field(
        ge=60,
        le=200,
        description="Cultivation period of one season, days: from land preparation (first flooding) "
        "to harvest or post-harvest drainage, averaged over the area.",
    )
    baseline_water_regime: BaselineRegime = Field(
        description="Water regime during cultivation before the project (pre-project survey): "
        "continuously_flooded, or single_drainage (one mid-season drainage of more than 3 days).",
    )
    project_water_regime: ProjectRegime = Field(
        description="Water regime during cultivation under the project (water-level records): "
        "single_drainage, or multiple_drainage (more than one drainage of more than 3 days, "
        "e.g. alternate wetting and drying).",
    )
    preseason_water_regime: PreseasonRegime = Field(
        description="Water regime before the season, the same in baseline and project: "
        "non_flooded_short (non-flooded < 180 days, e.g. double rice), non_flooded_long "
        "(> 180 days, e.g. rice after a winter crop of rapeseed or wheat), non_flooded_over_365 "
        "(paddy in rotation with upland crops for more than a year).",
    )
    straw_short_t_per_ha: Decimal = Field(
        ge=0,
        le=20,
        allow_inf_nan=False,
        description="Straw incorporated less than 30 days before cultivation, t dry matter/ha per season.",
    )
    straw_long_t_per_ha: Decimal = Field(
        ge=0,
        le=20,
        allow_inf_nan=False,
        description="Straw incorporated more than 30 days before cultivation, t dry matter/ha per season.",
    )
    compost_t_per_ha: Decimal = Field(
        ge=0, le=100, allow_inf_nan=False, description="Compost applied, t fresh weight/ha per season."
    )
    farmyard_manure_t_per_ha: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Farmyard manure applied, t fresh weight/ha per season.",
    )
    green_manure_t_per_ha: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Green manure incorporated, t fresh weight/ha per season.",
    )
    n_applied_kg_per_ha: Decimal = Field(
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Total N applied to the rice (synthetic and organic), kg N/ha per season "
        "(fertilisation records).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        if _WETNESS[self.project_water_regime] >= _WETNESS[self.baseline_water_regime]:
            return [
                (
                    "project_water_regime",
                    f"the project regime {self.project_water_regime} is not drier than the baseline "
                    f"regime {self.baseline_water_regime}; the methodology applies only where the "
                    "project shortens flooding",
                )
            ]
        return []


class RicePaddyWaterManagement(Methodology):
    code: ClassVar[str] = "TH-EC-007"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Methane reduction in rice paddies by water management (intermittent irrigation)"
    title_zh: ClassVar[str] = "水稻田间歇灌溉（烤田、干湿交替）甲烷减排"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = RicePaddyWaterManagementInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: RicePaddyWaterManagementInput = self._data(data)
        with localcontext(CONTEXT):
            if d.rice_seasons * d.cultivation_days_per_season > period.days:
                raise MethodologyInputError.single(
                    "cultivation_days_per_season",
                    f"{d.rice_seasons} x {d.cultivation_days_per_season} days of cultivation do not "
                    f"fit in the {period.days} days of the monitoring period",
                )
            f = self.factors
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")

            amended = Decimal(0)
            for field_name, key, label in _AMENDMENTS:
                rate: Decimal = getattr(d, field_name)
                if rate > 0:
                    amended += s.add(
                        f"organic amendment: {label} = {rate} t/ha x CFOA {f[key]}", rate * f[key], "t/ha"
                    )
            sf_o = s.add(
                f"SFo = (1 + sum of ROA x CFOA) ^ {f['sfo_exponent']}",
                (1 + amended) ** f["sfo_exponent"],
                "",
            )
            sf_p = f[f"sf_p_{d.preseason_water_regime}"]
            ef_c = f["ef_c_east_asia"]
            ef_baseline = s.add(
                f"baseline daily EF = EFc x SFw ({d.baseline_water_regime}) x SFp x SFo",
                ef_c * f[f"sf_w_{d.baseline_water_regime}"] * sf_p * sf_o,
                "kg CH4 / ha / day",
            )
            ef_project = s.add(
                f"project daily EF = EFc x SFw ({d.project_water_regime}) x SFp x SFo",
                ef_c * f[f"sf_w_{d.project_water_regime}"] * sf_p * sf_o,
                "kg CH4 / ha / day",
            )
            area_days = s.add(
                "area-days = area x seasons x cultivation days",
                d.area_ha * d.rice_seasons * d.cultivation_days_per_season,
                "ha day",
            )
            ch4_baseline = s.add("baseline CH4 = baseline EF x area-days", ef_baseline * area_days, "kg CH4")
            ch4_project = s.add("project CH4 = project EF x area-days", ef_project * area_days, "kg CH4")
            baseline = s.add(
                "baseline emissions = baseline CH4 x GWP CH4", ch4_baseline * f["gwp_ch4"], "kg CO2e"
            )
            project_ch4 = s.add(
                "project CH4 emissions = project CH4 x GWP CH4", ch4_project * f["gwp_ch4"], "kg CO2e"
            )

            ef1_baseline = f[
                "ef1fr_continuously_flooded"
                if d.baseline_water_regime == "continuously_flooded"
                else "ef1fr_drained"
            ]
            ef1_project = f["ef1fr_drained"]
            n2o_increment = Decimal(0)
            if ef1_project > ef1_baseline and d.n_applied_kg_per_ha > 0:
                n_applied = s.add(
                    "N applied = rate x area x seasons",
                    d.n_applied_kg_per_ha * d.area_ha * d.rice_seasons,
                    "kg N",
                )
                n2o_increment = s.add(
                    "N2O increment = N x (EF1FR drained - EF1FR flooded) x 44/28 x GWP N2O",
                    n_applied * (ef1_project - ef1_baseline) * Decimal(44) / Decimal(28) * f["gwp_n2o"],
                    "kg CO2e",
                )
            uncertainty = s.add(
                f"uncertainty deduction = {f['uncertainty_deduction']} x (baseline - project CH4 emissions)",
                f["uncertainty_deduction"] * (baseline - project_ch4),
                "kg CO2e",
            )
            project = s.add(
                "project emissions = project CH4 + N2O increment + uncertainty deduction",
                project_ch4 + n2o_increment + uncertainty,
                "kg CO2e",
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2e")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
