"""Decoding logs and revert data that come from the chain: anything on chain is input, so what
does not decode under its ABI is skipped (logs) or unknown (reverts), never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain.client import ErrorDecoder
from chain.compiler import load_artifact
from chain.errors import ContractRevert, CreditsInsufficientBalance
from chain.events import EventDecoder

CREDITS = "0x00000000000000000000000000000000000C0FFE"
RECIPIENT = "0x000000000000000000000000000000000000bEEF"
ISSUED_TOPIC = keccak(text="CreditsIssued(uint256,bytes32,bytes32,address,uint64,uint64,uint64)")


def _decoder() -> EventDecoder:
    names = ("TanhuiRegistry", "TanhuiCredits")
    return EventDecoder({n: load_artifact(n).abi for n in names}, {CREDITS: "TanhuiCredits"})


def _issued_log(**changes: Any) -> dict[str, Any]:
    log = {
        "address": CREDITS,
        "topics": [ISSUED_TOPIC, (7).to_bytes(32, "big"), keccak(text="project"), keccak(text="report")],
        "data": encode(["address", "uint64", "uint64", "uint64"], [RECIPIENT, 5_000, 1, 2]),
        "blockNumber": 12,
        "transactionHash": b"\x01" * 32,
        "logIndex": 3,
        "blockHash": b"\x02" * 32,
    }
    log.update(changes)
    return log


def test_decode__well_formed_log() -> None:
    event = _decoder().decode(_issued_log())
    assert event is not None
    assert (event.contract, event.name, event.block_number, event.log_index) == (
        "TanhuiCredits",
        "CreditsIssued",
        12,
        3,
    )
    assert (
        event.args["batchId"] == 7 and event.args["recipient"] == RECIPIENT and event.args["amount"] == 5_000
    )
    assert event.block_hash == "0x" + "02" * 32


@pytest.mark.parametrize(
    "changes",
    [
        {"data": b"\x00" * 5},  # truncated data
        {"data": b""},  # no data at all
        {
            "data": encode(["uint256", "uint64", "uint64", "uint64"], [2**200, 1, 1, 1])
        },  # address out of range
        {"topics": [ISSUED_TOPIC, (7).to_bytes(32, "big"), keccak(text="project")]},  # an indexed arg missing
        {"topics": [ISSUED_TOPIC, b"\x07", keccak(text="project"), keccak(text="report")]},  # short topic
        {
            "topics": [ISSUED_TOPIC, b"\x07" * 32, b"\x01" * 32, b"\x02" * 32, b"\x03" * 32]
        },  # one topic too many
    ],
    ids=["truncated-data", "empty-data", "dirty-address", "missing-topic", "short-topic", "extra-topic"],
)
def test_decode__log_malformed_for_its_abi_is_none(changes: dict[str, Any]) -> None:
    assert _decoder().decode(_issued_log(**changes)) is None


def test_decode__retirement_with_text_that_is_not_utf8_decodes_and_names_the_field() -> None:
    """The contracts cannot check UTF-8: the numbers of such an event must still reach the
    index (a skipped retirement would break conservation), the bad bytes replaced, the field
    named in `problems`."""
    topic = keccak(
        text="CreditsRetired(uint256,uint256,address,uint64,uint64,uint64,"
        "(string,uint8,bytes32,string,uint40,uint40,string))"
    )
    details = ("\ufffd", 0, b"\x00" * 32, "CN", 0, 0, "")
    data = bytearray(
        encode(
            ["uint64", "uint64", "uint64", "(string,uint8,bytes32,string,uint40,uint40,string)"],
            [1, 1, 1, details],
        )
    )
    good = _issued_log(
        topics=[topic, b"\x00" * 31 + b"\x01", b"\x00" * 31 + b"\x01", b"\x00" * 12 + b"\xbe" * 20]
    )
    clean = _decoder().decode({**good, "data": bytes(data)})
    assert clean is not None and clean.problems == ()
    at = bytes(data).index("\ufffd".encode())
    data[at] = 0xFF  # no longer UTF-8
    broken = _decoder().decode({**good, "data": bytes(data)})
    assert broken is not None
    assert broken.problems == ("details.beneficiary is not valid UTF-8",)
    assert broken.retirement_details().beneficiary == "\ufffd" * 3  # 0xFF 0xBF 0xBD: three bad bytes
    assert broken.retirement_details().jurisdiction == "CN"
    assert (broken.args["amount"], broken.args["serialFirst"]) == (1, 1)


def test_decode_all__skips_malformed_and_unknown_logs_keeps_order() -> None:
    unknown = _issued_log(topics=[keccak(text="Unknown()")])
    logs = [_issued_log(logIndex=1), _issued_log(data=b"\x00"), unknown, _issued_log(logIndex=4)]
    assert [e.log_index for e in _decoder().decode_all(logs)] == [1, 4]


def test_decode__indexed_string_is_its_hash_not_a_decoded_value() -> None:
    abi = [
        {
            "type": "event",
            "name": "Tagged",
            "anonymous": False,
            "inputs": [
                {"name": "tag", "type": "string", "indexed": True},
                {"name": "value", "type": "uint256", "indexed": False},
            ],
        }
    ]
    log = _issued_log(topics=[keccak(text="Tagged(string,uint256)"), keccak(text="gold")])
    log["data"] = encode(["uint256"], [9])
    event = EventDecoder({"Tags": abi}).decode(log)
    assert event is not None and event.args == {"tag": keccak(text="gold"), "value": 9}


def test_revert_data__malformed_body_is_an_unknown_error_not_an_exception() -> None:
    errors = ErrorDecoder([load_artifact(n).abi for n in ("TanhuiRegistry", "TanhuiCredits")])
    selector = keccak(text="CreditsInsufficientBalance(address,uint256,uint256,uint256)")[:4]
    body = encode(["address", "uint256", "uint256", "uint256"], [RECIPIENT, 1, 2, 3])
    decoded = errors.decode(selector + body)
    assert isinstance(decoded, CreditsInsufficientBalance) and decoded.arguments["needed"] == 3
    broken = errors.decode(selector + body[:40])
    assert type(broken) is ContractRevert and broken.name == "UnknownError"


@pytest.mark.parametrize("arg_type", ["address", "uint256", "uint64", "uint8", "bytes32"])
def test_topic_read_directly__the_value_or_the_refusal_eth_abi_gives(arg_type: str) -> None:
    """Indexed topics of the types the contracts index are read without eth_abi (the indexer's
    hot path): every value, and every out-of-range padding, as eth_abi decodes it."""
    import random

    from eth_abi import decode as abi_decode
    from eth_abi.exceptions import DecodingError

    from chain.events import _checksum, _topic_value

    rng = random.Random(7)
    topics = [bytes(32), b"\xff" * 32, bytes(12) + b"\xff" * 20, bytes(24) + b"\xff" * 8, bytes(31) + b"\x01"]
    topics += [bytes(rng.choice([0, 12, 24, 31])) for _ in range(200)]
    topics = [t + rng.randbytes(32 - len(t)) for t in topics]
    for topic in topics:
        try:
            expected: Any = _checksum(arg_type, abi_decode([arg_type], topic)[0])
        except DecodingError:
            expected = DecodingError
        if expected is DecodingError:
            with pytest.raises(DecodingError):
                _topic_value(arg_type, topic)
        else:
            assert _topic_value(arg_type, topic) == expected, topic.hex()
