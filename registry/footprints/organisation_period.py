"""TH-FP-ORG-001 v1: an organisation's, a fleet's or a certified low-carbon scene's emissions over
a period (R14, R15).

Scope 1: fuels burned (natural gas, diesel, gasoline, LPG, coal), each ``quantity × net calorific
value × CO2e factor``, and the organisation's vehicles by class, each from either the fuel (or,
for electric classes, the electricity) it used or its vehicle-km × a conservative default
consumption. Scope 2: purchased electricity × the Sichuan grid factor and purchased heat × the
heat factor. See docs/footprints/TH-FP-ORG-001.md.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import ClassVar, Literal

from pydantic import Field

from registry.methodologies.base import CONTEXT, MethodologyInputError, MonitoringPeriod, Steps

from .base import ActivityInput, Footprint, FootprintMethodology

KG_PER_T = Decimal(1000)
KM_PER_100KM = Decimal(100)

#: The farthest a road vehicle can go in a day: 24 h at 120 km/h, the top speed limit on China's
#: expressways. A plausibility bound, not a factor.
MAX_KM_PER_VEHICLE_DAY = Decimal(24 * 120)

#: A vehicle class's fuel or electricity in a period may be at most this many times what its
#: default consumption gives at ``MAX_KM_PER_VEHICLE_DAY`` for every day of the period.
MAX_CONSUMPTION_MULTIPLE = Decimal(2)

VehicleClass = Literal[
    "passenger_car_gasoline",
    "passenger_car_diesel",
    "passenger_car_hybrid",
    "passenger_car_electric",
    "light_truck_diesel",
    "heavy_truck_diesel",
    "bus_diesel",
    "bus_electric",
]

#: Vehicle class -> (energy carrier, key of its default consumption per km in the factor file).
#: Combustion classes have their consumption in L per 100 km, electric classes in kWh per km.
VEHICLE_CLASSES: dict[str, tuple[str, str]] = {
    "passenger_car_gasoline": ("gasoline", "passenger_car_gasoline_l_per_100km"),
    "passenger_car_diesel": ("diesel", "passenger_car_diesel_l_per_100km"),
    "passenger_car_hybrid": ("gasoline", "passenger_car_hybrid_l_per_100km"),
    "passenger_car_electric": ("electricity", "passenger_car_electric_kwh_per_km"),
    "light_truck_diesel": ("diesel", "light_truck_diesel_l_per_100km"),
    "heavy_truck_diesel": ("diesel", "heavy_truck_diesel_l_per_100km"),
    "bus_diesel": ("diesel", "bus_diesel_l_per_100km"),
    "bus_electric": ("electricity", "bus_electric_kwh_per_km"),
}

_BIG = Decimal("1e10")


def _quantity(description: str) -> Decimal:
    return Field(default=Decimal(0), ge=0, le=_BIG, allow_inf_nan=False, description=description)


def _optional(description: str) -> Decimal | None:
    return Field(default=None, ge=0, le=_BIG, allow_inf_nan=False, description=description)


class FleetEntry(ActivityInput):
    """One vehicle class of the organisation's fleet: its fuel (or electricity) or its vehicle-km."""

    vehicle_class: VehicleClass = Field(
        description="The vehicle class (selects fuel and default consumption)."
    )
    vehicles: int = Field(
        ge=1, le=100_000, description="Number of vehicles of the class operated in the period."
    )
    vehicle_km: Decimal | None = _optional(
        "Kilometres driven by all vehicles of the class in the period, km (odometers or telematics). "
        "Give either this or the fuel / electricity, not both."
    )
    fuel_litres: Decimal | None = _optional(
        "Fuel bought for the class in the period, L (fuel cards, receipts): gasoline for gasoline cars and "
        "hybrids, diesel for diesel classes. Not for electric classes."
    )
    electricity_kwh: Decimal | None = _optional(
        "Electricity charged by the class in the period, kWh (charger meters). Electric classes only."
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        carrier = VEHICLE_CLASSES[self.vehicle_class][0]
        problems: list[tuple[str, str]] = []
        if carrier == "electricity" and self.fuel_litres is not None:
            problems.append(("fuel_litres", f"{self.vehicle_class} burns no fuel; give electricity_kwh"))
        if carrier != "electricity" and self.electricity_kwh is not None:
            problems.append(("electricity_kwh", f"{self.vehicle_class} is not charged; give fuel_litres"))
        if problems:
            return problems
        energy = self.electricity_kwh if carrier == "electricity" else self.fuel_litres
        energy_field = "electricity_kwh" if carrier == "electricity" else "fuel_litres"
        if energy is not None and self.vehicle_km is not None:
            return [
                (
                    "vehicle_km",
                    f"give either {energy_field} or vehicle_km for {self.vehicle_class}, not both "
                    "(both would count the same driving twice)",
                )
            ]
        if energy is None and self.vehicle_km is None:
            return [("vehicle_km", f"give {energy_field} or vehicle_km for {self.vehicle_class}")]
        return []


class OrganisationPeriodInput(ActivityInput):
    purchased_electricity_kwh: Decimal = Field(
        ge=0,
        le=_BIG,
        allow_inf_nan=False,
        description="Grid electricity bought in the period, kWh (electricity bills), including the charging "
        "of electric vehicles unless that is given per vehicle class under fleet.",
    )
    purchased_heat_gj: Decimal = Field(
        ge=0,
        le=_BIG,
        allow_inf_nan=False,
        description="Heat (steam, hot water) bought in the period, GJ (heat bills).",
    )
    natural_gas_m3: Decimal = _quantity(
        "Natural gas burned in the period, m3 at standard conditions (gas bills)."
    )
    diesel_litres: Decimal | None = _optional(
        "Diesel burned in the period outside the vehicles given under fleet (generators, boilers, other "
        "vehicles), L. Give litres or kg, not both."
    )
    diesel_kg: Decimal | None = _optional("The same diesel, if it is bought by mass, kg.")
    gasoline_litres: Decimal | None = _optional(
        "Gasoline burned in the period outside the vehicles given under fleet, L. "
        "Give litres or kg, not both."
    )
    gasoline_kg: Decimal | None = _optional("The same gasoline, if it is bought by mass, kg.")
    lpg_kg: Decimal = _quantity(
        "Liquefied petroleum gas burned in the period, kg (cylinder or bulk deliveries)."
    )
    coal_t: Decimal = _quantity("Coal burned in the period, t (delivery notes).")
    fleet: tuple[FleetEntry, ...] = Field(
        default=(),
        max_length=len(VEHICLE_CLASSES),
        description="The organisation's vehicles, one entry per vehicle class.",
    )

    def consistency_errors(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.diesel_litres is not None and self.diesel_kg is not None:
            problems.append(("diesel_kg", "give diesel either in litres or in kg, not both"))
        if self.gasoline_litres is not None and self.gasoline_kg is not None:
            problems.append(("gasoline_kg", "give gasoline either in litres or in kg, not both"))
        seen: set[str] = set()
        for i, entry in enumerate(self.fleet):
            if entry.vehicle_class in seen:
                problems.append(
                    (
                        f"fleet.{i}.vehicle_class",
                        f"{entry.vehicle_class} appears twice; give each vehicle class once, "
                        "by fuel or by km",
                    )
                )
            seen.add(entry.vehicle_class)
        return problems


class OrganisationPeriod(FootprintMethodology):
    code: ClassVar[str] = "TH-FP-ORG-001"
    version: ClassVar[int] = 1
    title: ClassVar[str] = (
        "Emissions of an organisation, a fleet or a certified low-carbon scene over a period"
    )
    title_zh: ClassVar[str] = "组织、车队及低碳场景碳排放"
    subjects: ClassVar[tuple[str, ...]] = ("organisation", "fleet", "scene")
    requirements: ClassVar[tuple[str, ...]] = ("R14", "R15")
    Input: ClassVar[type[ActivityInput]] = OrganisationPeriodInput

    def assess(self, data: ActivityInput, period: MonitoringPeriod) -> Footprint:
        d: OrganisationPeriodInput = self._data(data)
        f = self.factors
        with localcontext(CONTEXT):
            self._check_fleet_against_period(d, period)
            s = Steps()
            s.note("period", f"{period.start} to {period.end} ({period.days} days)")

            fuels = Decimal(0)
            if d.natural_gas_m3 > 0:
                gj = s.add(
                    "natural gas: energy = m3 x NCV",
                    d.natural_gas_m3 * f["natural_gas_ncv_gj_per_m3"],
                    "GJ",
                )
                fuels += s.add(
                    "natural gas: emissions = GJ x factor", gj * f["natural_gas_co2e_kg_per_gj"], "kg CO2e"
                )
            for fuel, litres, kg in (
                ("diesel", d.diesel_litres, d.diesel_kg),
                ("gasoline", d.gasoline_litres, d.gasoline_kg),
            ):
                if litres is not None and litres > 0:
                    fuels += self._liquid_fuel(s, fuel, fuel, litres)
                elif kg is not None and kg > 0:
                    fuels += self._fuel_by_mass(s, fuel, fuel, kg)
            if d.lpg_kg > 0:
                fuels += self._fuel_by_mass(s, "LPG", "lpg", d.lpg_kg)
            if d.coal_t > 0:
                gj = s.add("coal: energy = t x NCV", d.coal_t * f["coal_ncv_gj_per_t"], "GJ")
                fuels += s.add("coal: emissions = GJ x factor", gj * f["coal_co2e_kg_per_gj"], "kg CO2e")
            fuels = s.add("fuels, total", fuels, "kg CO2e")

            fleet = Decimal(0)
            for i, entry in enumerate(d.fleet):
                fleet += self._vehicle_class(s, f"fleet {i + 1} {entry.vehicle_class}", entry)
            fleet = s.add("fleet, total", fleet, "kg CO2e")

            electricity = s.add(
                "purchased electricity: emissions = kWh x grid factor",
                d.purchased_electricity_kwh * f["grid_ef_kg_per_kwh"],
                "kg CO2",
            )
            heat = s.add(
                "purchased heat: emissions = GJ x heat factor",
                d.purchased_heat_gj * f["heat_ef_kg_per_gj"],
                "kg CO2",
            )
            total = s.add("footprint (exact)", fuels + fleet + electricity + heat, "kg CO2e")
            by_source = {
                "fuels": fuels,
                "fleet": fleet,
                "purchased electricity": electricity,
                "purchased heat": heat,
            }
            return Footprint.rounded_up(total, by_source, s.items())

    def _liquid_fuel(self, s: Steps, label: str, fuel: str, litres: Decimal) -> Decimal:
        kg = s.add(f"{label}: mass = L x density", litres * self.factors[f"{fuel}_density_kg_per_l"], "kg")
        return self._fuel_by_mass(s, label, fuel, kg)

    def _fuel_by_mass(self, s: Steps, label: str, fuel: str, kg: Decimal) -> Decimal:
        gj = s.add(
            f"{label}: energy = kg x NCV / 1000", kg * self.factors[f"{fuel}_ncv_gj_per_t"] / KG_PER_T, "GJ"
        )
        return s.add(
            f"{label}: emissions = GJ x factor", gj * self.factors[f"{fuel}_co2e_kg_per_gj"], "kg CO2e"
        )

    def _vehicle_class(self, s: Steps, label: str, entry: FleetEntry) -> Decimal:
        carrier, key = VEHICLE_CLASSES[entry.vehicle_class]
        if carrier == "electricity":
            kwh = entry.electricity_kwh
            if kwh is None:
                assert entry.vehicle_km is not None  # consistency_errors guarantees one of them
                kwh = s.add(
                    f"{label}: electricity = vehicle-km x kWh/km", entry.vehicle_km * self.factors[key], "kWh"
                )
            return s.add(
                f"{label}: emissions = kWh x grid factor", kwh * self.factors["grid_ef_kg_per_kwh"], "kg CO2"
            )
        litres = entry.fuel_litres
        if litres is None:
            assert entry.vehicle_km is not None
            litres = s.add(
                f"{label}: {carrier} = vehicle-km x L/100 km / 100",
                entry.vehicle_km * self.factors[key] / KM_PER_100KM,
                "L",
            )
        return self._liquid_fuel(s, label, carrier, litres)

    def _check_fleet_against_period(self, d: OrganisationPeriodInput, period: MonitoringPeriod) -> None:
        """No vehicle drives more than 24 h at 120 km/h a day, nor uses more than twice its class's
        default consumption at that distance."""
        for i, entry in enumerate(d.fleet):
            carrier, key = VEHICLE_CLASSES[entry.vehicle_class]
            max_km = entry.vehicles * period.days * MAX_KM_PER_VEHICLE_DAY
            if entry.vehicle_km is not None and entry.vehicle_km > max_km:
                raise MethodologyInputError.single(
                    f"fleet.{i}.vehicle_km",
                    f"{entry.vehicle_km} km is more than {entry.vehicles} vehicle(s) can drive in "
                    f"{period.days} days at {MAX_KM_PER_VEHICLE_DAY} km a day ({max_km} km)",
                )
            per_km = self.factors[key] if carrier == "electricity" else self.factors[key] / KM_PER_100KM
            ceiling = max_km * per_km * MAX_CONSUMPTION_MULTIPLE
            field, energy, unit = (
                ("electricity_kwh", entry.electricity_kwh, "kWh")
                if carrier == "electricity"
                else ("fuel_litres", entry.fuel_litres, "L")
            )
            if energy is not None and energy > ceiling:
                raise MethodologyInputError.single(
                    f"fleet.{i}.{field}",
                    f"{energy} {unit} is more than {entry.vehicles} {entry.vehicle_class} vehicle(s) can use "
                    f"in {period.days} days: twice the default consumption at {MAX_KM_PER_VEHICLE_DAY} km "
                    f"a day is {ceiling} {unit}",
                )
