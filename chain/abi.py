"""ABI helpers that know nothing about our contracts: encoded calls, canonical types,
signatures, selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak


@dataclass(frozen=True)
class ContractCall:
    """An encoded call of a contract function: what a transaction sends to `to` as `data`.
    `function` is the Solidity function's name (e.g. "retire"), for logs."""

    to: ChecksumAddress
    data: bytes
    function: str


def canonical_type(param: dict[str, Any]) -> str:
    """The canonical ABI type of one input or output: tuples spelled out as ``(t1,t2)[]``."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def signature(item: dict[str, Any]) -> str:
    """``name(type1,type2)`` of a function, event or error ABI item."""
    return f"{item['name']}({','.join(canonical_type(i) for i in item['inputs'])})"


def selector(item: dict[str, Any]) -> bytes:
    """The 4-byte selector of a function or custom error."""
    return keccak(text=signature(item))[:4]


def event_topic(item: dict[str, Any]) -> bytes:
    """The topic 0 of a (non-anonymous) event."""
    return keccak(text=signature(item))


def hashed_in_topic(abi_type: str) -> bool:
    """Whether an indexed parameter of this type is stored as the keccak of its encoding (every
    reference type: strings, dynamic bytes, arrays and tuples) rather than as its value."""
    return abi_type in ("string", "bytes") or abi_type.endswith("]") or abi_type.startswith("(")
