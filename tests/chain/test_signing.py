"""LocalSigner's own encoding and signing of the registry's transactions: byte for byte what
eth-account produces, for every shape it takes on, and eth-account's answer (a signature or its
refusal) for every shape it does not."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from chain.signers import LocalSigner

KEY = "0x" + "4c" * 32
SIGNER = LocalSigner.from_key(KEY)
ACCOUNT = Account.from_key(KEY)

words = st.integers(min_value=0, max_value=2**256 - 1)
small = st.integers(min_value=0, max_value=2**64 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
# Checksummed (what the registry sends), lower-case and upper-case (eth-account refuses those
# unless they happen to be their own checksum), and 20 raw bytes.
recipients = st.one_of(
    addresses.map(Web3.to_checksum_address),
    addresses,
    addresses.map(lambda a: "0x" + a[2:].upper()),
    st.binary(min_size=20, max_size=20),
)
payloads = st.one_of(st.binary(max_size=300).map(lambda b: "0x" + b.hex()), st.binary(max_size=300))


def expected(tx: dict[str, Any]) -> bytes | type[BaseException]:
    try:
        return bytes(ACCOUNT.sign_transaction(tx).raw_transaction)
    except Exception as err:  # eth-account's refusal, whatever its type
        return type(err)


def signed(tx: dict[str, Any]) -> bytes | type[BaseException]:
    try:
        return SIGNER.sign(tx)
    except Exception as err:
        return type(err)


@settings(max_examples=300, deadline=None)
@given(
    chain_id=st.integers(min_value=1, max_value=2**32),
    nonce=small, gas=small, value=words, fee=words, tip=words, to=recipients, data=payloads,
)  # fmt: skip
def test_a_dynamic_fee_transaction__is_signed_as_eth_account_signs_it(
    chain_id: int, nonce: int, gas: int, value: int, fee: int, tip: int, to: str, data: object
) -> None:
    tx = {
        "from": SIGNER.address, "to": to, "data": data, "value": value, "nonce": nonce, "gas": gas,
        "chainId": chain_id, "maxFeePerGas": fee, "maxPriorityFeePerGas": tip,
    }  # fmt: skip
    assert signed(tx) == expected(tx)
    if isinstance(to, str) and to == Web3.to_checksum_address(to):  # the registry's own shape
        assert SIGNER._sign_own(tx) == expected(tx)


@settings(max_examples=200, deadline=None)
@given(
    chain_id=st.integers(min_value=1, max_value=2**32),
    nonce=small, gas=small, value=words, price=words, to=recipients, data=payloads,
)  # fmt: skip
def test_a_legacy_transaction__is_signed_as_eth_account_signs_it(
    chain_id: int, nonce: int, gas: int, value: int, price: int, to: str, data: object
) -> None:
    tx = {
        "from": SIGNER.address, "to": to, "data": data, "value": value, "nonce": nonce, "gas": gas,
        "chainId": chain_id, "gasPrice": price,
    }  # fmt: skip
    assert signed(tx) == expected(tx)


BASE = {
    "from": SIGNER.address, "to": "0x" + "11" * 20, "data": "0xabcd", "value": 0, "nonce": 1,
    "gas": 21_000, "chainId": 31337, "maxFeePerGas": 2_000_000_000, "maxPriorityFeePerGas": 0,
}  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"from": "0x" + "22" * 20},  # another sender: eth-account refuses it
        {"to": "0x" + "aB" * 20},  # a bad checksum: eth-account refuses it
        {"to": "0x" + "ab" * 20},  # not checksummed: eth-account refuses it
        {"to": "0x1234"},
        {"to": None},
        {"data": "0xabc"},  # odd length
        {"data": "abcd"},
        {"nonce": -1},
        {"value": True},
        {"gas": 2**256},
        {"accessList": [{"address": "0x" + "33" * 20, "storageKeys": []}]},
        {"type": 2},
    ],
)
def test_any_other_shape__gets_eth_accounts_answer(change: dict[str, Any]) -> None:
    tx = {**BASE, **change}
    assert SIGNER._sign_own(tx) is None
    assert signed(tx) == expected(tx)


def test_the_registrys_own_shape__takes_the_own_path() -> None:
    """A guard for the speed this exists for: the shapes ChainClient.prepare builds."""
    assert SIGNER._sign_own(BASE) == expected(BASE)
    legacy = {k: v for k, v in BASE.items() if not k.startswith("max")} | {"gasPrice": 10**9}
    assert SIGNER._sign_own(legacy) == expected(legacy)
