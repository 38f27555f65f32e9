"""One chain client over web3.py for every backend.

The backends differ only in how the client is constructed::

    ChainClient.in_process()                  # py-evm through eth-tester, in this process
    ChainClient.connect("http://127.0.0.1:8545")   # anvil, or any JSON-RPC node (Besu QBFT)

Every transaction takes the same path: :meth:`ChainClient.prepare` fills in and signs it (a
pre-flight gas estimate turns a certain revert into a typed error before anything is sent),
:meth:`ChainClient.send` broadcasts the raw transaction (idempotently: resending a known
transaction is not an error), and :meth:`ChainClient.wait` returns the receipt once it has the
configured confirmations, raising the typed :class:`~chain.errors.ContractRevert` of a failed one.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils import keccak
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    ContractLogicError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)

from chain.compiler import Artifact, load_artifact
from chain.errors import (
    ChainError,
    ChainUnavailable,
    ContractRevert,
    NoSigner,
    ReceiptTimeout,
    TransactionFailed,
    TransactionRefused,
    TransactionReverted,
)
from chain.signers import LocalSigner, NodeSigner, Signer

ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]
ABI_NAMES = ("TanhuiRegistry", "TanhuiCredits")


@dataclass(frozen=True)
class SignedTransaction:
    """A signed transaction, ready to record and send."""

    sender: ChecksumAddress
    nonce: int
    tx_hash: str
    raw: bytes


@dataclass(frozen=True)
class Receipt:
    """The receipt of a successful transaction."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    logs: list[dict[str, Any]]
    contract_address: ChecksumAddress | None = None


class ErrorDecoder:
    """Turns revert data into typed errors, from the custom errors of the contract ABIs."""

    def __init__(self, abis: list[list[dict[str, Any]]]) -> None:
        self._by_selector: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_canonical_type(i) for i in item["inputs"]]
                names = [i["name"] or f"arg{n}" for n, i in enumerate(item["inputs"])]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._by_selector[selector] = (item["name"], types, names)

    def decode(self, data: bytes | str | None, *, tx_hash: str | None = None) -> ContractRevert | None:
        """The typed error for revert `data`, or None when there is no revert data."""
        if data is None:
            return None
        raw = bytes(HexBytes(data)) if isinstance(data, str) else bytes(data)
        if len(raw) < 4:
            return None
        selector, body = raw[:4], raw[4:]
        if selector == ERROR_STRING_SELECTOR:
            (reason,) = abi_decode(["string"], body)
            return ContractRevert.create("RevertedWithReason", {"reason": reason}, tx_hash=tx_hash)
        if selector == PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], body)
            return ContractRevert.create("Panicked", {"code": code}, tx_hash=tx_hash)
        known = self._by_selector.get(selector)
        if known is None:
            return ContractRevert("UnknownError", {"data": "0x" + raw.hex()}, tx_hash=tx_hash)
        name, types, names = known
        values = [
            Web3.to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, abi_decode(types, body))
        ]
        return ContractRevert.create(name, dict(zip(names, values)), tx_hash=tx_hash)


def _canonical_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _tester_failure() -> tuple[type[BaseException], ...]:
    try:
        from eth_tester.exceptions import TransactionFailed as TesterFailed
    except ImportError:  # the in-process backend is optional
        return ()
    return (TesterFailed,)


# Exceptions that carry a revert: web3's, a node's RPC error, and eth-tester's own.
REVERT_ERRORS: tuple[type[BaseException], ...] = (ContractLogicError, Web3RPCError, *_tester_failure())


def _revert_data(err: BaseException) -> Any:
    """The revert data that web3, the node or eth-tester attached to an exception, if any."""
    data = getattr(err, "data", None)
    if data:
        return data
    if isinstance(err, Web3RPCError):
        payload = (err.rpc_response or {}).get("error") or {}
        if isinstance(payload, dict):
            return payload.get("data")
    cause: BaseException | None = err
    while cause is not None:  # eth-tester: the revert bytes, or their Python literal, come first
        first = cause.args[0] if cause.args else None
        if isinstance(first, bytes):
            return first
        if isinstance(first, str):
            literal = _bytes_literal(first)
            if literal is not None:
                return literal
        cause = cause.__cause__ or cause.__context__
    return None


def _bytes_literal(message: str) -> bytes | None:
    """The bytes of a message such as ``execution reverted: b"\\xa4..."`` (eth-tester's form)."""
    for prefix in ('b"', "b'"):
        at = message.find(prefix)
        if at >= 0:
            try:
                value = ast.literal_eval(message[at:])
            except (ValueError, SyntaxError):
                return None
            return value if isinstance(value, bytes) else None
    return None


class DevControls:
    """Powers only a development chain has (the in-process EVM and anvil): snapshots, mining
    on demand and moving the clock."""

    def __init__(self, w3: Web3, kind: str) -> None:
        self._w3 = w3
        self._kind = kind

    def _rpc(self, method: str, params: list[Any]) -> Any:
        response = self._w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error']}")
        return response["result"]

    def snapshot(self) -> Any:
        return self._rpc("evm_snapshot", [])

    def revert(self, snapshot_id: Any) -> None:
        self._rpc("evm_revert", [snapshot_id])

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self._rpc("evm_mine", [])


class ChainClient:
    """A connection to one EVM chain. Construct it with :meth:`in_process` or :meth:`connect`."""

    def __init__(
        self,
        w3: Web3,
        *,
        kind: str,
        confirmations: int = 0,
        dev_accounts: list[LocalSigner] | None = None,
        receipt_timeout: float = 120.0,
    ) -> None:
        self.w3 = w3
        # The client fills in chain id, nonce, gas and fees itself and signs locally; web3's
        # request-rewriting middleware would only add round trips (validation asks the node for
        # its chain id on every call).
        for name in ("validation", "gas_price_strategy", "ens_name_to_address", "gas_estimate"):
            if name in w3.middleware_onion:
                w3.middleware_onion.remove(name)
        self.w3 = w3
        self.kind = kind
        self.confirmations = confirmations
        self.receipt_timeout = receipt_timeout
        self._dev_accounts = list(dev_accounts or [])
        self._abis: dict[str, list[dict[str, Any]]] = {}
        self._decoder: ErrorDecoder | None = None
        self.rpc_url: str | None = None

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def in_process(cls, *, confirmations: int = 0) -> ChainClient:
        """A fresh py-evm chain inside this process, with ten funded test accounts."""
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider

        backend = PyEVMBackend()
        w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
        keys = [LocalSigner.from_key(key.to_bytes()) for key in backend.account_keys]
        return cls(w3, kind="in-process", confirmations=confirmations, dev_accounts=keys)

    @classmethod
    def connect(cls, rpc_url: str, *, confirmations: int = 0, timeout: float = 30.0) -> ChainClient:
        """A JSON-RPC node: anvil here, a Besu QBFT network in production."""
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        try:
            client_version = w3.client_version
        except (OSError, Web3Exception, ValueError) as err:
            raise ChainUnavailable(f"cannot reach the chain at {rpc_url}: {err}") from None
        kind = "anvil" if client_version.lower().startswith("anvil") else "rpc"
        client = cls(w3, kind=kind, confirmations=confirmations)
        client.rpc_url = rpc_url
        return client

    # -- facts -------------------------------------------------------------------------------

    @cached_property
    def chain_id(self) -> int:
        return int(self._guard(lambda: self.w3.eth.chain_id))

    def block_number(self) -> int:
        return int(self._guard(lambda: self.w3.eth.block_number))

    @property
    def dev(self) -> DevControls:
        """Development-only controls; raises ChainError on a production node."""
        if self.kind not in ("in-process", "anvil"):
            raise ChainError(f"a {self.kind} chain has no development controls")
        return DevControls(self.w3, self.kind)

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (OSError, ConnectionError) as err:
            raise ChainUnavailable(f"the chain stopped answering: {err}") from None

    # -- signers -----------------------------------------------------------------------------

    def default_signer(self, private_key: str | None = None) -> Signer:
        """The operator's signer: `private_key` when given; else the first account of a dev
        chain (the in-process chain's first test key, or a node's first unlocked account)."""
        if private_key:
            return LocalSigner.from_key(private_key)
        if self._dev_accounts:
            return self._dev_accounts[0]
        accounts = self._guard(lambda: self.w3.eth.accounts)
        if not accounts:
            raise NoSigner("no signing key is configured and the node has no unlocked account")
        return NodeSigner(self.w3, accounts[0])

    def dev_signers(self) -> list[Signer]:
        """Every funded account of a development chain."""
        if self._dev_accounts:
            return list(self._dev_accounts)
        return [NodeSigner(self.w3, a) for a in self._guard(lambda: self.w3.eth.accounts)]

    def balance(self, address: str) -> int:
        return int(self._guard(lambda: self.w3.eth.get_balance(Web3.to_checksum_address(address))))

    # -- contracts ---------------------------------------------------------------------------

    def abi(self, name: str) -> list[dict[str, Any]]:
        if name not in self._abis:
            self._abis[name] = load_artifact(name).abi
        return self._abis[name]

    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=self.abi(name))

    @property
    def errors(self) -> ErrorDecoder:
        if self._decoder is None:
            self._decoder = ErrorDecoder([self.abi(n) for n in ABI_NAMES])
        return self._decoder

    def call(self, fn: ContractFunction, *, block: int | str = "latest") -> Any:
        """Calls a view (or simulates a write) and translates a revert into its typed error."""
        try:
            return fn.call(block_identifier=block)
        except REVERT_ERRORS as err:
            raise self._translate(err) from None
        except (OSError, ConnectionError) as err:
            raise ChainUnavailable(f"the chain stopped answering: {err}") from None

    # -- transactions ------------------------------------------------------------------------

    def fee_fields(self) -> dict[str, int]:
        """Fee fields for a new transaction: EIP-1559 when blocks carry a base fee, else legacy."""
        block = self._guard(lambda: self.w3.eth.get_block("latest"))
        base_fee = block.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self._guard(lambda: self.w3.eth.gas_price))}
        return {"maxFeePerGas": 2 * int(base_fee), "maxPriorityFeePerGas": 0}

    def next_nonce(self, address: str) -> int:
        return int(
            self._guard(
                lambda: self.w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending")
            )
        )

    def prepare(
        self,
        fn: ContractFunction | None,
        signer: Signer,
        *,
        nonce: int | None = None,
        gas: int | None = None,
        fees: dict[str, int] | None = None,
        deploy: tuple[Artifact, tuple[Any, ...]] | None = None,
        value: int = 0,
        to: str | None = None,
    ) -> SignedTransaction:
        """Builds and signs a transaction without sending it.

        `fn` is a contract call; `deploy` an (artifact, constructor args) pair; with neither,
        a plain value transfer to `to`. Without `gas`, the gas is estimated, which also raises
        the typed error of a call that would revert.
        """
        tx: dict[str, Any] = {"from": signer.address, "chainId": self.chain_id, "value": value}
        if fn is not None:
            tx["to"] = fn.address
            tx["data"] = fn._encode_transaction_data()
        elif deploy is not None:
            artifact, args = deploy
            factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            tx["data"] = factory.constructor(*args).data_in_transaction
        elif to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        else:
            raise ValueError("prepare needs a call, a deployment or a recipient")
        tx["nonce"] = self.next_nonce(signer.address) if nonce is None else nonce
        tx.update(fees if fees is not None else self.fee_fields())
        if gas is None:
            estimate_fields = {k: v for k, v in tx.items() if k not in ("nonce",)}
            try:
                gas = int(self.w3.eth.estimate_gas(estimate_fields))  # type: ignore[arg-type]
            except REVERT_ERRORS as err:
                raise self._translate(err) from None
            except (OSError, ConnectionError) as err:
                raise ChainUnavailable(f"the chain stopped answering: {err}") from None
            gas = gas * 6 // 5 + 10_000
        tx["gas"] = gas
        raw = signer.sign(tx)
        return SignedTransaction(
            sender=signer.address, nonce=int(tx["nonce"]), tx_hash="0x" + keccak(raw).hex(), raw=raw
        )

    def send(self, signed: SignedTransaction) -> str:
        """Broadcasts a signed transaction and returns its hash. Sending a transaction the node
        already has, or has already mined, is not an error: a retry is harmless. A transaction
        the node does not take raises :class:`TransactionRefused` (or the typed revert when the
        node simulates it first); either way its nonce is still free."""
        try:
            self.w3.eth.send_raw_transaction(signed.raw)
        except REVERT_ERRORS as err:
            message = str(err).lower()
            if "already known" in message or "already imported" in message or "known transaction" in message:
                return signed.tx_hash
            if self.find_receipt(signed.tx_hash) is not None:
                return signed.tx_hash
            translated = self._translate(err, tx_hash=signed.tx_hash)
            if isinstance(translated, ContractRevert):
                raise translated from None
            raise TransactionRefused(str(translated), tx_hash=signed.tx_hash) from None
        except (OSError, ConnectionError) as err:
            raise ChainUnavailable(f"the chain stopped answering: {err}") from None
        except (
            ValueError,
            EthValidationError,
        ) as err:  # eth-tester reports duplicates and bad nonces this way
            if self.find_receipt(signed.tx_hash) is not None:
                return signed.tx_hash
            raise TransactionRefused(
                f"the node refused the transaction: {err}", tx_hash=signed.tx_hash
            ) from None
        return signed.tx_hash

    def find_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The raw receipt of a mined transaction, or None if it is not mined (yet)."""
        try:
            return dict(self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))
        except TransactionNotFound:
            return None
        except (OSError, ConnectionError) as err:
            raise ChainUnavailable(f"the chain stopped answering: {err}") from None

    def wait(self, tx_hash: str, *, timeout: float | None = None) -> Receipt:
        """Waits for the receipt and the configured confirmations; raises the typed error of a
        reverted transaction."""
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        delay = 0.005
        while True:
            raw = self.find_receipt(tx_hash)
            if raw is not None and self.is_confirmed(raw):
                return self.receipt_of(tx_hash, raw)
            if time.monotonic() > deadline:
                raise ReceiptTimeout(f"no receipt for {tx_hash} within the timeout", tx_hash=tx_hash)
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def is_confirmed(self, raw: dict[str, Any]) -> bool:
        """Mined with the configured depth (a receipt is depth 1: no head lookup needed)."""
        if self.confirmations <= 1:
            return True
        return self.block_number() - int(raw["blockNumber"]) + 1 >= self.confirmations

    def transact(self, fn: ContractFunction, signer: Signer, **kwargs: Any) -> Receipt:
        """Prepares, sends and waits for one transaction."""
        return self.wait(self.send(self.prepare(fn, signer, **kwargs)))

    def receipt_of(self, tx_hash: str, raw: dict[str, Any]) -> Receipt:
        """The receipt of a mined transaction; the typed error (final) if it reverted."""
        if int(raw["status"]) != 1:
            raise self._diagnose(tx_hash, raw)
        address = raw.get("contractAddress")
        return Receipt(
            tx_hash=tx_hash,
            block_number=int(raw["blockNumber"]),
            block_hash="0x" + bytes(HexBytes(raw["blockHash"])).hex(),
            gas_used=int(raw["gasUsed"]),
            logs=[dict(log) for log in raw["logs"]],
            contract_address=Web3.to_checksum_address(address) if address else None,
        )

    def _diagnose(self, tx_hash: str, raw: dict[str, Any]) -> ChainError:
        """The typed error of a transaction mined with status 0: replays it on the state before
        its block (a node's debug tracer is not assumed)."""
        try:
            tx = self.w3.eth.get_transaction(HexBytes(tx_hash))
            call = {
                "from": tx["from"],
                "to": tx["to"],
                "data": tx["input"],
                "value": tx["value"],
                "gas": tx["gas"],
            }
            self.w3.eth.call(call, block_identifier=int(raw["blockNumber"]) - 1)  # type: ignore[arg-type]
        except REVERT_ERRORS as err:
            translated = self._translate(err, tx_hash=tx_hash)
            if isinstance(translated, ContractRevert):
                return translated
        except (Web3Exception, ValueError):
            pass
        if int(raw["gasUsed"]) >= int(self.w3.eth.get_transaction(HexBytes(tx_hash))["gas"]):
            return TransactionReverted(f"transaction {tx_hash} ran out of gas", tx_hash=tx_hash)
        return TransactionReverted(f"transaction {tx_hash} reverted on chain", tx_hash=tx_hash)

    def _translate(self, err: BaseException, *, tx_hash: str | None = None) -> ChainError:
        decoded = self.errors.decode(_revert_data(err), tx_hash=tx_hash)
        if decoded is not None:
            return decoded
        message = getattr(err, "message", None) or str(err)
        return TransactionFailed(f"the node refused the transaction: {message}", tx_hash=tx_hash)
