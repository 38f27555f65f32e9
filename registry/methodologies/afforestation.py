"""TH-EC-001 v1: afforestation / forest carbon sink by the stock-change method (R13, ecological).

For each stratum of the plot inventory the tree biomass carbon at the start and at the end of the
period is ``area × volume per ha × BCEF × (1 + R) × CF × 44/12``; the removals are the
difference. The sampling uncertainty (lower bound of the 90 % confidence interval) and a
non-permanence buffer are deducted. Baseline removals and leakage are zero under the
applicability conditions. See docs/methodologies/TH-EC-001.md.
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


class ForestStratum(MonitoringInput):
    stratum_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the stratum in the inventory report.",
    )
    species_group: Literal["conifer", "broadleaf"] = Field(
        description="Dominant species group of the stratum (selects the root-to-shoot ratio).",
    )
    area_ha: Decimal = Field(gt=0, le=Decimal("1e6"), allow_inf_nan=False, description="Stratum area, ha.")
    volume_start_m3_per_ha: Decimal = Field(
        ge=0,
        le=2000,
        allow_inf_nan=False,
        description="Mean growing-stock volume at the start of the period, m3/ha "
        "(plot inventory; 0 for bare land).",
    )
    volume_end_m3_per_ha: Decimal = Field(
        ge=0,
        le=2000,
        allow_inf_nan=False,
        description="Mean growing-stock volume at the end of the period, m3/ha (plot inventory).",
    )


class AfforestationInput(MonitoringInput):
    strata: tuple[ForestStratum, ...] = Field(min_length=1, max_length=1000, description="Inventory strata.")
    sampling_error_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Half-width of the 90 % confidence interval of the estimated stock change, as a "
        "percentage of the estimate, from the plot inventory.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, stratum in enumerate(self.strata):
            if stratum.stratum_id in seen:
                problems.append((f"strata.{i}.stratum_id", f"stratum {stratum.stratum_id!r} appears twice"))
            seen.add(stratum.stratum_id)
        return problems


class Afforestation(Methodology):
    code: ClassVar[str] = "TH-EC-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Afforestation and forest carbon sink (stock-change method)"
    title_zh: ClassVar[str] = "造林及森林碳汇（碳储量变化法）"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = AfforestationInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: AfforestationInput = self._data(data)
        with localcontext(CONTEXT):
            if period.days < MIN_PERIOD_DAYS:
                raise MethodologyInputError.single(
                    "period",
                    f"a stock change needs at least {MIN_PERIOD_DAYS} days between inventories, "
                    f"got {period.days}",
                )
            max_increment = self.factors["max_annual_increment_m3_per_ha"]
            years = period.years
            problems = []
            for i, st in enumerate(d.strata):
                increment = (st.volume_end_m3_per_ha - st.volume_start_m3_per_ha) / years
                if increment > max_increment:
                    rate = increment.quantize(Decimal("0.1"))
                    message = (
                        f"stratum {st.stratum_id!r} grows {rate} m3/ha a year, "
                        f"above the {max_increment} m3/ha/year plausibility limit"
                    )
                    problems.append({"field": f"strata.{i}.volume_end_m3_per_ha", "message": message})
            if problems:
                raise MethodologyInputError(problems)

            bcef = self.factors["bcef_t_dm_per_m3"]
            cf = self.factors["carbon_fraction"]
            co2_per_c = Decimal(44) / Decimal(12)
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            gross = Decimal(0)
            for st in d.strata:
                r = self.factors[f"root_shoot_{st.species_group}"]
                tag = f"stratum {st.stratum_id} ({st.species_group}, {st.area_ha} ha)"
                dv = s.add(
                    f"{tag}: volume change = area x (end - start)",
                    st.area_ha * (st.volume_end_m3_per_ha - st.volume_start_m3_per_ha),
                    "m3",
                )
                agb = s.add(f"{tag}: AGB change = volume x BCEF", dv * bcef, "t d.m.")
                total_biomass = s.add(f"{tag}: tree biomass change = AGB x (1 + R)", agb * (1 + r), "t d.m.")
                removal = s.add(
                    f"{tag}: CO2 removed = biomass x CF x 44/12",
                    total_biomass * cf * co2_per_c * KG_PER_T,
                    "kg CO2",
                )
                gross += removal
            gross = s.add("gross removals by the project", gross, "kg CO2")
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
            baseline = s.add("baseline net removals", Decimal(0), "kg CO2")
            project = s.add("project emissions = - removals credited", -credited, "kg CO2")
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
