"""Who signs transactions: a local key (eth-account) or an account the node holds unlocked.

Both produce a raw signed transaction, so every transaction takes the same path: sign,
(record), send, confirm. Keys come from settings, a keystore or the in-process test chain;
never from a literal in code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import coincurve
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import is_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from rlp.codec import encode_raw  # type: ignore[import-untyped]
from web3 import Web3

from chain.errors import ChainError, NoSigner


class Signer(Protocol):
    """Signs transactions for one address."""

    @property
    def address(self) -> ChecksumAddress: ...

    def sign(self, tx: dict[str, Any]) -> bytes:
        """The raw signed transaction for the transaction fields `tx`."""
        ...


#: The fields of the transactions the registry signs: a dynamic-fee (EIP-1559) one, or a legacy
#: one with a chain id (EIP-155). Any other shape is signed by eth-account.
_DYNAMIC_FEE = frozenset({"from", "to", "data", "value", "nonce", "gas", "chainId"}) | {
    "maxFeePerGas",
    "maxPriorityFeePerGas",
}
_LEGACY = frozenset({"from", "to", "data", "value", "nonce", "gas", "chainId", "gasPrice"})
_NUMBERS = ("nonce", "gas", "chainId", "value", "maxFeePerGas", "maxPriorityFeePerGas", "gasPrice")


class LocalSigner:
    """Signs with a private key held in this process.

    The registry's own transactions (see ``_DYNAMIC_FEE``, ``_LEGACY``) are encoded here with
    `rlp` and signed with libsecp256k1 (`coincurve`): eth-account's general path (formatters,
    validators, typed-transaction classes) cost a registry operation about half a millisecond
    per transaction. The result is byte for byte eth-account's (tests/chain/test_signing.py
    compares them); any other shape goes to eth-account."""

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self._key = coincurve.PrivateKey(bytes(account.key))

    @classmethod
    def from_key(cls, key: str | bytes) -> LocalSigner:
        try:
            return cls(Account.from_key(key))
        except (ValueError, TypeError) as err:
            raise NoSigner(f"not a valid private key: {err}") from None

    @classmethod
    def from_keystore(cls, path: Path, password: str) -> LocalSigner:
        """Decrypts an eth-account (web3 secret storage) keystore file."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            key = Account.decrypt(data, password)
        except FileNotFoundError:
            raise NoSigner(f"no keystore file {path}") from None
        except ValueError as err:
            raise NoSigner(f"cannot decrypt keystore {path}: {err}") from None
        return cls(Account.from_key(key))

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    @property
    def account(self) -> LocalAccount:
        return self._account

    def sign(self, tx: dict[str, Any]) -> bytes:
        raw = self._sign_own(tx)
        if raw is None:
            raw = bytes(self._account.sign_transaction(tx).raw_transaction)
        return raw

    def _sign_own(self, tx: dict[str, Any]) -> bytes | None:
        """The raw transaction of `tx` when it has the shape of the registry's own; else None."""
        fields = tx.keys()
        dynamic = fields == _DYNAMIC_FEE
        if not dynamic and fields != _LEGACY:
            return None
        if tx["from"] != self._account.address:
            return None  # eth-account names the mismatch
        numbers = [tx[k] for k in _NUMBERS if k in tx]
        if not all(type(n) is int and 0 <= n < 2**256 for n in numbers):
            return None
        to, data = _address_bytes(tx["to"]), _data_bytes(tx["data"])
        if to is None or data is None:
            return None
        if dynamic:
            body = [
                tx["chainId"], tx["nonce"], tx["maxPriorityFeePerGas"], tx["maxFeePerGas"], tx["gas"],
                to, tx["value"], data, [],
            ]  # fmt: skip
            signature = self._key.sign_recoverable(keccak(b"\x02" + _rlp(body)), hasher=None)
            r, s, parity = signature[:32], signature[32:64], signature[64]
            return b"\x02" + _rlp([*body, parity, _word(r), _word(s)])
        body = [tx["nonce"], tx["gasPrice"], tx["gas"], to, tx["value"], data]
        signature = self._key.sign_recoverable(keccak(_rlp([*body, tx["chainId"], 0, 0])), hasher=None)
        r, s, parity = signature[:32], signature[32:64], signature[64]
        return _rlp([*body, parity + 35 + 2 * tx["chainId"], _word(r), _word(s)])

    def __repr__(self) -> str:
        return f"LocalSigner({self.address})"


def _rlp(items: list[Any]) -> bytes:
    """RLP of a list of integers, byte strings and lists, without rlp's type inference (its
    encoder infers a serializer for every item, the cost of half a signature)."""
    return bytes(encode_raw(_raw(items)))


def _raw(item: Any) -> Any:
    if isinstance(item, int):
        return item.to_bytes((item.bit_length() + 7) // 8, "big")
    if isinstance(item, list):
        return [_raw(i) for i in item]
    return item


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _address_bytes(value: object) -> bytes | None:
    """A recipient as the 20 bytes RLP carries; None for anything but a checksummed 0x-hex
    address (what eth-account takes as text)."""
    if not isinstance(value, str) or len(value) != 42 or not _checksummed(value):
        return None
    return bytes.fromhex(value[2:])


@lru_cache(maxsize=1024)
def _checksummed(address: str) -> bool:
    """Whether `address` is an EIP-55 checksummed address (the registry sends to a handful)."""
    return bool(is_checksum_address(address))


def _data_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return None
    return None


class NodeSigner:
    """Signs with an account the node holds unlocked (anvil's dev accounts), through
    ``eth_signTransaction``: the transaction is signed without being sent."""

    def __init__(self, w3: Web3, address: str) -> None:
        self._w3 = w3
        self._address = Web3.to_checksum_address(address)

    @property
    def address(self) -> ChecksumAddress:
        return self._address

    def sign(self, tx: dict[str, Any]) -> bytes:
        params = {k: (hex(v) if isinstance(v, int) else v) for k, v in tx.items()}
        params["from"] = self._address
        response = self._w3.provider.make_request("eth_signTransaction", [params])  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"the node refused to sign for {self._address}: {response['error']}")
        result = response["result"]
        raw = result["raw"] if isinstance(result, dict) else result
        return bytes(HexBytes(raw))

    def __repr__(self) -> str:
        return f"NodeSigner({self.address})"
