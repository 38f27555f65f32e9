"""The contracts' call data, encoded by eth_abi from a cached selector and types (see
``Tanhui._encode``), is byte for byte what web3's `encode_abi` makes, for every function of the
three contracts and random arguments of their types; arguments only web3 normalises still
encode (through web3)."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from eth_account import Account
from hexbytes import HexBytes

from chain.abi import canonical_type
from chain.client import ChainClient
from chain.contracts import Deployment, Tanhui

CONTRACTS = ("registry", "credits", "exchange")


@pytest.fixture(scope="module")
def tanhui() -> Tanhui:
    client = ChainClient.in_process()
    addresses = [Account.create().address for _ in range(3)]
    deployment = Deployment(
        chain_id=client.chain_id,
        contracts=dict(zip(("TanhuiRegistry", "TanhuiCredits", "TanhuiExchange"), addresses, strict=True)),
        block_number=0,
        deployer=addresses[0],
        admin_delay=0,
    )
    return Tanhui(client, deployment)


def value(kind: str, rng: random.Random) -> Any:
    """A random value of an ABI type, as a caller passes it."""
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        size = kind[kind.rindex("[") + 1 : -1]
        return [value(inner, rng) for _ in range(int(size) if size else rng.randint(0, 3))]
    if kind.startswith("("):
        return tuple(value(part, rng) for part in split_tuple(kind[1:-1]))
    if kind == "address":
        return Account.create().address
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "string":
        return "".join(rng.choice("aé碳惠 \x00z") for _ in range(rng.randint(0, 40)))
    if kind == "bytes":
        return rng.randbytes(rng.randint(0, 70))
    if m := re.fullmatch(r"bytes(\d+)", kind):
        return rng.randbytes(int(m[1]))
    if m := re.fullmatch(r"uint(\d+)", kind):
        bits = int(m[1])
        return rng.choice([0, 1, 2**bits - 1, rng.randrange(2**bits)])
    if m := re.fullmatch(r"int(\d+)", kind):
        bits = int(m[1])
        return rng.choice([0, -1, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1])
    raise AssertionError(f"no sample for ABI type {kind}")


def split_tuple(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    if inner:
        parts.append(inner[start:])
    return parts


def functions(tanhui: Tanhui) -> list[tuple[str, str, list[str]]]:
    return [
        (name, item["name"], [canonical_type(p) for p in item["inputs"]])
        for name in CONTRACTS
        for item in getattr(tanhui, name).abi
        if item.get("type") == "function"
    ]


def test_every_function_encodes_as_web3_does(tanhui: Tanhui) -> None:
    rng = random.Random(7)
    checked = 0
    for contract_name, function, types in functions(tanhui):
        contract = getattr(tanhui, contract_name)
        for _ in range(5):
            args = [value(t, rng) for t in types]
            call = tanhui._encode(contract, function, *args)
            expected = bytes(HexBytes(contract.encode_abi(function, args=args)))
            assert call.data == expected, (contract_name, function, args)
            assert call.to == contract.address and call.function == function
            checked += 1
    assert checked >= 5 * 100  # every function of the three contracts


def test_arguments_only_web3_normalises_still_encode(tanhui: Tanhui) -> None:
    """A bytes32 given as hex text is web3's to read; a wrong argument is refused as before."""
    role = "0x" + "ab" * 32
    holder = Account.create().address
    call = tanhui._encode(tanhui.registry, "hasRole", role, holder)
    assert call.data == bytes(HexBytes(tanhui.registry.encode_abi("hasRole", args=[role, holder])))
    # web3 takes only checksummed addresses; the same account in lower case encodes the same.
    lower = tanhui._encode(tanhui.registry, "hasRole", bytes.fromhex(role[2:]), holder.lower())
    assert lower.data == call.data
    with pytest.raises(Exception):  # noqa: B017 - what web3 raises for a wrong argument, as before
        tanhui._encode(tanhui.registry, "hasRole", 5, holder)
