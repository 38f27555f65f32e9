"""TH-FP-EVT-001 v1: the footprint of a large event (大型活动碳中和) (R14, R15).

Follows the emission sources of MEE's 大型活动碳中和实施指南（试行） (2019): travel of attendees
and staff to and from the event, the venue's energy (grid electricity, natural gas, generator
diesel), accommodation, catering, and materials bought for the event and the waste it leaves.
Every source is activity data x a published factor; the total is rounded up to whole kg. See
docs/footprints/TH-FP-EVT-001.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar, Literal

from pydantic import Field

from registry.methodologies.base import (
    CONTEXT,
    MethodologyInputError,
    MonitoringInput,
    MonitoringPeriod,
    Steps,
)

from .base import Footprint, FootprintMethodology

#: The longest period one event's footprint may cover, set-up and tear-down included (days).
MAX_PERIOD_DAYS = 60

#: Nights before and after the event days a traveller may plausibly need a room or a meal.
EXTRA_DAYS = 2

#: Meals a person may plausibly be served per day (breakfast, lunch, dinner).
MEALS_PER_DAY = 3

#: Most waste (landfilled plus incinerated) one person plausibly leaves per day at an event, kg.
WASTE_KG_PER_PERSON_DAY = Decimal(10)

#: Air distance bands (great-circle km of the flight leg): short up to 1,000, medium up to 3,700.
AIR_SHORT_MAX_KM = Decimal(1000)
AIR_MEDIUM_MAX_KM = Decimal(3700)

Mode = Literal["air", "high_speed_rail", "rail", "coach", "car", "metro", "bus"]

#: The longest plausible one-way distance of one trip (one flight leg) by each mode, km. A flight
#: leg cannot exceed the longest non-stop airline route (about 15,350 km); the land modes are
#: bounded by the longest scheduled services in and around China, with margin.
MAX_ONE_WAY_KM: dict[str, Decimal] = {
    "air": Decimal(15500),
    "high_speed_rail": Decimal(4000),
    "rail": Decimal(10000),
    "coach": Decimal(3000),
    "car": Decimal(5000),
    "metro": Decimal(150),
    "bus": Decimal(200),
}

#: Factor key of each non-air mode (air is chosen by distance band).
MODE_FACTOR: dict[str, str] = {
    "high_speed_rail": "rail_high_speed_kg_per_pkm",
    "rail": "rail_ordinary_kg_per_pkm",
    "coach": "coach_kg_per_pkm",
    "car": "car_kg_per_vkm",
    "metro": "metro_kg_per_pkm",
    "bus": "bus_kg_per_pkm",
}


class TravelGroup(MonitoringInput):
    """Travellers who came from one origin by one mode, each making the same round trips."""

    origin: str = Field(
        min_length=1,
        max_length=60,
        description="Where the group travelled from (city or district), for the record.",
    )
    mode: Mode = Field(
        description="air, high_speed_rail, rail (ordinary), coach, car (incl. taxi), metro or bus. "
        "A journey using several modes is entered as one group per mode."
    )
    travellers: int = Field(
        ge=1, le=1_000_000, description="Number of people in the group (attendees and staff)."
    )
    one_way_km: Decimal = Field(
        gt=0,
        le=Decimal(20000),
        allow_inf_nan=False,
        description="One-way distance of one trip, km: the great-circle distance of the flight leg for air "
        "(each leg of a connection is its own group), the route distance for land modes.",
    )
    round_trips_per_traveller: int = Field(
        ge=1,
        le=MAX_PERIOD_DAYS,
        description="Round trips each traveller made (1 for the journey to the event and home; the number of "
        "days for a daily commute). At most one a day of the period.",
    )
    car_occupancy: int | None = Field(
        default=None,
        ge=1,
        le=8,
        description="People per car, including the driver; required for mode car and only for it.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        limit = MAX_ONE_WAY_KM[self.mode]
        if self.one_way_km > limit:
            what = (
                "any airliner's non-stop range" if self.mode == "air" else f"any plausible {self.mode} trip"
            )
            problems.append(
                ("one_way_km", f"{self.one_way_km} km one way by {self.mode} is beyond {what} ({limit} km)")
            )
        if self.mode == "car" and self.car_occupancy is None:
            problems.append(("car_occupancy", "a car group must state the people per car"))
        if self.mode != "car" and self.car_occupancy is not None:
            problems.append(("car_occupancy", f"only a car group has an occupancy, not {self.mode}"))
        return problems


class LargeEventInput(MonitoringInput):
    attendees: int = Field(
        ge=1, le=1_000_000, description="People at the event: attendees, performers, staff and volunteers."
    )
    event_days: int = Field(
        ge=1,
        le=MAX_PERIOD_DAYS,
        description="Days the event runs (the period may add set-up and tear-down days).",
    )
    travel: list[TravelGroup] = Field(
        max_length=500, description="Travel to and from the event, one entry per origin and mode."
    )
    electricity_kwh: Decimal = Field(
        ge=0,
        le=Decimal("1e8"),
        allow_inf_nan=False,
        description="Grid electricity used by the venue(s) and event offices in the period, kWh "
        "(meter readings).",
    )
    natural_gas_m3: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Natural gas burnt at the venue(s) (boilers, kitchens) in the period, m3 at "
        "standard conditions.",
    )
    diesel_litres: Decimal = Field(
        ge=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Diesel burnt in generators and other equipment of the event, litres (fuel receipts).",
    )
    room_nights: int = Field(
        ge=0,
        le=10_000_000,
        description="Hotel room-nights booked for attendees and staff because of the event.",
    )
    meat_meals: int = Field(ge=0, le=10_000_000, description="Catered meals containing meat or fish.")
    vegetarian_meals: int = Field(ge=0, le=10_000_000, description="Catered vegetarian or vegan meals.")
    printed_matter_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Paper bought for the event (programmes, posters, badges, bags), kg.",
    )
    plastics_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e6"),
        allow_inf_nan=False,
        description="Plastic materials bought for the event (banners, backdrops, signage, "
        "single-use items), kg.",
    )
    waste_landfilled_kg: Decimal = Field(
        ge=0, le=Decimal("1e7"), allow_inf_nan=False, description="Event waste sent to landfill, kg."
    )
    plastic_waste_incinerated_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Plastic waste incinerated, kg; incinerated waste of unknown composition is "
        "entered here.",
    )
    other_waste_incinerated_kg: Decimal = Field(
        ge=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Incinerated waste known to be food, paper or other biogenic material, kg (recorded; its "
        "CO2 is biogenic and not counted).",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        days = self.event_days + EXTRA_DAYS
        person_days = self.attendees * days
        for i, group in enumerate(self.travel):
            if group.travellers > self.attendees:
                problems.append(
                    (
                        f"travel.{i}.travellers",
                        f"{group.travellers} travellers from {group.origin} is more than the "
                        f"{self.attendees} people at the event",
                    )
                )
        if self.room_nights > person_days:
            problems.append(
                (
                    "room_nights",
                    f"{self.room_nights} room-nights is more than {self.attendees} people x "
                    f"({self.event_days} event days + {EXTRA_DAYS}) = {person_days} person-nights",
                )
            )
        meals = self.meat_meals + self.vegetarian_meals
        if meals > MEALS_PER_DAY * person_days:
            problems.append(
                (
                    "meat_meals",
                    f"{meals} meals is more than {MEALS_PER_DAY} a day for {self.attendees} people over "
                    f"{days} days ({MEALS_PER_DAY * person_days})",
                )
            )
        waste = self.waste_landfilled_kg + self.plastic_waste_incinerated_kg + self.other_waste_incinerated_kg
        waste_limit = WASTE_KG_PER_PERSON_DAY * person_days
        if waste > waste_limit:
            problems.append(
                (
                    "waste_landfilled_kg",
                    f"{waste} kg of waste is more than {WASTE_KG_PER_PERSON_DAY} kg a day for "
                    f"{self.attendees} people over {days} days ({waste_limit} kg)",
                )
            )
        return problems


class LargeEvent(FootprintMethodology):
    code: ClassVar[str] = "TH-FP-EVT-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "Large events"
    title_zh: ClassVar[str] = "大型活动碳中和"
    subjects: ClassVar[tuple[str, ...]] = ("event",)
    requirements: ClassVar[tuple[str, ...]] = ("R14", "R15")
    Input: ClassVar[type[MonitoringInput]] = LargeEventInput

    def _check_period(self, d: LargeEventInput, period: MonitoringPeriod) -> None:
        if period.days > MAX_PERIOD_DAYS:
            raise MethodologyInputError.single(
                "event_days",
                f"the period {period.start} to {period.end} is {period.days} days; one event's footprint "
                f"covers at most {MAX_PERIOD_DAYS} days, set-up and tear-down included",
            )
        if d.event_days > period.days:
            raise MethodologyInputError.single(
                "event_days", f"{d.event_days} event days do not fit in the {period.days}-day period"
            )
        for i, group in enumerate(d.travel):
            if group.round_trips_per_traveller > period.days:
                raise MethodologyInputError.single(
                    f"travel.{i}.round_trips_per_traveller",
                    f"{group.round_trips_per_traveller} round trips each is more than one a day of the "
                    f"{period.days}-day period",
                )

    def _air_band(self, one_way_km: Decimal) -> tuple[str, str]:
        if one_way_km <= AIR_SHORT_MAX_KM:
            return "short", "air_short_kg_per_pkm"
        if one_way_km <= AIR_MEDIUM_MAX_KM:
            return "medium", "air_medium_kg_per_pkm"
        return "long", "air_long_kg_per_pkm"

    def assess(self, data: MonitoringInput, period: MonitoringPeriod) -> Footprint:
        d: LargeEventInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            self._check_period(d, period)
            s = Steps()
            s.note(
                "event period",
                f"{period.start} to {period.end} ({period.days} days, {d.event_days} event days)",
            )
            s.add("people at the event", Decimal(d.attendees), "persons")

            travel = Decimal(0)
            for n, g in enumerate(d.travel, start=1):
                band, key = self._air_band(g.one_way_km) if g.mode == "air" else ("", MODE_FACTOR[g.mode])
                s.note(f"travel {n}", f"{g.origin}, {g.mode}" + (f", {band} band" if band else ""))
                pkm = s.add(
                    f"travel {n} passenger-km = travellers x 2 x one-way km x round trips",
                    g.travellers * 2 * g.one_way_km * g.round_trips_per_traveller,
                    "pkm",
                )
                if g.mode == "car":
                    assert g.car_occupancy is not None  # guaranteed by TravelGroup.consistency_errors
                    vkm = s.add(
                        f"travel {n} vehicle-km = passenger-km / occupancy", pkm / g.car_occupancy, "vkm"
                    )
                    kg = s.add(f"travel {n} emissions = vehicle-km x factor", vkm * f[key], "kg CO2e")
                else:
                    kg = s.add(f"travel {n} emissions = passenger-km x factor", pkm * f[key], "kg CO2e")
                travel += kg
            travel = s.add("travel", travel, "kg CO2e")

            electricity = s.add(
                "venue electricity = kWh x Sichuan grid factor",
                d.electricity_kwh * f["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            gas = s.add(
                "venue natural gas = m3 x factor", d.natural_gas_m3 * f["natural_gas_kg_per_m3"], "kg CO2"
            )
            diesel = s.add(
                "generator diesel = litres x factor", d.diesel_litres * f["diesel_kg_per_litre"], "kg CO2e"
            )
            energy = s.add("venue energy", electricity + gas + diesel, "kg CO2e")

            accommodation = s.add(
                "accommodation = room-nights x factor",
                d.room_nights * f["hotel_kg_per_room_night"],
                "kg CO2e",
            )

            meat = s.add("meat-based meals = meals x factor", d.meat_meals * f["meal_meat_kg"], "kg CO2e")
            veg = s.add(
                "vegetarian meals = meals x factor", d.vegetarian_meals * f["meal_vegetarian_kg"], "kg CO2e"
            )
            catering = s.add("catering", meat + veg, "kg CO2e")

            paper = s.add(
                "printed matter = kg x factor", d.printed_matter_kg * f["paper_kg_per_kg"], "kg CO2e"
            )
            plastics = s.add(
                "plastic materials = kg x factor", d.plastics_kg * f["plastics_kg_per_kg"], "kg CO2e"
            )
            landfill = s.add(
                "waste landfilled = kg x factor", d.waste_landfilled_kg * f["landfill_kg_per_kg"], "kg CO2e"
            )
            burnt = s.add(
                "plastic waste incinerated = kg x factor",
                d.plastic_waste_incinerated_kg * f["incineration_plastic_kg_per_kg"],
                "kg CO2",
            )
            s.add(
                "other waste incinerated (biogenic carbon, not counted)", d.other_waste_incinerated_kg, "kg"
            )
            materials = s.add("materials and waste", paper + plastics + landfill + burnt, "kg CO2e")

            total = s.add(
                "footprint (exact)", travel + energy + accommodation + catering + materials, "kg CO2e"
            )
            by_source = {
                "travel": travel,
                "venue energy": energy,
                "accommodation": accommodation,
                "catering": catering,
                "materials and waste": materials,
            }
            return Footprint.rounded_up(total, by_source, s.items())
