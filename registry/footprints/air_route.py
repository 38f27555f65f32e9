"""TH-FP-AIR-001 v1: an airline's route over a period (航线碳足迹; R15, airlines' low-carbon routes).

Per aircraft class flown on the route (narrow-body, wide-body, regional jet, turboprop), the jet
fuel burnt, times the jet kerosene CO2 factor. The fuel of a class is the airline's metered block
fuel when it reports it, otherwise flights × an estimated fuel per flight for the class and the
distance flown (the great-circle distance plus the ICAO routing correction); never both. CO2 per
seat and per passenger are recorded in the audit trail for information. See
docs/footprints/TH-FP-AIR-001.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar

from pydantic import Field

from registry.methodologies.base import CONTEXT, MethodologyInputError, MonitoringPeriod, Steps

from .base import ActivityInput, Footprint, FootprintMethodology

#: The aircraft classes in report order: field name (also the factor-key prefix) -> label.
CLASSES: dict[str, str] = {
    "narrow_body": "narrow-body",
    "wide_body": "wide-body",
    "regional_jet": "regional jet",
    "turboprop": "turboprop",
}

#: The longest great-circle distance a class can fly non-stop, km (the range check).
MAX_RANGE_KM: dict[str, Decimal] = {
    "narrow_body": Decimal(7400),  # A321LR, 4,000 nmi
    "wide_body": Decimal(18000),  # A350-900ULR, about 9,700 nmi
    "regional_jet": Decimal(5000),  # E195-E2 / ARJ21-700 extended range, rounded up
    "turboprop": Decimal(2500),  # MA60 / Q400 / ATR 72, rounded up
}

#: The most seats an aircraft of a class has (A321neo in a high-density cabin, A380, E195-E2, Q400).
MAX_SEATS: dict[str, int] = {"narrow_body": 244, "wide_body": 853, "regional_jet": 146, "turboprop": 90}

#: Above this many seats a wide-body is an A380, which burns more than the wide-body factors allow.
A380_SEATS_FROM = 550

#: Round trips are counted as two flights; no airline flies a single route more often than this.
MAX_FLIGHTS_PER_DAY = 60

#: The routing-correction bands of the ICAO calculator: below SHORT_KM, up to LONG_KM, beyond.
SHORT_KM = Decimal(550)
LONG_KM = Decimal(5500)

#: A metered block fuel outside these multiples of the distance-based estimate is an entry error.
METERED_MIN_RATIO = Decimal("0.5")
METERED_MAX_RATIO = Decimal(2)

KG_PER_TONNE = Decimal(1000)


class AircraftClassActivity(ActivityInput):
    flights: int = Field(
        ge=0,
        le=1_000_000,
        description="Flights (departures) of this aircraft class on the route in the period; a round "
        "trip is two flights.",
    )
    seats_per_flight: int = Field(
        gt=0, le=1000, description="Seats offered per flight (the class's average cabin configuration)."
    )
    block_fuel_t: Decimal | None = Field(
        default=None,
        gt=0,
        le=Decimal("1e7"),
        allow_inf_nan=False,
        description="Metered block fuel (block-off to block-on) of these flights in the period, tonnes. "
        "When given it replaces the distance-based estimate for this class.",
    )


class AirRouteInput(ActivityInput):
    great_circle_distance_km: Decimal = Field(
        gt=0,
        le=Decimal(20100),
        allow_inf_nan=False,
        description="Great-circle distance between the route's two airports, km (at most half the "
        "Earth's circumference).",
    )
    load_factor: Decimal = Field(
        ge=Decimal("0.01"),
        le=1,
        allow_inf_nan=False,
        description="Passenger load factor on the route in the period (passengers / seats), for the "
        "informative per-passenger figure.",
    )
    narrow_body: AircraftClassActivity | None = Field(
        default=None, description="Narrow-body jets (A319/A320/A321, B737, C919)."
    )
    wide_body: AircraftClassActivity | None = Field(
        default=None, description="Wide-body jets (A330, A350, B777, B787, A380)."
    )
    regional_jet: AircraftClassActivity | None = Field(
        default=None, description="Regional jets (ARJ21/C909, CRJ, E-Jets)."
    )
    turboprop: AircraftClassActivity | None = Field(
        default=None, description="Turboprops (ATR 42/72, Dash 8, MA60)."
    )

    def flown(self) -> list[tuple[str, AircraftClassActivity]]:
        """The classes reported, in the fixed order of ``CLASSES``."""
        return [(name, a) for name in CLASSES if (a := getattr(self, name)) is not None]

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        flown = self.flown()
        if not any(a.flights > 0 for _, a in flown):
            problems.append(("", "no flights: report at least one aircraft class with flights > 0"))
        for name, a in flown:
            label = CLASSES[name]
            if a.flights > 0 and self.great_circle_distance_km > MAX_RANGE_KM[name]:
                problems.append(
                    (
                        "great_circle_distance_km",
                        f"{self.great_circle_distance_km} km is beyond the range of any {label} "
                        f"aircraft ({MAX_RANGE_KM[name]} km)",
                    )
                )
            if a.seats_per_flight > MAX_SEATS[name]:
                problems.append(
                    (
                        f"{name}.seats_per_flight",
                        f"{a.seats_per_flight} seats: no {label} aircraft has more than {MAX_SEATS[name]}",
                    )
                )
            if name == "wide_body" and a.seats_per_flight > A380_SEATS_FROM and a.block_fuel_t is None:
                problems.append(
                    (
                        f"{name}.block_fuel_t",
                        f"{a.seats_per_flight} seats is an A380-size aircraft, outside the wide-body fuel "
                        "factors: report its metered block fuel",
                    )
                )
            if a.block_fuel_t is not None and a.flights == 0:
                problems.append(
                    (f"{name}.block_fuel_t", f"{a.block_fuel_t} t of fuel reported for 0 flights")
                )
        return problems


class AirRoute(FootprintMethodology):
    code: ClassVar[str] = "TH-FP-AIR-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = "An airline's route over a period"
    title_zh: ClassVar[str] = "航线碳足迹"
    subjects: ClassVar[tuple[str, ...]] = ("route",)
    requirements: ClassVar[tuple[str, ...]] = ("R15",)
    Input: ClassVar[type[ActivityInput]] = AirRouteInput

    def correction_km(self, gcd_km: Decimal) -> Decimal:
        if gcd_km < SHORT_KM:
            return self.factors["gcd_correction_short_km"]
        if gcd_km <= LONG_KM:
            return self.factors["gcd_correction_medium_km"]
        return self.factors["gcd_correction_long_km"]

    def assess(self, data: ActivityInput, period: MonitoringPeriod) -> Footprint:
        d: AirRouteInput = self._data(data)
        flown = [(name, a) for name, a in d.flown() if a.flights > 0]
        with localcontext(CONTEXT):
            total_flights = sum(a.flights for _, a in flown)
            ceiling = MAX_FLIGHTS_PER_DAY * period.days
            if total_flights > ceiling:
                raise MethodologyInputError(
                    [
                        {
                            "field": f"{name}.flights",
                            "message": f"{total_flights} flights on one route in {period.days} days is "
                            f"more than {MAX_FLIGHTS_PER_DAY} a day ({ceiling})",
                        }
                        for name, _ in flown
                    ]
                )
            ef = self.factors["jet_kerosene_co2_kg_per_kg"]
            s = Steps()
            s.note("period", f"{period.start} to {period.end} ({period.days} days)")
            gcd = s.add("great-circle distance", d.great_circle_distance_km, "km")
            correction = self.correction_km(gcd)
            distance = s.add(
                f"distance flown = great-circle distance + {correction} km", gcd + correction, "km"
            )
            by_source: dict[str, Decimal] = {}
            seats = Decimal(0)
            for name, a in flown:
                label = CLASSES[name]
                flights = s.add(f"{label}: flights", Decimal(a.flights), "")
                per_flight = s.add(
                    f"{label}: estimated fuel per flight = {self.factors[f'{name}_fixed_fuel_kg']} kg + "
                    f"{self.factors[f'{name}_fuel_kg_per_km']} kg/km x distance flown",
                    self.factors[f"{name}_fixed_fuel_kg"] + self.factors[f"{name}_fuel_kg_per_km"] * distance,
                    "kg",
                )
                s.add(f"{label}: fuel burn per km at this distance", per_flight / distance, "kg/km")
                estimate = s.add(
                    f"{label}: estimated fuel = flights x fuel per flight", flights * per_flight, "kg"
                )
                if a.block_fuel_t is None:
                    fuel = estimate
                else:
                    fuel = s.add(f"{label}: metered block fuel (used)", a.block_fuel_t * KG_PER_TONNE, "kg")
                    ratio = s.add(f"{label}: metered / estimated fuel", fuel / estimate, "")
                    if not METERED_MIN_RATIO <= ratio <= METERED_MAX_RATIO:
                        raise MethodologyInputError.single(
                            f"{name}.block_fuel_t",
                            f"{a.block_fuel_t} t is {ratio} times the {estimate} kg estimated for "
                            f"{a.flights} {label} flights of {distance} km; outside "
                            f"{METERED_MIN_RATIO} to {METERED_MAX_RATIO} it is taken as an entry error",
                        )
                by_source[label] = s.add(f"{label}: CO2 = fuel x {ef} kg CO2/kg", fuel * ef, "kg CO2")
                seats += s.add(
                    f"{label}: seats offered = flights x {a.seats_per_flight}",
                    flights * Decimal(a.seats_per_flight),
                    "",
                )
            total = s.add("route footprint (exact)", sum(by_source.values(), Decimal(0)), "kg CO2")
            seats = s.add("seats offered, all classes", seats, "")
            passengers = s.add(f"passengers = seats x load factor {d.load_factor}", seats * d.load_factor, "")
            s.add("CO2 per seat, informative", total / seats, "kg CO2")
            per_passenger = s.add("CO2 per passenger, informative", total / passengers, "kg CO2")
            s.add("CO2 per passenger-km (great-circle), informative", per_passenger / gcd, "kg CO2")
            return Footprint.rounded_up(total, by_source, s.items())
