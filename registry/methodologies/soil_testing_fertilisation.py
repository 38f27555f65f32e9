"""TH-EC-002 v1: soil-testing formula fertilisation (测土配方施肥) — less synthetic nitrogen (R13).

Baseline and project emissions are the direct and indirect (volatilisation, leaching/runoff)
N2O from the synthetic N applied at the conventional rate and at the soil-test rate:
``N × (EF1 + Frac_GASF × EF4 + Frac_LEACH × EF5) × 44/28 × GWP``. Upstream emissions of
fertiliser manufacture are left out (no confirmed China factor; leaving them out is
conservative). See docs/methodologies/TH-EC-002.md.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal, localcontext
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

DAYS_PER_LONGEST_YEAR = Decimal(366)


class SoilTestingFertilisationInput(MonitoringInput):
    area_ha: Decimal = Field(
        gt=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Cropland area fertilised by the soil-test formula in each season, ha.",
    )
    crop_seasons: int = Field(
        ge=1,
        le=30,
        description="Number of crop seasons on that area whose fertilisation falls in the period.",
    )
    baseline_n_kg_per_ha: Decimal = Field(
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="Conventional synthetic N rate before the project, kg N/ha per season "
        "(pre-project farm survey).",
    )
    project_n_kg_per_ha: Decimal = Field(
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="Synthetic N actually applied under the soil-test formula, kg N/ha per season "
        "(fertilisation records, averaged over the area).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        if self.project_n_kg_per_ha > self.baseline_n_kg_per_ha:
            return [
                (
                    "project_n_kg_per_ha",
                    f"{self.project_n_kg_per_ha} kg N/ha applied is more than the baseline "
                    f"{self.baseline_n_kg_per_ha} kg N/ha; the methodology applies only where "
                    "the soil-test formula reduces synthetic N",
                )
            ]
        return []


class SoilTestingFertilisation(Methodology):
    code: ClassVar[str] = "TH-EC-002"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Soil-testing formula fertilisation: reduced synthetic nitrogen"
    title_zh: ClassVar[str] = "测土配方施肥减少化肥氮投入"
    category: ClassVar[str] = "ecological"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R13")
    Input: ClassVar[type[MonitoringInput]] = SoilTestingFertilisationInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: SoilTestingFertilisationInput = self._data(data)
        with localcontext(CONTEXT):
            # Years in the period, a year counted as 366 days (the longest), rounded up.
            years = (Decimal(period.days) / DAYS_PER_LONGEST_YEAR).to_integral_value(rounding=ROUND_CEILING)
            max_seasons = self.factors["max_seasons_per_year"] * years
            if d.crop_seasons > max_seasons:
                raise MethodologyInputError.single(
                    "crop_seasons",
                    f"{d.crop_seasons} seasons is more than {max_seasons} possible in {period.days} days",
                )
            f = self.factors
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            ef = s.add(
                "N2O-N per kg N = EF1 + Frac_GASF x EF4 + Frac_LEACH x EF5",
                f["ef1_direct"]
                + f["frac_gasf"] * f["ef4_volatilisation"]
                + f["frac_leach"] * f["ef5_leaching"],
                "kg N2O-N / kg N",
            )
            per_kg_n = s.add(
                "CO2e per kg N = N2O-N x 44/28 x GWP",
                ef * Decimal(44) / Decimal(28) * f["gwp_n2o"],
                "kg CO2e / kg N",
            )
            area_seasons = d.area_ha * d.crop_seasons
            n_baseline = s.add(
                "baseline N = rate x area x seasons", d.baseline_n_kg_per_ha * area_seasons, "kg N"
            )
            n_project = s.add(
                "project N = rate x area x seasons", d.project_n_kg_per_ha * area_seasons, "kg N"
            )
            s.add("synthetic N avoided", n_baseline - n_project, "kg N")
            baseline = s.add(
                "baseline emissions = baseline N x CO2e per kg N", n_baseline * per_kg_n, "kg CO2e"
            )
            project = s.add("project emissions = project N x CO2e per kg N", n_project * per_kg_n, "kg CO2e")
            leakage = s.add("leakage", Decimal(0), "kg CO2e")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
