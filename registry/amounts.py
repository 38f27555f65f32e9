"""Carbon amounts: integer kilograms of CO2e on chain and in the database, shown as tonnes
with three decimals. Never floats."""

from __future__ import annotations

import re

KG_PER_TONNE = 1000
# Amounts fit the contracts' uint64 and the database's signed 64-bit integers.
MAX_KG = 2**63 - 1

# What `parse_tonnes` accepts, and nothing else: ASCII digits, at most three decimals. No sign,
# exponent, underscore, surrounding space or non-ASCII digit (which Decimal and int accept).
TONNES_FORMAT = 'tonnes as ASCII digits with at most three decimals, e.g. "120.500"'
TONNES_PATTERN = r"^[0-9]+(\.[0-9]{1,3})?$"  # as a JSON Schema pattern
_TONNES = re.compile(r"([0-9]+)(?:\.([0-9]{1,3}))?", re.ASCII)
# The most digits a whole number of tonnes can have below MAX_KG (9223372036854775).
_MAX_WHOLE_DIGITS = len(str(MAX_KG // KG_PER_TONNE))


def tonnes(kg: int) -> str:
    """1234567 -> "1234.567"."""
    sign = "-" if kg < 0 else ""
    whole, frac = divmod(abs(kg), KG_PER_TONNE)
    return f"{sign}{whole}.{frac:03d}"


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def parse_tonnes(text: str) -> int:
    """ "1234.567" -> 1234567: exactly `TONNES_FORMAT`, at most `MAX_KG`. Zero parses (0); the
    caller refuses it where an amount must be positive."""
    match = _TONNES.fullmatch(text)
    if match is None:
        raise ValueError(f"{_shown(text)} is not an amount: give {TONNES_FORMAT}")
    whole = match[1].lstrip("0")
    kg = None
    if len(whole) <= _MAX_WHOLE_DIGITS:  # int() of a longer string is refused before it is slow
        kg = int(whole or "0") * KG_PER_TONNE + int((match[2] or "").ljust(3, "0"))
    if kg is None or kg > MAX_KG:
        raise ValueError(f"{_shown(text)} is more than an amount can hold ({tonnes(MAX_KG)} t)")
    return kg
