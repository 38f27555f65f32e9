"""Who signs transactions: a local key (eth-account) or an account the node holds unlocked.

Both produce a raw signed transaction, so every transaction takes the same path: sign,
(record), send, confirm. Keys come from settings, a keystore or the in-process test chain;
never from a literal in code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3

from chain.errors import ChainError, NoSigner


class Signer(Protocol):
    """Signs transactions for one address."""

    @property
    def address(self) -> ChecksumAddress: ...

    def sign(self, tx: dict[str, Any]) -> bytes:
        """The raw signed transaction for the transaction fields `tx`."""
        ...


class LocalSigner:
    """Signs with a private key held in this process."""

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

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
        return bytes(self._account.sign_transaction(tx).raw_transaction)

    def __repr__(self) -> str:
        return f"LocalSigner({self.address})"


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
