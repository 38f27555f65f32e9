"""TH-EC-005 v1: western-Sichuan linpan woodland conserved and enriched (川西林盘), R13, ecological.

A linpan is the woodland of a rural settlement on the Chengdu plain: trees and clumps of bamboo
around the farmhouses. Each linpan plot is inventoried at the start and the end of the period
(usually a full census of the trees and culms). Trees: the change of growing-stock volume is
turned into biomass carbon by ``BCEF × (1 + R) × CF × 44/12``, as in TH-EC-001. Bamboo: the
standing above-ground dry biomass is ``culms × mean dry mass per culm`` (the inventory applies
a published per-culm equation for the species); its change is turned into carbon by
``(1 + R_bamboo) × CF_bamboo × 44/12``. The sampling uncertainty and a non-permanence buffer are
deducted. Baseline removals and leakage are zero under the applicability conditions.
See docs/methodologies/TH-EC-005.md.
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
#: Physical ceiling of a stand's growing stock, m3/ha (the per-hectare bound of TH-EC-001).
MAX_VOLUME_M3_PER_HA = Decimal(2000)


class LinpanPlot(MonitoringInput):
    plot_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the linpan plot in the inventory report.",
    )
    area_ha: Decimal = Field(
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="Wooded area of the linpan plot (trees and bamboo, buildings and yards excluded), ha.",
    )
    tree_species_group: Literal["conifer", "broadleaf"] = Field(
        description="Dominant species group of the plot's trees (selects the root-to-shoot ratio).",
    )
    tree_volume_start_m3: Decimal = Field(
        ge=0,
        le=Decimal("200000"),
        allow_inf_nan=False,
        description="Growing-stock volume of all trees of the plot at the start of the period, m3 "
        "(tree census or plot inventory with the provincial volume tables).",
    )
    tree_volume_end_m3: Decimal = Field(
        ge=0,
        le=Decimal("200000"),
        allow_inf_nan=False,
        description="Growing-stock volume of all trees of the plot at the end of the period, m3.",
    )
    bamboo_culms_start: int = Field(
        ge=0, le=10_000_000, description="Standing bamboo culms (DBH at least 2 cm) at the start, count."
    )
    bamboo_culms_end: int = Field(ge=0, le=10_000_000, description="Standing bamboo culms at the end, count.")
    bamboo_kg_per_culm_start: Decimal = Field(
        ge=0,
        le=50,
        allow_inf_nan=False,
        description="Mean above-ground dry biomass per standing culm at the start, kg (the species' "
        "per-culm equation applied to the measured culms; 0 when there are none).",
    )
    bamboo_kg_per_culm_end: Decimal = Field(
        ge=0,
        le=50,
        allow_inf_nan=False,
        description="Mean above-ground dry biomass per standing culm at the end, kg.",
    )


class LinpanWoodlandInput(MonitoringInput):
    plots: tuple[LinpanPlot, ...] = Field(
        min_length=1, max_length=10000, description="Inventoried linpan plots."
    )
    sampling_error_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Half-width of the 90 % confidence interval of the estimated stock change, as a "
        "percentage of the estimate (0 for a full census of trees and culms).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, p in enumerate(self.plots):
            if p.plot_id in seen:
                problems.append((f"plots.{i}.plot_id", f"plot {p.plot_id!r} appears twice"))
            seen.add(p.plot_id)
            for when in ("start", "end"):
                volume: Decimal = getattr(p, f"tree_volume_{when}_m3")
                if volume > MAX_VOLUME_M3_PER_HA * p.area_ha:
                    problems.append(
                        (
                            f"plots.{i}.tree_volume_{when}_m3",
                            f"{volume} m3 on {p.area_ha} ha is more than {MAX_VOLUME_M3_PER_HA} m3/ha",
                        )
                    )
                culms: int = getattr(p, f"bamboo_culms_{when}")
                per_culm: Decimal = getattr(p, f"bamboo_kg_per_culm_{when}")
                if culms > 0 and per_culm == 0:
                    problems.append(
                        (
                            f"plots.{i}.bamboo_kg_per_culm_{when}",
                            f"{culms} culms need their mean dry biomass per culm",
                        )
                    )
                if culms == 0 and per_culm != 0:
                    problems.append(
                        (
                            f"plots.{i}.bamboo_kg_per_culm_{when}",
                            "a mass per culm is given but there are no culms",
                        )
                    )
        return problems


class LinpanWoodland(Methodology):
    code: ClassVar[str] = "TH-EC-005"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Western-Sichuan linpan woodland conserved and enriched (trees and bamboo)"
    title_zh: ClassVar[str] = "川西林盘保护与提升碳汇（林木与竹）"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = LinpanWoodlandInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: LinpanWoodlandInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            if period.days < MIN_PERIOD_DAYS:
                raise MethodologyInputError.single(
                    "period",
                    f"a stock change needs at least {MIN_PERIOD_DAYS} days between inventories, "
                    f"got {period.days}",
                )
            years = period.years
            max_increment = f["max_annual_increment_m3_per_ha"]
            max_bamboo = f["max_bamboo_agb_t_per_ha"]
            problems = []
            for i, p in enumerate(d.plots):
                rate = (p.tree_volume_end_m3 - p.tree_volume_start_m3) / p.area_ha / years
                if rate > max_increment:
                    problems.append(
                        {
                            "field": f"plots.{i}.tree_volume_end_m3",
                            "message": f"plot {p.plot_id!r} trees grow "
                            f"{rate.quantize(Decimal('0.1'))} m3/ha a year, "
                            f"above the {max_increment} m3/ha/year plausibility limit",
                        }
                    )
                for when in ("start", "end"):
                    culms: int = getattr(p, f"bamboo_culms_{when}")
                    per_culm: Decimal = getattr(p, f"bamboo_kg_per_culm_{when}")
                    density = culms * per_culm / KG_PER_T / p.area_ha
                    if density > max_bamboo:
                        problems.append(
                            {
                                "field": f"plots.{i}.bamboo_culms_{when}",
                                "message": f"plot {p.plot_id!r} bamboo above-ground biomass "
                                f"{density.quantize(Decimal('0.1'))} t/ha is above the {max_bamboo} t/ha "
                                "plausibility limit",
                            }
                        )
            if problems:
                raise MethodologyInputError(problems)

            co2_per_c = Decimal(44) / Decimal(12)
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            per_m3 = {
                group: s.add(
                    f"trees, {group}: CO2 per m3 of growing stock = BCEF x (1 + R) x CF x 44/12",
                    f["bcef_t_dm_per_m3"]
                    * (1 + f[f"root_shoot_{group}"])
                    * f["carbon_fraction"]
                    * co2_per_c
                    * KG_PER_T,
                    "kg CO2 / m3",
                )
                for group in sorted({p.tree_species_group for p in d.plots})
            }
            bamboo_per_t = s.add(
                "bamboo: CO2 per t of above-ground dry biomass = (1 + R_bamboo) x CF_bamboo x 44/12",
                (1 + f["bamboo_root_shoot"]) * f["bamboo_carbon_fraction"] * co2_per_c * KG_PER_T,
                "kg CO2 / t d.m.",
            )
            gross = Decimal(0)
            for p in d.plots:
                tag = f"plot {p.plot_id} ({p.area_ha} ha)"
                dv = s.add(
                    f"{tag}: tree volume change = end - start",
                    p.tree_volume_end_m3 - p.tree_volume_start_m3,
                    "m3",
                )
                trees = s.add(
                    f"{tag}: trees CO2 = volume change x CO2 per m3 ({p.tree_species_group})",
                    dv * per_m3[p.tree_species_group],
                    "kg CO2",
                )
                b_start = s.add(
                    f"{tag}: bamboo biomass at start = culms x kg per culm",
                    p.bamboo_culms_start * p.bamboo_kg_per_culm_start / KG_PER_T,
                    "t d.m.",
                )
                b_end = s.add(
                    f"{tag}: bamboo biomass at end = culms x kg per culm",
                    p.bamboo_culms_end * p.bamboo_kg_per_culm_end / KG_PER_T,
                    "t d.m.",
                )
                bamboo = s.add(
                    f"{tag}: bamboo CO2 = (end - start) x CO2 per t",
                    (b_end - b_start) * bamboo_per_t,
                    "kg CO2",
                )
                gross += trees + bamboo
            gross = s.add("gross removals by the project", gross, "kg CO2")
            uncertainty = s.add(
                f"uncertainty deduction = gross x {d.sampling_error_pct} %",
                max(gross, Decimal(0)) * d.sampling_error_pct / 100,
                "kg CO2",
            )
            after_uncertainty = gross - uncertainty
            buffer = s.add(
                f"non-permanence buffer = (gross - uncertainty) x {f['non_permanence_buffer']}",
                max(after_uncertainty, Decimal(0)) * f["non_permanence_buffer"],
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
