"""TH-EC-003 v1: improved management of existing forest (森林经营碳汇), R13, ecological.

After the logic of CCER AR-CM-003-V01 (森林经营碳汇项目方法学): the project's tree carbon stock
change is measured by a stratified plot inventory at the start and the end of the period; the
baseline is the stock change the same strata would have had under continued business-as-usual
management, from the stratum's own pre-project inventory (annual net volume increment) or a
conservative default. Harvest removals leave the stand and are not credited (no wood-products
pool); fossil fuel burnt by thinning and harvesting machinery is a project emission. The
sampling uncertainty and a non-permanence buffer are deducted from the project removals.
Leakage is zero because the project may not harvest less than the pre-project average (checked).

Sign convention for a sink: ``baseline_kg`` is minus the baseline removals and ``project_kg`` is
the project emissions minus the project removals credited, so
``net = baseline - project - leakage = credited removals - emissions - baseline removals``.
See docs/methodologies/TH-EC-003.md.
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
    q,
)

MIN_PERIOD_DAYS = 365
KG_PER_T = Decimal(1000)
DAYS_PER_YEAR = Decimal(365)


class ManagedStratum(MonitoringInput):
    stratum_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the stratum in the inventory report.",
    )
    species_group: Literal["conifer", "broadleaf"] = Field(
        description="Dominant species group of the stratum (selects the root-to-shoot ratio).",
    )
    area_ha: Decimal = Field(
        ge=Decimal("0.01"),
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Stratum area, ha (at least 100 m2).",
    )
    volume_start_m3_per_ha: Decimal = Field(
        ge=0,
        le=2000,
        allow_inf_nan=False,
        description="Mean standing growing-stock volume at the start of the period, m3/ha (plot inventory).",
    )
    volume_end_m3_per_ha: Decimal = Field(
        ge=0,
        le=2000,
        allow_inf_nan=False,
        description="Mean standing growing-stock volume at the end of the period, m3/ha (plot inventory, "
        "after the period's thinning and harvest).",
    )
    harvested_m3: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Growing-stock volume felled and removed from the stratum during the period, m3 "
        "(cutting permits and tally of felled stems).",
    )
    baseline_source: Literal["pre_project_inventory", "default"] = Field(
        description="Where the baseline increment comes from: the stratum's own inventories before the "
        "project, or the methodology's conservative default.",
    )
    baseline_increment_m3_per_ha_yr: Decimal | None = Field(
        default=None,
        ge=0,
        le=60,
        allow_inf_nan=False,
        description="Baseline net annual volume increment under business-as-usual management, m3/ha/yr "
        "(growth less business-as-usual harvest, from two pre-project inventories); required with "
        "baseline_source 'pre_project_inventory', absent with 'default'.",
    )


class ForestManagementInput(MonitoringInput):
    strata: tuple[ManagedStratum, ...] = Field(min_length=1, max_length=1000, description="Inventory strata.")
    sampling_error_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Half-width of the 90 % confidence interval of the estimated project stock change, "
        "as a percentage of the estimate, from the plot inventory.",
    )
    baseline_harvest_m3_per_yr: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Average annual harvest of the project area before the project, m3/yr (cutting "
        "permits of the pre-project years); the project must harvest at least as much.",
    )
    diesel_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Diesel burnt by machinery for thinning, harvest and haulage inside the project "
        "boundary during the period, kg (fuel records).",
    )
    gasoline_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Gasoline burnt by chain saws and brush cutters during the period, kg (fuel records).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, st in enumerate(self.strata):
            if st.stratum_id in seen:
                problems.append((f"strata.{i}.stratum_id", f"stratum {st.stratum_id!r} appears twice"))
            seen.add(st.stratum_id)
            given = st.baseline_increment_m3_per_ha_yr is not None
            if st.baseline_source == "pre_project_inventory" and not given:
                problems.append(
                    (
                        f"strata.{i}.baseline_increment_m3_per_ha_yr",
                        "required when the baseline comes from the pre-project inventory",
                    )
                )
            if st.baseline_source == "default" and given:
                problems.append(
                    (
                        f"strata.{i}.baseline_increment_m3_per_ha_yr",
                        "must be absent when the default baseline is used",
                    )
                )
        return problems


class ForestManagement(Methodology):
    code: ClassVar[str] = "TH-EC-003"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Improved management of existing forest (stock change against a baseline)"
    title_zh: ClassVar[str] = "森林经营碳汇（项目与基线碳储量变化之差）"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = ForestManagementInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: ForestManagementInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            if period.days < MIN_PERIOD_DAYS:
                raise MethodologyInputError.single(
                    "period",
                    f"a stock change needs at least {MIN_PERIOD_DAYS} days between inventories, "
                    f"got {period.days}",
                )
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            years = s.add("years in the period = days / 365", Decimal(period.days) / DAYS_PER_YEAR, "yr")

            max_increment = f["max_annual_increment_m3_per_ha"]
            problems = []
            for i, st in enumerate(d.strata):
                growth_per_ha = (
                    st.volume_end_m3_per_ha - st.volume_start_m3_per_ha + st.harvested_m3 / st.area_ha
                )
                rate = growth_per_ha / years
                if rate > max_increment:
                    problems.append(
                        {
                            "field": f"strata.{i}.volume_end_m3_per_ha",
                            "message": f"stratum {st.stratum_id!r} grows "
                            f"{rate.quantize(Decimal('0.1'))} m3/ha a year (standing change plus harvest), "
                            f"above the {max_increment} m3/ha/year "
                            "plausibility limit",
                        }
                    )
            if problems:
                raise MethodologyInputError(problems)
            harvested = sum((st.harvested_m3 for st in d.strata), Decimal(0))
            baseline_harvest = d.baseline_harvest_m3_per_yr * years
            if harvested < baseline_harvest:
                raise MethodologyInputError.single(
                    "baseline_harvest_m3_per_yr",
                    f"the project harvested {harvested} m3, less than the pre-project "
                    f"{d.baseline_harvest_m3_per_yr} m3/yr over {years} years ({q(baseline_harvest)} m3): "
                    "reduced harvest would shift felling elsewhere (leakage), "
                    "which this version does not cover",
                )

            co2_per_c = Decimal(44) / Decimal(12)
            per_m3 = {
                group: s.add(
                    f"{group}: CO2 per m3 of growing stock = BCEF x (1 + R) x CF x 44/12",
                    f["bcef_t_dm_per_m3"]
                    * (1 + f[f"root_shoot_{group}"])
                    * f["carbon_fraction"]
                    * co2_per_c
                    * KG_PER_T,
                    "kg CO2 / m3",
                )
                for group in sorted({st.species_group for st in d.strata})
            }
            project_change = Decimal(0)
            baseline_change = Decimal(0)
            for st in d.strata:
                k = per_m3[st.species_group]
                tag = f"stratum {st.stratum_id} ({st.species_group}, {st.area_ha} ha)"
                standing = s.add(
                    f"{tag}: standing volume change = area x (end - start)",
                    st.area_ha * (st.volume_end_m3_per_ha - st.volume_start_m3_per_ha),
                    "m3",
                )
                growth = s.add(
                    f"{tag}: project growth = (standing change + harvested) x CO2 per m3",
                    (standing + st.harvested_m3) * k,
                    "kg CO2",
                )
                removed = s.add(
                    f"{tag}: harvest removals = harvested x CO2 per m3", st.harvested_m3 * k, "kg CO2"
                )
                change = s.add(
                    f"{tag}: project stock change = growth - harvest removals", growth - removed, "kg CO2"
                )
                if st.baseline_increment_m3_per_ha_yr is None:
                    rate = f["default_baseline_increment_m3_per_ha_yr"]
                    source = "default"
                else:
                    rate = st.baseline_increment_m3_per_ha_yr
                    source = "pre-project inventory"
                base = s.add(
                    f"{tag}: baseline stock change = area x {rate} m3/ha/yr ({source}) x years x CO2 per m3",
                    st.area_ha * rate * years * k,
                    "kg CO2",
                )
                project_change += change
                baseline_change += base
            project_change = s.add("project stock change, all strata", project_change, "kg CO2")
            baseline_change = s.add("baseline stock change, all strata", baseline_change, "kg CO2")
            uncertainty = s.add(
                f"uncertainty deduction = project stock change x {d.sampling_error_pct} %",
                max(project_change, Decimal(0)) * d.sampling_error_pct / 100,
                "kg CO2",
            )
            after_uncertainty = project_change - uncertainty
            buffer = s.add(
                "non-permanence buffer = (project stock change - uncertainty - baseline stock change)"
                f" x {f['non_permanence_buffer']}",
                max(after_uncertainty - baseline_change, Decimal(0)) * f["non_permanence_buffer"],
                "kg CO2",
            )
            credited = s.add(
                "project removals credited = stock change - uncertainty - buffer",
                after_uncertainty - buffer,
                "kg CO2",
            )
            diesel = s.add(
                "diesel emissions = diesel t x NCV x CO2 factor",
                d.diesel_kg / KG_PER_T * f["diesel_ncv_gj_per_t"] * f["diesel_co2_kg_per_gj"],
                "kg CO2",
            )
            gasoline = s.add(
                "gasoline emissions = gasoline t x NCV x CO2 factor",
                d.gasoline_kg / KG_PER_T * f["gasoline_ncv_gj_per_t"] * f["gasoline_co2_kg_per_gj"],
                "kg CO2",
            )
            emissions = s.add("management emissions = diesel + gasoline", diesel + gasoline, "kg CO2")
            baseline = s.add("baseline = - baseline stock change", -baseline_change, "kg CO2")
            project = s.add(
                "project = management emissions - removals credited", emissions - credited, "kg CO2"
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
