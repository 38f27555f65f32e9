"""TH-FP-PER-001 v1: a person's trip or day (R14), e.g. an attendee offsetting their own travel to
an event.

Each leg is ``distance × the mode's factor``: per passenger-km for air (by distance band, the
distance raised for routing), rail and metro; for road vehicles the vehicle's fuel or electricity
per km (the same defaults and fuel factors as TH-FP-ORG-001) divided among the people it carries.
Optional hotel room-nights and meals. See docs/footprints/TH-FP-PER-001.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar, Literal

from pydantic import Field

from registry.methodologies.base import CONTEXT, MethodologyInputError, MonitoringPeriod, Steps

from .base import ActivityInput, Footprint, FootprintMethodology

KG_PER_T = Decimal(1000)
KM_PER_100KM = Decimal(100)
HOURS_PER_DAY = Decimal(24)

#: No leg of any mode is longer than this (a nonstop flight halfway round the Earth).
MAX_LEG_KM = Decimal(20_000)

#: Air distance bands (great-circle km): up to SHORT is short, up to MEDIUM is medium, beyond is long.
AIR_SHORT_MAX_KM = Decimal(1_000)
AIR_MEDIUM_MAX_KM = Decimal(3_700)

#: Plausibility bounds per mode, not factors: the longest single leg, km, and the top speed, km/h
#: (a period of n days holds at most 24 × n hours of travel at these speeds).
MODES: dict[str, tuple[Decimal, Decimal]] = {
    "air": (Decimal(18_000), Decimal(1_300)),  # longest airliner range ~18,000 km; jet-stream ground speed
    "rail_high_speed": (Decimal(4_500), Decimal(350)),
    "rail_ordinary": (Decimal(5_000), Decimal(160)),
    "coach": (Decimal(3_000), Decimal(120)),
    "car_gasoline": (Decimal(3_000), Decimal(120)),
    "car_diesel": (Decimal(3_000), Decimal(120)),
    "car_hybrid": (Decimal(3_000), Decimal(120)),
    "car_electric": (Decimal(3_000), Decimal(120)),
    "taxi": (Decimal(500), Decimal(120)),
    "metro": (Decimal(150), Decimal(140)),
    "bus": (Decimal(300), Decimal(80)),
    "e_bike": (Decimal(150), Decimal(25)),  # GB 17761-2018: at most 25 km/h
}

Mode = Literal[
    "air",
    "rail_high_speed",
    "rail_ordinary",
    "coach",
    "car_gasoline",
    "car_diesel",
    "car_hybrid",
    "car_electric",
    "taxi",
    "metro",
    "bus",
    "e_bike",
]

#: Car modes -> (energy carrier, key of the car's consumption per km, shared with TH-FP-ORG-001).
CARS: dict[str, tuple[str, str]] = {
    "car_gasoline": ("gasoline", "passenger_car_gasoline_l_per_100km"),
    "car_diesel": ("diesel", "passenger_car_diesel_l_per_100km"),
    "car_hybrid": ("gasoline", "passenger_car_hybrid_l_per_100km"),
    "car_electric": ("electricity", "passenger_car_electric_kwh_per_km"),
}

MAX_MEALS_PER_DAY = 6


class Leg(ActivityInput):
    mode: Mode = Field(description="How the leg was travelled.")
    distance_km: Decimal = Field(
        gt=0,
        le=MAX_LEG_KM,
        allow_inf_nan=False,
        description="Distance of the leg, km: great-circle distance between the airports for air, "
        "timetable or map distance otherwise.",
    )
    occupants: int | None = Field(
        default=None,
        ge=1,
        le=9,
        description="People in the car, driver included (car modes only; the car's emissions are shared "
        "among them).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        max_km = MODES[self.mode][0]
        if self.distance_km > max_km:
            problems.append(
                ("distance_km", f"a {self.mode} leg of {self.distance_km} km is longer than {max_km} km")
            )
        if self.mode in CARS and self.occupants is None:
            problems.append(("occupants", f"a {self.mode} leg needs the number of occupants"))
        if self.mode not in CARS and self.occupants is not None:
            problems.append(("occupants", f"occupants are given for car legs only, not {self.mode}"))
        return problems


class PersonalTripInput(ActivityInput):
    legs: tuple[Leg, ...] = Field(
        max_length=100, description="The person's legs in the period, in any order."
    )
    hotel_nights: int = Field(
        default=0, ge=0, le=366, description="Hotel room-nights of the person in the period."
    )
    meals: int = Field(
        default=0, ge=0, le=366 * MAX_MEALS_PER_DAY, description="Meals eaten out in the period."
    )


class PersonalTrip(FootprintMethodology):
    code: ClassVar[str] = "TH-FP-PER-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "A person's trip or day"
    title_zh: ClassVar[str] = "个人出行碳足迹"
    subjects: ClassVar[tuple[str, ...]] = ("person",)
    requirements: ClassVar[tuple[str, ...]] = ("R14",)
    Input: ClassVar[type[ActivityInput]] = PersonalTripInput

    def assess(self, data: ActivityInput, period: MonitoringPeriod) -> Footprint:
        d: PersonalTripInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            self._check_against_period(d, period)
            s = Steps()
            s.note("period", f"{period.start} to {period.end} ({period.days} days)")
            travel = Decimal(0)
            for i, leg in enumerate(d.legs):
                travel += self._leg(s, f"leg {i + 1} {leg.mode}", leg)
            travel = s.add("travel, total", travel, "kg CO2e")
            accommodation = s.add(
                "accommodation = room-nights x factor",
                d.hotel_nights * f["hotel_kg_per_room_night"],
                "kg CO2e",
            )
            catering = s.add("catering = meals x factor", d.meals * f["meal_kg_per_meal"], "kg CO2e")
            total = s.add("footprint (exact)", travel + accommodation + catering, "kg CO2e")
            return Footprint.rounded_up(
                total, {"travel": travel, "accommodation": accommodation, "catering": catering}, s.items()
            )

    def _leg(self, s: Steps, label: str, leg: Leg) -> Decimal:
        f = self.factors
        km = leg.distance_km
        if leg.mode == "air":
            band = "short" if km <= AIR_SHORT_MAX_KM else "medium" if km <= AIR_MEDIUM_MAX_KM else "long"
            flown = s.add(f"{label}: distance flown = km x uplift", km * f["air_distance_uplift"], "km")
            return s.add(
                f"{label}: emissions = km flown x {band}-haul factor",
                flown * f[f"air_{band}_kg_per_pkm"],
                "kg CO2e",
            )
        if leg.mode == "rail_high_speed":
            kwh = s.add(f"{label}: electricity = km x kWh/pkm", km * f["rail_high_speed_kwh_per_pkm"], "kWh")
            return s.add(
                f"{label}: emissions = kWh x national grid factor",
                kwh * f["grid_ef_national_kg_per_kwh"],
                "kg CO2",
            )
        if leg.mode == "rail_ordinary":
            return s.add(f"{label}: emissions = km x factor", km * f["rail_ordinary_kg_per_pkm"], "kg CO2e")
        if leg.mode in ("metro", "e_bike"):
            key = "metro_kwh_per_pkm" if leg.mode == "metro" else "e_bike_kwh_per_km"
            kwh = s.add(f"{label}: electricity = km x kWh/km", km * f[key], "kWh")
            return s.add(f"{label}: emissions = kWh x grid factor", kwh * f["grid_ef_kg_per_kwh"], "kg CO2")
        if leg.mode in ("bus", "coach"):
            vehicle = self._diesel_vehicle(s, label, km, "bus_diesel_l_per_100km")
            return s.add(
                f"{label}: share = vehicle emissions / passengers",
                vehicle / f[f"{leg.mode}_passengers_per_vehicle"],
                "kg CO2e",
            )
        if leg.mode == "taxi":
            vkm = s.add(
                f"{label}: vehicle-km = km x empty-running factor", km * f["taxi_empty_running_factor"], "km"
            )
            return self._fuel_vehicle(s, label, vkm, "gasoline", "passenger_car_gasoline_l_per_100km")
        carrier, key = CARS[leg.mode]
        assert leg.occupants is not None  # consistency_errors guarantees it for car modes
        if carrier == "electricity":
            kwh = s.add(f"{label}: electricity = km x kWh/km", km * f[key], "kWh")
            vehicle = s.add(
                f"{label}: car emissions = kWh x grid factor", kwh * f["grid_ef_kg_per_kwh"], "kg CO2"
            )
        else:
            vehicle = self._fuel_vehicle(s, label, km, carrier, key)
        return s.add(
            f"{label}: share = car emissions / {leg.occupants} occupants", vehicle / leg.occupants, "kg CO2e"
        )

    def _diesel_vehicle(self, s: Steps, label: str, vkm: Decimal, key: str) -> Decimal:
        return self._fuel_vehicle(s, label, vkm, "diesel", key)

    def _fuel_vehicle(self, s: Steps, label: str, vkm: Decimal, fuel: str, key: str) -> Decimal:
        f = self.factors
        litres = s.add(f"{label}: {fuel} = vehicle-km x L/100 km / 100", vkm * f[key] / KM_PER_100KM, "L")
        kg = s.add(f"{label}: mass = L x density", litres * f[f"{fuel}_density_kg_per_l"], "kg")
        gj = s.add(f"{label}: energy = kg x NCV / 1000", kg * f[f"{fuel}_ncv_gj_per_t"] / KG_PER_T, "GJ")
        return s.add(f"{label}: vehicle emissions = GJ x factor", gj * f[f"{fuel}_co2e_kg_per_gj"], "kg CO2e")

    def _check_against_period(self, d: PersonalTripInput, period: MonitoringPeriod) -> None:
        hours = sum((leg.distance_km / MODES[leg.mode][1] for leg in d.legs), Decimal(0))
        available = HOURS_PER_DAY * period.days
        if hours > available:
            raise MethodologyInputError.single(
                "legs",
                f"the legs take at least {hours.quantize(Decimal('0.1'))} h at each mode's top speed, more "
                f"than the {available} h of the {period.days}-day period",
            )
        if d.hotel_nights > period.days:
            raise MethodologyInputError.single(
                "hotel_nights", f"{d.hotel_nights} room-nights in a {period.days}-day period"
            )
        if d.meals > MAX_MEALS_PER_DAY * period.days:
            raise MethodologyInputError.single(
                "meals",
                f"{d.meals} meals is more than {MAX_MEALS_PER_DAY} a day for {period.days} days",
            )
