"""Reading and decoding the contracts' events.

Logs are fetched in block ranges of at most ``max_range`` blocks (Besu refuses wider ranges
than its ``rpc-max-logs-range``, 1000 by default) and decoded with eth-abi directly, which is
several times faster than web3's per-event processing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3

from chain.client import ChainClient, _canonical_type
from chain.contracts import Deployment

DEFAULT_MAX_RANGE = 1000


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


class EventDecoder:
    """Decodes the logs of named contracts from their ABIs."""

    def __init__(
        self, abis: dict[str, list[dict[str, Any]]], addresses: dict[str, str] | None = None
    ) -> None:
        # Events such as Paused(address) are declared by both contracts with the same topic:
        # the emitting contract is known by the log's address when `addresses` names them.
        self._names = {Web3.to_checksum_address(a): n for a, n in (addresses or {}).items()}
        self._events: dict[bytes, tuple[str, str, list[tuple[str, str]], list[tuple[str, str]]]] = {}
        for contract, abi in abis.items():
            for item in abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                types = [_canonical_type(i) for i in item["inputs"]]
                topic0 = keccak(text=f"{item['name']}({','.join(types)})")
                indexed = [(i["name"], t) for i, t in zip(item["inputs"], types) if i.get("indexed")]
                plain = [(i["name"], t) for i, t in zip(item["inputs"], types) if not i.get("indexed")]
                self._events.setdefault(topic0, (contract, item["name"], indexed, plain))

    def topic(self, name: str) -> bytes:
        for topic0, (_, event_name, _, _) in self._events.items():
            if event_name == name:
                return topic0
        raise KeyError(name)

    def decode(self, log: dict[str, Any]) -> ChainEvent | None:
        topics = [bytes(HexBytes(t)) for t in log["topics"]]
        if not topics or topics[0] not in self._events:
            return None
        contract, name, indexed, plain = self._events[topics[0]]
        args: dict[str, Any] = {}
        for (arg_name, arg_type), topic in zip(indexed, topics[1:]):
            (value,) = abi_decode([arg_type], topic)
            args[arg_name] = _checksum(arg_type, value)
        if plain:
            values = abi_decode([t for _, t in plain], bytes(HexBytes(log["data"])))
            args.update({arg_name: _checksum(t, v) for (arg_name, t), v in zip(plain, values)})
        tx_hash = log["transactionHash"]
        address = Web3.to_checksum_address(log["address"])
        return ChainEvent(
            contract=self._names.get(address, contract),
            name=name,
            args=args,
            block_number=int(log["blockNumber"]),
            tx_hash="0x" + bytes(HexBytes(tx_hash)).hex(),
            log_index=int(log["logIndex"]),
            address=address,
            block_timestamp=int(log["blockTimestamp"], 16)
            if isinstance(log.get("blockTimestamp"), str)
            else (int(log["blockTimestamp"]) if log.get("blockTimestamp") is not None else None),
        )


def _checksum(arg_type: str, value: Any) -> Any:
    if arg_type == "address":
        return Web3.to_checksum_address(value)
    return value


def decoder_for(client: ChainClient, deployment: Deployment | None = None) -> EventDecoder:
    names = ("TanhuiRegistry", "TanhuiCredits")
    addresses = {deployment.contracts[n]: n for n in names} if deployment is not None else None
    return EventDecoder({name: client.abi(name) for name in names}, addresses)


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
) -> list[ChainEvent]:
    """Every decoded event of the deployment's contracts in [from_block, to_block], in chain order."""
    decoder = decoder or decoder_for(client, deployment)
    addresses = [deployment.registry, deployment.credits]
    events: list[ChainEvent] = []
    for start, end in block_ranges(from_block, to_block, max_range):
        params: dict[str, Any] = {"address": addresses, "fromBlock": start, "toBlock": end}
        if topics is not None:
            params["topics"] = topics
        logs = client._guard(lambda p=params: client.w3.eth.get_logs(p))  # type: ignore[misc]
        for log in logs:
            event = decoder.decode(dict(log))
            if event is not None:
                events.append(event)
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events
