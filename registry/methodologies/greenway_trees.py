"""TH-EC-004 v1: trees planted along the Tianfu greenways (天府绿道), stock-change method (R13, ecological).

For each stratum of the greenway tree inventory the stem volume of the project's trees is measured
at the start and at the end of the period (per tree from DBH and height with the provincial
volume tables, summed over the stratum); the change is expanded to tree biomass carbon with the
forest factors ``BCEF × (1 + R) × CF × 44/12`` (no published urban-tree allometry could be
confirmed for v1). The sampling uncertainty and a non-permanence buffer are deducted, as in
TH-EC-001. The greenway's maintenance emissions (irrigation pumping electricity, fuel of mowers
and other small machinery) are project emissions. Baseline removals and leakage are zero under the
applicability conditions. See docs/methodologies/TH-EC-004.md.
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
#: A mean stem volume per tree above this is not a greenway tree (m3); a data-entry guard.
MAX_MEAN_STEM_VOLUME_M3 = Decimal(15)


class GreenwayStratum(MonitoringInput):
    stratum_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the stratum (greenway segment x species group) in the inventory.",
    )
    species_group: Literal["conifer", "broadleaf"] = Field(
        description="Dominant species group of the stratum (selects the root-to-shoot ratio).",
    )
    tree_count_start: int = Field(
        ge=0,
        le=1_000_000,
        description="Project trees alive in the stratum at the start of the period, trees.",
    )
    tree_count_end: int = Field(
        gt=0, le=1_000_000, description="Project trees alive in the stratum at the end of the period, trees."
    )
    stem_volume_start_m3: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Total stem volume of the stratum's project trees at the start of the period, m3 "
        "(sum over trees of the volume from DBH and height; 0 before planting).",
    )
    stem_volume_end_m3: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Total stem volume of the stratum's project trees at the end of the period, m3.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.tree_count_start == 0 and self.stem_volume_start_m3 > 0:
            problems.append(
                ("stem_volume_start_m3", "a stratum with no trees at the start has no stem volume")
            )
        elif self.stem_volume_start_m3 > self.tree_count_start * MAX_MEAN_STEM_VOLUME_M3:
            problems.append(
                (
                    "stem_volume_start_m3",
                    f"mean stem volume above {MAX_MEAN_STEM_VOLUME_M3} m3 per tree is not plausible",
                )
            )
        if self.stem_volume_end_m3 > self.tree_count_end * MAX_MEAN_STEM_VOLUME_M3:
            problems.append(
                (
                    "stem_volume_end_m3",
                    f"mean stem volume above {MAX_MEAN_STEM_VOLUME_M3} m3 per tree is not plausible",
                )
            )
        return problems


class GreenwayTreesInput(MonitoringInput):
    strata: tuple[GreenwayStratum, ...] = Field(
        min_length=1, max_length=1000, description="Greenway tree inventory strata."
    )
    sampling_error_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Half-width of the 90 % confidence interval of the estimated stock change, as a "
        "percentage of the estimate (0 for a full census of the trees).",
    )
    irrigation_electricity_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e9"),
        allow_inf_nan=False,
        description="Electricity of the irrigation pumps of the inventoried greenway segments over the "
        "period, kWh (meter readings).",
    )
    gasoline_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Gasoline burned by mowers, trimmers and other maintenance machinery over the "
        "period, kg.",
    )
    diesel_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Diesel burned by maintenance machinery and watering trucks over the period, kg.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, stratum in enumerate(self.strata):
            if stratum.stratum_id in seen:
                problems.append((f"strata.{i}.stratum_id", f"stratum {stratum.stratum_id!r} appears twice"))
            seen.add(stratum.stratum_id)
        return problems


class GreenwayTrees(Methodology):
    code: ClassVar[str] = "TH-EC-004"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Tianfu greenway trees (stock-change method, net of maintenance emissions)"
    title_zh: ClassVar[str] = "天府绿道林木碳汇（碳储量变化法，扣除养护排放）"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = GreenwayTreesInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: GreenwayTreesInput = self._data(data)
        with localcontext(CONTEXT):
            if period.days < MIN_PERIOD_DAYS:
                raise MethodologyInputError.single(
                    "period",
                    f"a stock change needs at least {MIN_PERIOD_DAYS} days between inventories, "
                    f"got {period.days}",
                )
            max_increment = self.factors["max_annual_increment_m3_per_tree"]
            years = period.years
            problems = []
            for i, st in enumerate(d.strata):
                increment = (st.stem_volume_end_m3 - st.stem_volume_start_m3) / st.tree_count_end / years
                if increment > max_increment:
                    rate = increment.quantize(Decimal("0.001"))
                    message = (
                        f"stratum {st.stratum_id!r} grows {rate} m3 per tree a year, "
                        f"above the {max_increment} m3/tree/year plausibility limit"
                    )
                    problems.append({"field": f"strata.{i}.stem_volume_end_m3", "message": message})
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
                tag = f"stratum {st.stratum_id} ({st.species_group}, {st.tree_count_end} trees)"
                dv = s.add(
                    f"{tag}: stem volume change = end - start",
                    st.stem_volume_end_m3 - st.stem_volume_start_m3,
                    "m3",
                )
                agb = s.add(f"{tag}: AGB change = volume x BCEF", dv * bcef, "t d.m.")
                biomass = s.add(f"{tag}: tree biomass change = AGB x (1 + R)", agb * (1 + r), "t d.m.")
                removal = s.add(
                    f"{tag}: CO2 removed = biomass x CF x 44/12",
                    biomass * cf * co2_per_c * KG_PER_T,
                    "kg CO2",
                )
                gross += removal
            gross = s.add("gross removals by the project trees", gross, "kg CO2")
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
            pe_elec = s.add(
                "irrigation electricity emissions = kWh x grid factor",
                d.irrigation_electricity_kwh * self.factors["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            pe_gasoline = s.add(
                "gasoline emissions = kg x NCV x CO2 factor",
                d.gasoline_kg
                * self.factors["gasoline_ncv_gj_per_t"]
                / KG_PER_T
                * self.factors["gasoline_co2_kg_per_gj"],
                "kg CO2",
            )
            pe_diesel = s.add(
                "diesel emissions = kg x NCV x CO2 factor",
                d.diesel_kg
                * self.factors["diesel_ncv_gj_per_t"]
                / KG_PER_T
                * self.factors["diesel_co2_kg_per_gj"],
                "kg CO2",
            )
            maintenance = s.add("maintenance emissions", pe_elec + pe_gasoline + pe_diesel, "kg CO2")
            baseline = s.add("baseline net removals", Decimal(0), "kg CO2")
            project = s.add(
                "project emissions = maintenance - removals credited", maintenance - credited, "kg CO2e"
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
