"""TH-ES-003 v1: airport stand equipment replacing the aircraft APU (R11, energy substitution).

At a contact stand the aircraft's auxiliary power unit (APU), a small gas turbine burning jet
kerosene, is switched off while the bridge-mounted 400 Hz ground power unit (GPU) and
pre-conditioned air unit (PCA) supply the aircraft (机场桥载设备替代飞机APU).

Baseline: the jet kerosene the APU would have burned during the credited APU-off hours,
``Σ_class hours × APU fuel flow of the class × NCV × CO2 factor``; the credited hours of a class
are capped at ``turnarounds × cap per turnaround``. Project: the electricity of all GPU and PCA
units, ``electricity × grid factor``. Leakage: none. See docs/methodologies/TH-ES-003.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
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

HOURS_PER_DAY = Decimal(24)
KG_PER_T = Decimal(1000)

#: The aircraft classes credited in v1: (field prefix, label, factor key of the APU fuel flow).
CLASSES = (
    ("narrow_body", "narrow-body", "apu_fuel_narrow_body_kg_per_h"),
    ("wide_body", "wide-body", "apu_fuel_wide_body_kg_per_h"),
)


class AirportApuReplacementInput(MonitoringInput):
    narrow_body_apu_off_hours: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Hours in the period during which narrow-body aircraft (A319/A320/A321, B737, C919) "
        "on the equipped stands had the APU off and were supplied by the GPU (and by the PCA whenever "
        "cabin air was needed), h; from the stand equipment monitoring system, turnarounds only.",
    )
    narrow_body_turnarounds: int = Field(
        ge=0,
        le=10_000_000,
        description="Number of narrow-body stand occupations (turnarounds) served by the GPU/PCA in the "
        "period; bounds the credited hours.",
    )
    wide_body_apu_off_hours: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="As narrow_body_apu_off_hours, for wide-body aircraft (A330, A350, B777, B787), h.",
    )
    wide_body_turnarounds: int = Field(
        ge=0,
        le=10_000_000,
        description="Number of wide-body stand occupations (turnarounds) served by the GPU/PCA in the "
        "period.",
    )
    gpu_connected_hours: Decimal = Field(
        gt=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Total hours GPUs were connected to aircraft on the equipped stands in the period, "
        "all aircraft types (including those not credited), h; from the monitoring system.",
    )
    electricity_kwh: Decimal = Field(
        gt=0,
        le=Decimal("1e10"),
        allow_inf_nan=False,
        description="Electricity drawn by all GPU and PCA units of the equipped stands in the period, kWh "
        "(dedicated meters), whatever aircraft they served.",
    )
    equipped_stands: int = Field(
        gt=0,
        le=1000,
        description="Number of stands equipped with a GPU and a PCA unit.",
    )
    equipment_rated_power_kw: Decimal = Field(
        gt=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Sum of the nameplate electrical input power of all GPU and PCA units, kW.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        credited = self.narrow_body_apu_off_hours + self.wide_body_apu_off_hours
        if credited > self.gpu_connected_hours:
            problems.append(
                (
                    "gpu_connected_hours",
                    f"{credited} APU-off hours (narrow- plus wide-body) are more than the "
                    f"{self.gpu_connected_hours} hours the GPUs were connected at all",
                )
            )
        for prefix, label, _ in CLASSES:
            hours: Decimal = getattr(self, f"{prefix}_apu_off_hours")
            turnarounds: int = getattr(self, f"{prefix}_turnarounds")
            if hours > 0 and turnarounds == 0:
                problems.append(
                    (
                        f"{prefix}_turnarounds",
                        f"{hours} {label} APU-off hours are reported without any {label} turnaround",
                    )
                )
        return problems


class AirportApuReplacement(Methodology):
    code: ClassVar[str] = "TH-ES-003"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Airport ground power and pre-conditioned air replacing aircraft APU"
    title_zh: ClassVar[str] = "机场桥载设备替代飞机APU"
    category: ClassVar[str] = "energy-substitution"
    requirements: ClassVar[tuple[str, ...]] = ("R3", "R11")
    Input: ClassVar[type[MonitoringInput]] = AirportApuReplacementInput

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        d: AirportApuReplacementInput = self._data(data)
        with localcontext(CONTEXT):
            stand_hours = d.equipped_stands * HOURS_PER_DAY * period.days
            if d.gpu_connected_hours > stand_hours:
                raise MethodologyInputError.single(
                    "gpu_connected_hours",
                    f"{d.gpu_connected_hours} h is more than {d.equipped_stands} stands can be occupied "
                    f"in {period.days} days ({stand_hours} h)",
                )
            max_kwh = d.equipment_rated_power_kw * HOURS_PER_DAY * period.days
            if d.electricity_kwh > max_kwh:
                raise MethodologyInputError.single(
                    "electricity_kwh",
                    f"{d.electricity_kwh} kWh is more than the GPU and PCA units can draw in {period.days} "
                    f"days at their rated {d.equipment_rated_power_kw} kW ({max_kwh} kWh)",
                )
            s = Steps()
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            cap = self.factors["max_credited_hours_per_turnaround"]
            fuel_kg = Decimal(0)
            for prefix, label, flow_key in CLASSES:
                reported: Decimal = getattr(d, f"{prefix}_apu_off_hours")
                turnarounds: int = getattr(d, f"{prefix}_turnarounds")
                hours = s.add(
                    f"{label}: credited hours = min(APU-off hours, turnarounds x cap)",
                    min(reported, turnarounds * cap),
                    "h",
                )
                fuel_kg += s.add(
                    f"{label}: APU fuel avoided = hours x fuel flow",
                    hours * self.factors[flow_key],
                    "kg",
                )
            fuel_t = s.add("APU jet kerosene avoided", fuel_kg / KG_PER_T, "t")
            energy = s.add(
                "baseline jet kerosene energy = fuel x NCV",
                fuel_t * self.factors["jet_kerosene_ncv_gj_per_t"],
                "GJ",
            )
            baseline = s.add(
                "baseline emissions = energy x jet kerosene CO2 factor",
                energy * self.factors["jet_kerosene_co2_kg_per_gj"],
                "kg CO2",
            )
            elec = s.add("GPU and PCA electricity", d.electricity_kwh, "kWh")
            project = s.add(
                "project emissions = electricity x grid factor",
                elec * self.factors["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            leakage = s.add("leakage", Decimal(0), "kg CO2")
            s.add("net reduction (exact)", baseline - project - leakage, "kg CO2e")
            return Quantification.conservative(baseline, project, leakage, s.items())
