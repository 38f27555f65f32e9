"""A retirement's details as the chain takes them (``RetirementInput.to_chain``) and an event
id's bytes32 (``event_hash``), with worked values: each refusal names its field."""

from __future__ import annotations

from datetime import date

import pytest
from eth_utils.crypto import keccak

from registry.errors import InvalidRequest
from registry.retirements import PURPOSES, RetirementInput, event_hash


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        (RetirementInput("  ", "voluntary"), "beneficiary", "the beneficiary is required"),
        (RetirementInput("A", "gift"), "purpose", f"purpose must be one of {', '.join(PURPOSES)}"),
        (
            RetirementInput(beneficiary="A", purpose="voluntary", consumption_start=date(2025, 1, 1)),
            "consumption_end",
            "give both consumption_start and consumption_end, or neither",
        ),
        (
            RetirementInput(
                beneficiary="A",
                purpose="voluntary",
                consumption_start=date(2025, 2, 1),
                consumption_end=date(2025, 1, 31),
            ),
            "consumption_start",
            "consumption_start is after consumption_end",
        ),
    ],
)
def test_to_chain__refuses_with_the_field_and_why(details: RetirementInput, field: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        details.to_chain()
    assert refused.value.details["field"] == field
    assert refused.value.message == message


def test_event_hash__32_bytes_of_hex_as_given_else_the_texts_keccak() -> None:
    given = "0x" + "ab" * 32
    assert event_hash(given) == bytes.fromhex("ab" * 32)
    assert event_hash(None) == event_hash("") == bytes(32)
    # hex of the wrong length, 66 characters without 0x, and 0x with non-hex: hashed as text
    for text in ("0x" + "ab" * 31, "0x" + "ab" * 33, "ab" * 33, "0x" + "zz" * 32, "chengdu-marathon-2025"):
        assert event_hash(text) == keccak(text=text), text
