"""TH-RS-003 v1: high-efficiency motor replacement (R12, resource saving).

For each replaced three-phase induction motor the shaft power it delivers (rated power × measured
load factor) and its metered running hours give the shaft energy. Baseline: that shaft energy
delivered at the baseline efficiency, the higher of the measured efficiency of the old motor and
the minimum efficiency a new motor of the same rated power may have on the Chinese market
(GB 18613-2020 grade 3, equal to IE3 of IEC 60034-30-1), so there is no credit for a replacement
the market minimum would have given anyway. Project: the same shaft energy at the new motor's
efficiency. Savings = P_shaft × hours × (1/η_baseline − 1/η_new) × grid factor. Leakage: none (the
old motor is scrapped). See docs/methodologies/TH-RS-003.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Annotated, ClassVar, Literal

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

HOURS_PER_DAY = Decimal(24)

#: Rated powers (kW) of the minimum-efficiency table, ascending; factor key ``ie3_4p_<kW>kw``.
#: Intermediate powers take the next higher rated power's value (a higher efficiency, hence
#: fewer savings); the last row covers everything from 200 kW to 1000 kW.
RATED_POWERS_KW: tuple[str, ...] = (
    "0.75", "1.1", "1.5", "2.2", "3", "4", "5.5", "7.5", "11", "15", "18.5", "22",
    "30", "37", "45", "55", "75", "90", "110", "132", "160", "200",
)  # fmt: skip
MAX_RATED_POWER_KW = Decimal(1000)

# A motor of 0.75 kW or more below 50 % efficiency is a data error (IE1 at 0.75 kW is 72.1 %).
Efficiency = Annotated[Decimal, Field(ge=Decimal("0.5"), lt=1, allow_inf_nan=False)]


class ReplacedMotor(MonitoringInput):
    motor_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the drive (asset tag of the new motor).",
    )
    poles: Literal[2, 4, 6, 8] = Field(description="Number of poles of the new motor.")
    rated_power_kw: Decimal = Field(
        ge=Decimal("0.75"),
        le=MAX_RATED_POWER_KW,
        allow_inf_nan=False,
        description="Rated (nameplate) output power of the new motor, kW; 0.75 kW to 1000 kW.",
    )
    load_factor: Decimal = Field(
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="Mean shaft load as a fraction of the rated power, from the load measurement "
        "(logged input power × efficiency / rated power) over the period.",
    )
    operating_hours: Decimal = Field(
        ge=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Running hours of the new motor in the period, h (hour meter or logged run status).",
    )
    old_efficiency_measured: Efficiency = Field(
        description="Efficiency of the replaced motor at its operating load, fraction, measured "
        "before replacement (e.g. under GB/T 1032 or the field method of GB/T 12497)."
    )
    new_efficiency_rated: Efficiency = Field(
        description="Efficiency of the new motor at rated load, fraction, from its type test report "
        "under GB/T 1032 / IEC 60034-2-1 (the value on the energy label)."
    )
    old_motor_scrapped: bool = Field(description="The replaced motor was scrapped (evidence on file).")

    def consistency_errors(self) -> list[tuple[str, str]]:
        if not self.old_motor_scrapped:
            return [
                (
                    "old_motor_scrapped",
                    "the replaced motor must be scrapped; one kept or sold may run elsewhere (leakage)",
                )
            ]
        return []


class MotorEfficiencyInput(MonitoringInput):
    motors: tuple[ReplacedMotor, ...] = Field(min_length=1, max_length=10000, description="Replaced motors.")

    def consistency_errors(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        problems: list[tuple[str, str]] = []
        for i, m in enumerate(self.motors):
            if m.motor_id in seen:
                problems.append((f"motors.{i}.motor_id", f"motor {m.motor_id!r} appears twice"))
            seen.add(m.motor_id)
        return problems


def table_power_kw(rated_power_kw: Decimal) -> str:
    """The table row a rated power falls under: the smallest tabulated power at or above it."""
    for power in RATED_POWERS_KW:
        if rated_power_kw <= Decimal(power):
            return power
    return RATED_POWERS_KW[-1]


class MotorEfficiency(Methodology):
    code: ClassVar[str] = "TH-RS-003"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "High-efficiency motor replacement"
    title_zh: ClassVar[str] = "电机能效提升"
    category: ClassVar[str] = "resource-saving"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R12")
    Input: ClassVar[type[MonitoringInput]] = MotorEfficiencyInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: MotorEfficiencyInput = self._data(data)
        with localcontext(CONTEXT):
            hours_in_period = HOURS_PER_DAY * period.days
            problems = [
                {
                    "field": f"motors.{i}.operating_hours",
                    "message": f"{m.operating_hours} h is more than the {hours_in_period} h in the period",
                }
                for i, m in enumerate(d.motors)
                if m.operating_hours > hours_in_period
            ]
            if problems:
                raise MethodologyInputError(problems)
            grid = self.factors["grid_ef_kg_per_kwh"]
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            baseline_kwh = Decimal(0)
            project_kwh = Decimal(0)
            for m in d.motors:
                tag = f"motor {m.motor_id} ({m.rated_power_kw} kW, {m.poles}-pole)"
                row = table_power_kw(m.rated_power_kw)
                market_min = s.add(
                    f"{tag}: market minimum efficiency (GB 18613-2020 grade 3 / IE3, {row} kW row)",
                    self.factors[f"ie3_4p_{row}kw"],
                    "",
                )
                eta_base = s.add(
                    f"{tag}: baseline efficiency = max(measured old, market minimum)",
                    max(m.old_efficiency_measured, market_min),
                    "",
                )
                shaft = s.add(
                    f"{tag}: shaft energy = rated power x load factor x hours",
                    m.rated_power_kw * m.load_factor * m.operating_hours,
                    "kWh",
                )
                baseline_kwh += s.add(
                    f"{tag}: baseline electricity = shaft energy / baseline efficiency",
                    shaft / eta_base,
                    "kWh",
                )
                project_kwh += s.add(
                    f"{tag}: project electricity = shaft energy / new efficiency",
                    shaft / m.new_efficiency_rated,
                    "kWh",
                )
            baseline_kwh = s.add("baseline electricity, all motors", baseline_kwh, "kWh")
            project_kwh = s.add("project electricity, all motors", project_kwh, "kWh")
            baseline = s.add(
                "baseline emissions = baseline electricity x grid factor", baseline_kwh * grid, "kg CO2"
            )
            project = s.add(
                "project emissions = project electricity x grid factor", project_kwh * grid, "kg CO2"
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
