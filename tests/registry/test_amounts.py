"""Tonnes as text: exactly ASCII digits with at most three decimals, both in the domain
(`parse_tonnes`) and in the API's request bodies (`amount_t`)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.schemas import RetirementIn, TransferIn
from registry.amounts import MAX_KG, parse_tonnes, tonnes

# Each is accepted by Decimal() (and so was by parse_tonnes), none is "digits[.ddd]".
NOT_DECIMALS = [
    "1e1",  # 10 t
    "1E-3",
    "+1",
    "-1",
    ".5",
    "1.",
    " 1",
    "1 ",
    "\t1",
    "1\n",
    "1_000",
    "１",  # full-width digit one
    "٣",  # Arabic-Indic digit three
    "1.٣",
    "NaN",
    "Infinity",
    "0x10",
    "1,5",
    "",
    ".",
    "1.2345",  # four decimals
    "1.0000000000000000000000000001",
    "1e999999",
]

GOOD = [
    ("0.001", 1),
    ("1", 1000),
    ("1.5", 1500),
    ("120.500", 120_500),
    ("007.25", 7250),
    ("9223372036854775.807", MAX_KG),
]


@pytest.mark.parametrize("text", NOT_DECIMALS)
def test_parse_tonnes__anything_but_ascii_digits_with_three_decimals_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r'ASCII digits with at most three decimals, e\.g\. "120\.500"'):
        parse_tonnes(text)


@pytest.mark.parametrize(("text", "kg"), GOOD)
def test_parse_tonnes__digits_with_up_to_three_decimals_are_kilograms(text: str, kg: int) -> None:
    assert parse_tonnes(text) == kg


TOO_MUCH = [
    "9223372036854775.808",
    "9223372036854776",
    "99999999999999999999",
    "1" * 5000,  # refused before int() (which refuses more than 4300 digits, with another message)
    "0" * 5000 + "9223372036854776",
]


@pytest.mark.parametrize("text", TOO_MUCH)
def test_parse_tonnes__more_than_max_kg_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"is more than an amount can hold \(9223372036854775\.807 t\)"):
        parse_tonnes(text)


def test_parse_tonnes__leading_zeros_beyond_the_digit_limit_are_still_a_number() -> None:
    assert parse_tonnes("0" * 5000 + "1.000") == 1000


@given(st.integers(min_value=1, max_value=MAX_KG))
def test_parse_tonnes__inverts_tonnes(kg: int) -> None:
    assert parse_tonnes(tonnes(kg)) == kg


def _retirement(amount_t: Any) -> dict[str, Any]:
    return {"batch_id": 1, "beneficiary": "Chengdu Marathon 2025", "purpose": "other", "amount_t": amount_t}


@pytest.mark.parametrize("text", [*NOT_DECIMALS, "0", "0.000", "9223372036854775.808"])
def test_amount_t__refused_in_the_request_body_naming_the_field(text: str) -> None:
    # Not stripped either: " 1" would otherwise reach parse_tonnes as "1".
    for model, body in (
        (RetirementIn, _retirement(text)),
        (TransferIn, {"batch_id": 1, "to": "par_x", "amount_t": text}),
    ):
        with pytest.raises(ValidationError) as refused:
            model.model_validate(body)
        assert [error["loc"] for error in refused.value.errors()] == [("amount_t",)], refused.value


@pytest.mark.parametrize(("text", "kg"), GOOD)
def test_amount_t__accepted_as_kilograms(text: str, kg: int) -> None:
    assert RetirementIn.model_validate(_retirement(text)).kg == kg


def test_amount_t__other_strings_are_still_stripped() -> None:
    assert RetirementIn.model_validate(_retirement("1.000") | {"beneficiary": " Marathon "}).beneficiary == (
        "Marathon"
    )


@pytest.mark.parametrize(
    ("kg", "shown"), [(0, "0.000"), (1, "0.001"), (-1, "-0.001"), (-1500, "-1.500"), (999, "0.999")]
)
def test_tonnes__zero_and_negative_amounts_are_shown_with_their_sign(kg: int, shown: str) -> None:
    assert tonnes(kg) == shown


def test_parse_tonnes__a_long_bad_amount_is_shortened_in_the_message() -> None:
    text = "1" * 30 + "x" * 30
    with pytest.raises(ValueError) as refused:
        parse_tonnes(text)
    message = str(refused.value)
    assert repr(text[:40]) + "..." in message and text not in message
    with pytest.raises(ValueError) as short:
        parse_tonnes("12x")
    assert str(short.value).startswith("'12x' is not an amount") and "..." not in str(short.value)


def test_parse_tonnes__a_bad_amount_of_up_to_40_characters_is_shown_whole() -> None:
    for text, shortened in (("x" * 40, False), ("x" * 41, True)):
        with pytest.raises(ValueError) as refused:
            parse_tonnes(text)
        assert ("..." in str(refused.value)) is shortened, text
