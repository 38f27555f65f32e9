"""How the indexer records a log it cannot decode (its anomaly keeps what the node gave): the
fields as a node's JSON-RPC gives them (0x-hex text) and as web3 gives them (bytes, ints), and
missing or malformed ones, which become 0 or empty rather than stop the indexer."""

from __future__ import annotations

from typing import Any

import pytest

from registry.indexer import _quantity, _undecoded_event


def test_undecoded_event__keeps_a_nodes_hex_fields() -> None:
    raw = {
        "topics": ["0x" + "ab" * 32, "0x" + "01" * 32],
        "data": "0x1234",
        "transactionHash": "0x" + "de" * 32,
        "blockNumber": "0x1a",
        "logIndex": "0x2",
        "address": "0x00000000000000000000000000000000000000a1",
    }
    event = _undecoded_event(raw)
    assert (event.contract, event.name) == ("", "(undecodable)")
    assert event.args == {"topics": ["0x" + "ab" * 32, "0x" + "01" * 32], "data": "0x1234"}
    assert (event.block_number, event.log_index) == (26, 2)
    assert event.tx_hash == "0x" + "de" * 32
    assert event.address == "0x00000000000000000000000000000000000000a1"


def test_undecoded_event__keeps_web3s_bytes_and_ints() -> None:
    raw = {
        "topics": [bytes.fromhex("cd" * 32)],
        "data": bytes.fromhex("beef"),
        "transactionHash": bytes.fromhex("12" * 32),
        "blockNumber": 7,
        "logIndex": 0,
    }
    event = _undecoded_event(raw)
    assert event.args == {"topics": ["cd" * 32], "data": "beef"}
    assert (event.block_number, event.log_index, event.tx_hash) == (7, 0, "0x" + "12" * 32)
    assert event.address == ""


def test_undecoded_event__a_log_with_nothing_in_it() -> None:
    event = _undecoded_event({})
    assert event.args == {"topics": [], "data": ""}
    assert (event.block_number, event.log_index, event.tx_hash, event.address) == (0, 0, "0x", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0x10", 16), ("0x0", 0), (255, 255), (None, 0), ("", 0), ("0xzz", 0), ("12", 18), ([1], 0)],
)
def test_quantity__hex_text_or_an_int_else_zero(value: Any, expected: int) -> None:
    assert _quantity(value) == expected
