"""Carbon amounts: integer kilograms of CO2e on chain and in the database, shown as tonnes
with three decimals. Never floats."""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext

KG_PER_TONNE = 1000
# Amounts fit the contracts' uint64 and the database's signed 64-bit integers.
MAX_KG = 2**63 - 1


def tonnes(kg: int) -> str:
    """1234567 -> "1234.567"."""
    sign = "-" if kg < 0 else ""
    whole, frac = divmod(abs(kg), KG_PER_TONNE)
    return f"{sign}{whole}.{frac:03d}"


def parse_tonnes(text: str) -> int:
    """ "1234.567" -> 1234567. At most three decimals; must be exact."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number of tonnes") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number of tonnes")
    if not value.is_zero() and value.adjusted() > 15:  # >= 1e16 t = 1e19 kg, more than MAX_KG
        raise ValueError(f"{text!r} is more tonnes than an amount can hold")
    # Exact: the default context rounds past 28 digits and overflows on large exponents.
    with localcontext(Context(prec=len(value.as_tuple().digits) + 4, Emax=MAX_EMAX, Emin=MIN_EMIN)):
        kg = value * KG_PER_TONNE
    if kg != kg.to_integral_value():
        raise ValueError(f"{text!r} has more than three decimals (1 kg is the smallest unit)")
    return int(kg)
