"""Two small pure functions of the consistency core, pinned with worked values (mutants of both
survived the suite, which reaches them only through anvil):

- ``outbox._check_fees``: what fee a holder's own transaction must offer, on a chain with a
  base fee (EIP-1559, what anvil and Besu run) and on a legacy one (gasPrice only);
- ``idempotency.request_hash``: the fingerprint kept with every Idempotency-Key. It outlives
  the process that wrote it: a change of its recipe would make every retry after an upgrade a
  ``idempotency_key_reused`` conflict, so its value for a known request is fixed here."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from registry.errors import TransactionInvalid
from registry.idempotency import request_hash
from registry.outbox import _check_fees

EIP1559 = {"maxFeePerGas": 2_000, "maxPriorityFeePerGas": 0}  # fee_fields asks twice the base fee
LEGACY = {"gasPrice": 700}


@pytest.mark.parametrize(
    ("fields", "current"),
    [
        ({"maxFeePerGas": 1_000, "maxPriorityFeePerGas": 1}, EIP1559),  # exactly the base fee
        ({"maxFeePerGas": 5_000, "maxPriorityFeePerGas": 5_000}, EIP1559),  # priority = cap
        ({"gasPrice": 1_000}, EIP1559),  # a legacy transaction on a base-fee chain
        ({"gasPrice": 700}, LEGACY),
        ({"maxFeePerGas": 700, "maxPriorityFeePerGas": 3}, LEGACY),  # type 2 on a legacy chain
    ],
)
def test_check_fees__takes_a_fee_the_chain_takes(fields: dict[str, Any], current: dict[str, int]) -> None:
    _check_fees(fields, current)


@pytest.mark.parametrize(
    ("fields", "current", "needed"),
    [
        ({"maxFeePerGas": 999, "maxPriorityFeePerGas": 0}, EIP1559, 1_000),
        ({"gasPrice": 999}, EIP1559, 1_000),
        ({"gasPrice": 699}, LEGACY, 700),
        ({"maxFeePerGas": 699, "maxPriorityFeePerGas": 0}, LEGACY, 700),
        ({}, LEGACY, 700),
    ],
)
def test_check_fees__refuses_a_fee_below_the_chains(
    fields: dict[str, Any], current: dict[str, int], needed: int
) -> None:
    with pytest.raises(TransactionInvalid) as refused:
        _check_fees(fields, current)
    assert refused.value.details["needed_fee"] == needed
    offered = fields.get("gasPrice", fields.get("maxFeePerGas", 0))
    assert refused.value.message == f"a fee of {offered} wei per gas is below the chain's {needed}"


def test_check_fees__refuses_a_priority_fee_above_the_cap() -> None:
    with pytest.raises(TransactionInvalid, match="priority fee is above the fee cap"):
        _check_fees({"maxFeePerGas": 5_000, "maxPriorityFeePerGas": 5_001}, EIP1559)


def test_request_hash__is_the_recorded_recipe() -> None:
    body = b'{"amount_t": "1.500"}'
    # sha256 of "POST /v1/retirements\n" and the body: the method upper-cased, one space, a newline
    assert request_hash("post", "/v1/retirements", body) == (
        "94615b98f288229cfd916d9bf9e86755bc271ee49190ac1490c088e3a04eaf48"
    )
    assert (
        request_hash("POST", "/v1/retirements", body)
        == hashlib.sha256(b"POST /v1/retirements\n" + body).hexdigest()
    )
    # the path and the body are told apart: moving a byte across the line changes the fingerprint
    assert request_hash("POST", "/v1/a", b"b") != request_hash("POST", "/v1/", b"ab")
