"""Reading and decoding the contracts' events.

Logs are fetched in block ranges of at most ``max_range`` blocks (Besu refuses wider ranges
than its ``rpc-max-logs-range``, 1000 by default) and decoded with eth-abi directly, which is
several times faster than web3's per-event processing. One :class:`EventDecoder` serves the
indexer, the relay (what a receipt says) and the certificate check alike.

Anything on chain is input: a log of our contracts whose data does not decode under its ABI
decodes to None (and is skipped), it never raises. Text is decoded leniently: a string that is
not valid UTF-8 (the contracts cannot check it) decodes with U+FFFD in place of the bad bytes,
and the event names the field in its ``problems``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from hexbytes import HexBytes
from web3 import Web3

from chain.abi import canonical_type, event_topic, hashed_in_topic
from chain.client import ChainClient
from chain.contracts import Deployment, RetirementDetails

DEFAULT_MAX_RANGE = 1000
CONTRACT_NAMES = ("TanhuiRegistry", "TanhuiCredits", "TanhuiExchange")


@dataclass(frozen=True)
class ChainEvent:
    """One decoded log."""

    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    tx_hash: str
    log_index: int
    address: str
    # The block's time when the node puts it on the log (geth, anvil); else None.
    block_timestamp: int | None = None
    block_hash: str | None = None
    # What was wrong with the log's data although it decoded (e.g. text that is not UTF-8).
    problems: tuple[str, ...] = ()

    def retirement_details(self) -> RetirementDetails:
        """What the holder stated when retiring; raises ValueError if this is not a
        CreditsRetired event (or its details are not valid)."""
        if self.name != "CreditsRetired":
            raise ValueError(f"{self.name} is not a CreditsRetired event")
        return RetirementDetails.from_tuple(self.args["details"])


# An event's decoding plan: (contract, name, indexed (name, type), non-indexed (name, wire
# type, ABI input)). The wire type reads every `string` as `bytes` (the same encoding), so text
# that is not UTF-8 still decodes; `_text` turns it back into str.
_Plan = tuple[str, str, list[tuple[str, str]], list[tuple[str, str, dict[str, Any]]]]


def _wire_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_wire_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    if kind == "string" or kind.startswith("string["):
        return "bytes" + kind[6:]
    return kind


def _text(param: dict[str, Any], value: Any, path: str, problems: list[str]) -> Any:
    """`value` decoded under the wire type, with its strings turned back into str."""
    kind = str(param["type"])
    if kind.endswith("]"):
        element = {**param, "type": kind[: kind.rindex("[")]}
        return tuple(_text(element, v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if kind == "tuple":
        return tuple(
            _text(c, v, f"{path}.{c['name']}", problems)
            for c, v in zip(param["components"], value, strict=True)
        )
    if kind == "string":
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path} is not valid UTF-8")
            return raw.decode("utf-8", errors="replace")
    return value


class EventDecoder:
    """Decodes the logs of named contracts from their ABIs."""

    def __init__(
        self, abis: dict[str, list[dict[str, Any]]], addresses: dict[str, str] | None = None
    ) -> None:
        # Events such as Paused(address) are declared by both contracts with the same topic:
        # the emitting contract is known by the log's address when `addresses` names them.
        self._names: dict[str, str] = {checksummed(a): n for a, n in (addresses or {}).items()}
        self._events: dict[bytes, _Plan] = {}
        for contract, abi in abis.items():
            for item in abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                types = [canonical_type(i) for i in item["inputs"]]
                pairs = list(zip(item["inputs"], types, strict=True))
                indexed = [(i["name"], t) for i, t in pairs if i.get("indexed")]
                plain = [(i["name"], _wire_type(i), i) for i in item["inputs"] if not i.get("indexed")]
                self._events.setdefault(event_topic(item), (contract, item["name"], indexed, plain))

    def topic(self, name: str) -> bytes:
        for topic0, (_, event_name, _, _) in self._events.items():
            if event_name == name:
                return topic0
        raise KeyError(name)

    def decode(self, log: dict[str, Any]) -> ChainEvent | None:
        """The event of one raw log (from a receipt or ``eth_getLogs``); None for a log that is
        not one of the known events, or whose topics or data do not decode under its ABI."""
        try:
            topics = [bytes(HexBytes(t)) for t in log["topics"]]
            if not topics or topics[0] not in self._events:
                return None
            contract, name, indexed, plain = self._events[topics[0]]
            if len(topics) != len(indexed) + 1:
                return None
            args: dict[str, Any] = {}
            for (arg_name, arg_type), topic in zip(indexed, topics[1:], strict=True):
                if hashed_in_topic(arg_type):
                    args[arg_name] = topic  # the keccak of the value, not the value
                elif len(topic) != 32:
                    return None
                else:
                    args[arg_name] = _topic_value(arg_type, topic)
            data = bytes(HexBytes(log.get("data") or b""))
            problems: list[str] = []
            if plain:
                values = abi_decode([t for _, t, _ in plain], data)
                for (arg_name, t, param), v in zip(plain, values, strict=True):
                    args[arg_name] = _checksum(t, _text(param, v, arg_name, problems))
            address = checksummed(str(log["address"]))
            block_hash = log.get("blockHash")
            return ChainEvent(
                contract=self._names.get(address, contract),
                name=name,
                args=args,
                block_number=_int(log["blockNumber"]),
                tx_hash="0x" + bytes(HexBytes(log["transactionHash"])).hex(),
                log_index=_int(log["logIndex"]),
                address=address,
                block_timestamp=None if log.get("blockTimestamp") is None else _int(log["blockTimestamp"]),
                block_hash=None if block_hash is None else "0x" + bytes(HexBytes(block_hash)).hex(),
                problems=tuple(problems),
            )
        except (DecodingError, ValueError, TypeError, KeyError, OverflowError):
            return None  # malformed for its ABI: on-chain data is input, not trusted

    def knows(self, log: dict[str, Any]) -> bool:
        """Whether the log's first topic is one of the known events (decodable or not)."""
        topics = log.get("topics") or []
        try:
            return bool(topics) and bytes(HexBytes(topics[0])) in self._events
        except (TypeError, ValueError):
            return False

    def decode_all(self, logs: list[dict[str, Any]]) -> list[ChainEvent]:
        """The events of `logs`, in their order; logs that do not decode are skipped."""
        events = (self.decode(dict(log)) for log in logs)
        return [e for e in events if e is not None]


def _topic_value(arg_type: str, topic: bytes) -> Any:
    """The value of a 32-byte topic of a static type: addresses, unsigned integers and bytes32
    read directly (the types the contracts index), anything else through eth_abi. Raises
    DecodingError, as eth_abi would, for padding that is not zero (a value out of its type's
    range)."""
    if arg_type == "address":
        if any(topic[:12]):
            raise DecodingError("an address topic with non-zero padding")
        return checksummed("0x" + topic[12:].hex())
    if arg_type == "bytes32":
        return topic
    if arg_type.startswith("uint"):
        value = int.from_bytes(topic, "big")
        if value >> int(arg_type[4:] or 256):
            raise DecodingError(f"a {arg_type} topic out of range")
        return value
    (value,) = abi_decode([arg_type], topic)
    return _checksum(arg_type, value)


def _int(value: Any) -> int:
    """An integer field of a log: an int from web3, or a 0x-hex quantity (anvil's blockTimestamp)."""
    return int(value, 16) if isinstance(value, str) else int(value)


def _checksum(arg_type: str, value: Any) -> Any:
    if arg_type == "address":
        return checksummed(value)
    return value


@lru_cache(maxsize=8192)
def checksummed(address: str) -> str:
    """The EIP-55 form of an address; cached, since a chain's events name the same few
    participants' addresses again and again (checksumming hashes the address each time)."""
    return str(Web3.to_checksum_address(address))


def receipt_facts(events: list[ChainEvent]) -> dict[str, int]:
    """What a receipt's events say that the registry records as an operation's result:
    ``batch_id`` (CreditsIssued), ``certificate_id``, ``serial_first`` and ``serial_last``
    (CreditsRetired), ``listing_id`` (Listed) and ``trade_id`` (TradeSettled). Empty when the
    events say none of these."""
    facts: dict[str, int] = {}
    for event in events:
        if event.name == "CreditsIssued":
            facts["batch_id"] = int(event.args["batchId"])
        elif event.name == "CreditsRetired":
            facts["certificate_id"] = int(event.args["certificateId"])
            facts["serial_first"] = int(event.args["serialFirst"])
            facts["serial_last"] = int(event.args["serialLast"])
        elif event.name == "Listed":
            facts["listing_id"] = int(event.args["listingId"])
        elif event.name == "TradeSettled":
            facts["trade_id"] = int(event.args["tradeId"])
    return facts


def decoder_for(client: ChainClient, deployment: Deployment | None = None) -> EventDecoder:
    addresses: dict[str, str] | None = None
    if deployment is not None:
        addresses = {deployment.contracts[n]: n for n in CONTRACT_NAMES if n in deployment.contracts}
    return EventDecoder({name: client.abi(name) for name in CONTRACT_NAMES}, addresses)


def block_ranges(from_block: int, to_block: int, max_range: int) -> Iterator[tuple[int, int]]:
    """[from_block, to_block] cut into inclusive ranges of at most `max_range` blocks."""
    start = from_block
    while start <= to_block:
        end = min(to_block, start + max_range - 1)
        yield start, end
        start = end + 1


def fetch_events(
    client: ChainClient,
    deployment: Deployment,
    from_block: int,
    to_block: int,
    *,
    max_range: int = DEFAULT_MAX_RANGE,
    decoder: EventDecoder | None = None,
    topics: list[Any] | None = None,
    undecoded: list[dict[str, Any]] | None = None,
) -> list[ChainEvent]:
    """Every decoded event of the deployment's contracts in [from_block, to_block], in chain
    order. Logs of a known event that do not decode are appended to `undecoded` if given."""
    decoder = decoder or decoder_for(client, deployment)
    addresses = [deployment.contracts[n] for n in CONTRACT_NAMES if n in deployment.contracts]
    events: list[ChainEvent] = []
    for start, end in block_ranges(from_block, to_block, max_range):
        params: dict[str, Any] = {"address": addresses, "fromBlock": start, "toBlock": end}
        if topics is not None:
            params["topics"] = topics
        for log in client.get_logs(params):
            event = decoder.decode(dict(log))
            if event is not None:
                events.append(event)
            elif undecoded is not None and decoder.knows(dict(log)):
                undecoded.append(dict(log))
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events
