"""TH-RS-002 v1: building energy-saving retrofit, whole-building metering (R12, resource saving).

Baseline: the electricity and natural gas the building would have used in the reporting period
without the retrofit, from a baseline-period regression model (use per day, per heating degree
day, per cooling degree day) applied to the reporting period's days and degree days, scaled to
the floor area in use (never up) and reduced by the model's bias when it over-predicts. Project:
the metered electricity and gas of the reporting period. Leakage: none. Savings × factors, in the
spirit of IPMVP option C (whole facility) with the statistical criteria of ASHRAE Guideline 14.
See docs/methodologies/TH-RS-002.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Annotated, ClassVar

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

#: The baseline model has monthly resolution: a shorter reporting period is not accepted.
MIN_PERIOD_DAYS = 28
#: Physical ceilings on degree days per day: HDD base 18 °C (a day averaging -42 °C gives 60),
#: CDD base 26 °C (a day averaging 56 °C gives 30). Neither is reached anywhere in China.
MAX_HDD_PER_DAY = Decimal(60)
MAX_CDD_PER_DAY = Decimal(30)
CO2_PER_C = Decimal(44) / Decimal(12)

Coefficient = Annotated[Decimal, Field(ge=0, le=Decimal("1e9"), allow_inf_nan=False)]
Area = Annotated[Decimal, Field(ge=1, le=Decimal("1e7"), allow_inf_nan=False)]


class BuildingRetrofitInput(MonitoringInput):
    gross_floor_area_m2: Area = Field(description="Gross floor area of the building, m2 (as built).")
    baseline_floor_area_in_use_m2: Area = Field(
        description="Floor area in use (occupied, conditioned) during the baseline period, m2."
    )
    reporting_floor_area_in_use_m2: Area = Field(
        description="Floor area in use (occupied, conditioned) during the reporting period, m2."
    )
    baseline_months: int = Field(
        ge=12,
        le=60,
        description="Number of consecutive months of metered data the baseline model was fitted to "
        "(at least 12: a full cycle of seasons).",
    )
    elec_model_base_kwh_per_day: Coefficient = Field(
        description="Baseline model, electricity: weather-independent use, kWh per day."
    )
    elec_model_kwh_per_hdd: Coefficient = Field(
        description="Baseline model, electricity: kWh per heating degree day (base 18 °C)."
    )
    elec_model_kwh_per_cdd: Coefficient = Field(
        description="Baseline model, electricity: kWh per cooling degree day (base 26 °C)."
    )
    elec_model_cv_rmse_pct: Decimal = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="CV(RMSE) of the electricity model over the baseline months, %.",
    )
    elec_model_nmbe_pct: Decimal = Field(
        ge=-100,
        le=100,
        allow_inf_nan=False,
        description="NMBE of the electricity model over the baseline months, %, signed as "
        "(predicted - metered): positive when the model over-predicts.",
    )
    gas_model_base_m3_per_day: Coefficient = Field(
        description="Baseline model, natural gas: weather-independent use, m3 (standard) per day; "
        "0 when the building used no gas."
    )
    gas_model_m3_per_hdd: Coefficient = Field(
        description="Baseline model, natural gas: m3 (standard) per heating degree day (base 18 °C); "
        "0 when the building used no gas."
    )
    gas_model_cv_rmse_pct: Decimal | None = Field(
        default=None,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="CV(RMSE) of the gas model, %; required when the gas model is not zero.",
    )
    gas_model_nmbe_pct: Decimal | None = Field(
        default=None,
        ge=-100,
        le=100,
        allow_inf_nan=False,
        description="NMBE of the gas model, %, signed (predicted - metered); required when the gas "
        "model is not zero.",
    )
    reporting_electricity_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e10"),
        allow_inf_nan=False,
        description="Electricity metered for the whole building in the reporting period, kWh "
        "(all grid-company revenue meters).",
    )
    reporting_gas_m3: Decimal = Field(
        ge=0,
        le=Decimal("1e9"),
        allow_inf_nan=False,
        description="Natural gas metered for the whole building in the reporting period, m3 at "
        "standard conditions (gas-company meters).",
    )
    reporting_hdd18: Decimal = Field(
        ge=0,
        le=Decimal("1e5"),
        allow_inf_nan=False,
        description="Heating degree days, base 18 °C, of the reporting period (nearest national "
        "weather station), °C·d.",
    )
    reporting_cdd26: Decimal = Field(
        ge=0,
        le=Decimal("1e5"),
        allow_inf_nan=False,
        description="Cooling degree days, base 26 °C, of the reporting period (same station), °C·d.",
    )

    def gas_model_used(self) -> bool:
        return self.gas_model_base_m3_per_day > 0 or self.gas_model_m3_per_hdd > 0

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        for name in ("baseline_floor_area_in_use_m2", "reporting_floor_area_in_use_m2"):
            area: Decimal = getattr(self, name)
            if area > self.gross_floor_area_m2:
                problems.append(
                    (
                        name,
                        f"{area} m2 in use is more than the gross floor area {self.gross_floor_area_m2} m2",
                    )
                )
        if (
            self.elec_model_base_kwh_per_day == 0
            and self.elec_model_kwh_per_hdd == 0
            and (self.elec_model_kwh_per_cdd == 0)
        ):
            problems.append(("elec_model_base_kwh_per_day", "the electricity baseline model is all zero"))
        if self.gas_model_used():
            for name in ("gas_model_cv_rmse_pct", "gas_model_nmbe_pct"):
                if getattr(self, name) is None:
                    problems.append((name, "required when the gas baseline model is not zero"))
        return problems


class BuildingRetrofit(Methodology):
    code: ClassVar[str] = "TH-RS-002"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Building energy-saving retrofit (whole-building metered savings)"
    title_zh: ClassVar[str] = "建筑节能改造"
    category: ClassVar[str] = "resource-saving"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R12")
    Input: ClassVar[type[MonitoringInput]] = BuildingRetrofitInput

    def _check(self, d: BuildingRetrofitInput, period: MonitoringPeriod) -> None:
        problems: list[dict[str, str]] = []
        if period.days < MIN_PERIOD_DAYS:
            problems.append(
                {
                    "field": "period",
                    "message": f"the baseline model is monthly: a reporting period needs at least "
                    f"{MIN_PERIOD_DAYS} days, got {period.days}",
                }
            )
        for name, per_day in (("reporting_hdd18", MAX_HDD_PER_DAY), ("reporting_cdd26", MAX_CDD_PER_DAY)):
            value: Decimal = getattr(d, name)
            if value > per_day * period.days:
                problems.append(
                    {
                        "field": name,
                        "message": f"{value} degree days is more than {per_day} a day for "
                        f"{period.days} days ({per_day * period.days})",
                    }
                )
        max_cv = self.factors["max_cv_rmse_pct_monthly"]
        max_nmbe = self.factors["max_abs_nmbe_pct_monthly"]
        models: list[tuple[str, Decimal | None, Decimal | None]] = [
            ("elec", d.elec_model_cv_rmse_pct, d.elec_model_nmbe_pct)
        ]
        if d.gas_model_used():
            models.append(("gas", d.gas_model_cv_rmse_pct, d.gas_model_nmbe_pct))
        for fuel, cv, nmbe in models:
            if cv is not None and cv > max_cv:
                problems.append(
                    {
                        "field": f"{fuel}_model_cv_rmse_pct",
                        "message": f"CV(RMSE) {cv} % is above the {max_cv} % allowed for a monthly model",
                    }
                )
            if nmbe is not None and abs(nmbe) > max_nmbe:
                problems.append(
                    {
                        "field": f"{fuel}_model_nmbe_pct",
                        "message": f"NMBE {nmbe} % is outside the ±{max_nmbe} % allowed for a monthly model",
                    }
                )
        if problems:
            raise MethodologyInputError(problems)

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: BuildingRetrofitInput = self._data(data)
        with localcontext(CONTEXT):
            self._check(d, period)
            days = Decimal(period.days)
            grid = self.factors["grid_ef_kg_per_kwh"]
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            gas_ef = s.add(
                "natural gas CO2 factor = NCV x carbon content x oxidation x 44/12",
                self.factors["gas_ncv_gj_per_m3"]
                * self.factors["gas_carbon_kg_c_per_gj"]
                * self.factors["gas_oxidation_fraction"]
                * CO2_PER_C,
                "kg CO2 / m3",
            )
            area = s.add(
                "floor-area adjustment = min(1, reporting area in use / baseline area in use)",
                min(Decimal(1), d.reporting_floor_area_in_use_m2 / d.baseline_floor_area_in_use_m2),
                "",
            )
            elec_model = s.add(
                "electricity model = base x days + per HDD x HDD + per CDD x CDD",
                d.elec_model_base_kwh_per_day * days
                + d.elec_model_kwh_per_hdd * d.reporting_hdd18
                + d.elec_model_kwh_per_cdd * d.reporting_cdd26,
                "kWh",
            )
            elec_bias = max(Decimal(0), d.elec_model_nmbe_pct) / 100
            elec_adj = s.add(
                "adjusted baseline electricity = model x area adjustment x (1 - max(0, NMBE))",
                elec_model * area * (1 - elec_bias),
                "kWh",
            )
            gas_adj = Decimal(0)
            if d.gas_model_used():
                gas_model = s.add(
                    "gas model = base x days + per HDD x HDD",
                    d.gas_model_base_m3_per_day * days + d.gas_model_m3_per_hdd * d.reporting_hdd18,
                    "m3",
                )
                gas_bias = max(Decimal(0), d.gas_model_nmbe_pct or Decimal(0)) / 100
                gas_adj = s.add(
                    "adjusted baseline gas = model x area adjustment x (1 - max(0, NMBE))",
                    gas_model * area * (1 - gas_bias),
                    "m3",
                )
            s.add("electricity saved, informative", elec_adj - d.reporting_electricity_kwh, "kWh")
            s.add("gas saved, informative", gas_adj - d.reporting_gas_m3, "m3")
            baseline = s.add(
                "baseline emissions = adjusted electricity x grid factor + adjusted gas x gas factor",
                elec_adj * grid + gas_adj * gas_ef,
                "kg CO2",
            )
            project = s.add(
                "project emissions = metered electricity x grid factor + metered gas x gas factor",
                d.reporting_electricity_kwh * grid + d.reporting_gas_m3 * gas_ef,
                "kg CO2",
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
