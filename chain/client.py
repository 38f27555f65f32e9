"""One chain client over web3.py for every backend.

The backends differ only in how the client is constructed::

    ChainClient.in_process()                  # py-evm through eth-tester, in this process
    ChainClient.connect("http://127.0.0.1:8545")   # anvil, or any JSON-RPC node (Besu QBFT)

Every transaction takes the same path: :meth:`ChainClient.prepare` fills in and signs it (a
pre-flight gas estimate turns a certain revert into a typed error before anything is sent),
:meth:`ChainClient.send` broadcasts the raw transaction (idempotently: resending a known
transaction is not an error), and :meth:`ChainClient.wait` returns the receipt once it has the
configured confirmations, raising the typed :class:`~chain.errors.ContractRevert` of a failed one.

Everything the chain layer knows about nodes lives here: every node call goes through one
transport guard (an unreachable node is :class:`~chain.errors.ChainUnavailable` with a short,
human reason), a node's refusal of a transaction is classified once
(:class:`~chain.errors.NonceTaken`, :class:`~chain.errors.FeeTooLow`,
:class:`~chain.errors.InsufficientFunds`), and raw signed transactions are decoded and hashed
only here.
"""

from __future__ import annotations

import ast
import http.client
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import requests
import rlp  # type: ignore[import-untyped]
import urllib3.exceptions
from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    ProviderConnectionError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.types import RPCEndpoint

from chain import keepalive
from chain.abi import ContractCall, canonical_type, selector
from chain.compiler import Artifact, load_artifact
from chain.errors import (
    ChainError,
    ChainUnavailable,
    ContractRevert,
    FeeTooLow,
    InsufficientFunds,
    NonceTaken,
    NoSigner,
    ReceiptTimeout,
    TransactionFailed,
    TransactionRefused,
    TransactionReverted,
)
from chain.signers import LocalSigner, NodeSigner, Signer

ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]
ABI_NAMES = ("TanhuiRegistry", "TanhuiCredits", "TanhuiExchange")
# A plain value transfer costs exactly this much gas.
TRANSFER_GAS = 21_000


# -- raw signed transactions ---------------------------------------------------------------------


def _tx_hash(raw: bytes) -> str:
    """A signed transaction's hash: the keccak of its raw bytes (typed or legacy alike)."""
    return "0x" + keccak(raw).hex()


def _decode_raw(raw: bytes) -> dict[str, Any]:
    """The fields of a raw signed transaction: ``type`` (0 for legacy, else the EIP-2718 type),
    ``to`` (None for a deployment), ``data``,
    ``value``, ``gas``, ``nonce``, ``chainId`` (None when not replay-protected) and its fee
    fields (``gasPrice``, or ``maxFeePerGas`` and ``maxPriorityFeePerGas``)."""
    try:
        if raw and raw[0] <= 0x7F:  # EIP-2718 typed transaction
            typed = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            fields: dict[str, Any] = {
                "type": raw[0],
                "to": typed.get("to"),
                "data": bytes(HexBytes(typed.get("data", b""))),
                "value": int(typed["value"]),
                "gas": int(typed["gas"]),
                "nonce": int(typed["nonce"]),
                "chainId": int(typed["chainId"]),
            }
            for key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"):
                if key in typed:
                    fields[key] = int(typed[key])
        else:  # legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
            items = rlp.decode(raw)
            if not isinstance(items, list) or len(items) != 9:
                raise ValueError("not a legacy transaction")
            nonce, gas_price, gas, to, value, data, v = (bytes(i) for i in items[:7])
            v_int = int.from_bytes(v, "big")
            fields = {
                "type": 0,
                "to": to,
                "data": data,
                "value": int.from_bytes(value, "big"),
                "gas": int.from_bytes(gas, "big"),
                "nonce": int.from_bytes(nonce, "big"),
                "chainId": (v_int - 35) // 2 if v_int >= 35 else None,  # EIP-155
                "gasPrice": int.from_bytes(gas_price, "big"),
            }
    except Exception as err:  # bytes from anyone: whatever the decoders raise, it is not one
        raise ValueError(f"not a signed transaction: {err}") from None
    to = fields["to"]
    fields["to"] = Web3.to_checksum_address(to) if to else None
    return fields


@dataclass(frozen=True)
class SignedTransaction:
    """A signed transaction, ready to record and send."""

    sender: ChecksumAddress
    nonce: int
    tx_hash: str
    raw: bytes

    @classmethod
    def from_raw(cls, raw: bytes | str) -> SignedTransaction:
        """The transaction of raw signed bytes (or their 0x-hex): the sender is recovered from
        the signature. Raises ValueError if `raw` is not a signed transaction."""
        data = bytes(HexBytes(raw))
        fields = _decode_raw(data)
        try:
            sender = Account.recover_transaction(data)
        except Exception as err:  # e.g. eth_keys' BadSignature for an r that is not on the curve
            raise ValueError(f"not a signed transaction: {err}") from None
        return cls(
            sender=Web3.to_checksum_address(sender), nonce=fields["nonce"], tx_hash=_tx_hash(data), raw=data
        )

    def fields(self) -> dict[str, Any]:
        """The transaction's fields decoded from `raw` (see :func:`_decode_raw`)."""
        return _decode_raw(self.raw)


@dataclass(frozen=True)
class Receipt:
    """The receipt of a successful transaction."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    logs: list[dict[str, Any]]
    contract_address: ChecksumAddress | None = None


# -- errors --------------------------------------------------------------------------------------


class ErrorDecoder:
    """Turns revert data into typed errors, from the custom errors of the contract ABIs."""

    def __init__(self, abis: list[list[dict[str, Any]]]) -> None:
        self._by_selector: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [canonical_type(i) for i in item["inputs"]]
                names = [i["name"] or f"arg{n}" for n, i in enumerate(item["inputs"])]
                self._by_selector[selector(item)] = (item["name"], types, names)

    def decode(self, data: bytes | str | None, *, tx_hash: str | None = None) -> ContractRevert | None:
        """The typed error for revert `data`, or None when there is no revert data."""
        if data is None:
            return None
        raw = bytes(HexBytes(data)) if isinstance(data, str) else bytes(data)
        if len(raw) < 4:
            return None
        selector_, body = raw[:4], raw[4:]
        try:
            if selector_ == ERROR_STRING_SELECTOR:
                (reason,) = abi_decode(["string"], body)
                return ContractRevert.create("RevertedWithReason", {"reason": reason}, tx_hash=tx_hash)
            if selector_ == PANIC_SELECTOR:
                (code,) = abi_decode(["uint256"], body)
                return ContractRevert.create("Panicked", {"code": code}, tx_hash=tx_hash)
            known = self._by_selector.get(selector_)
            if known is None:
                return ContractRevert("UnknownError", {"data": "0x" + raw.hex()}, tx_hash=tx_hash)
            name, types, names = known
            values = [
                Web3.to_checksum_address(v) if t == "address" else v
                for t, v in zip(types, abi_decode(types, body), strict=True)
            ]
        except (DecodingError, ValueError, OverflowError):  # revert data is input: never trusted
            return ContractRevert("UnknownError", {"data": "0x" + raw.hex()}, tx_hash=tx_hash)
        return ContractRevert.create(name, dict(zip(names, values, strict=True)), tx_hash=tx_hash)


def _tester_failure() -> tuple[type[BaseException], ...]:
    try:
        from eth_tester.exceptions import (  # type: ignore[import-untyped]
            TransactionFailed as TesterFailed,
        )
    except ImportError:  # the in-process backend is optional
        return ()
    return (TesterFailed,)


# Exceptions that carry a revert: web3's, a node's RPC error, and eth-tester's own.
REVERT_ERRORS: tuple[type[BaseException], ...] = (ContractLogicError, Web3RPCError, *_tester_failure())
# Exceptions the in-process chain (eth-tester) raises for a transaction it does not take.
TESTER_REFUSALS: tuple[type[BaseException], ...] = (ValueError, EthValidationError)


def _revert_data(err: BaseException) -> Any:
    """The revert data that web3, the node or eth-tester attached to an exception, if any."""
    data = getattr(err, "data", None)
    if data:
        return data
    if isinstance(err, Web3RPCError):
        payload: Any = (err.rpc_response or {}).get("error")
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


def _log_filter(params: dict[str, Any]) -> dict[str, Any]:
    """An ``eth_getLogs`` filter in JSON-RPC form: block numbers as hex quantities, topics and
    addresses as hex strings."""

    def hexed(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return "0x" + bytes(value).hex()
        if isinstance(value, list | tuple):
            return [hexed(v) for v in value]
        return value

    query: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("fromBlock", "toBlock") and isinstance(value, int):
            query[key] = hex(value)
        else:
            query[key] = hexed(value)
    return query


def _node_message(err: BaseException) -> str:
    """The node's own words for an error: the JSON-RPC error message when there is one."""
    if isinstance(err, Web3RPCError):
        payload = (err.rpc_response or {}).get("error")
        if isinstance(payload, dict) and payload.get("message"):
            return str(payload["message"])
    return str(getattr(err, "message", None) or err)


# What nodes say when they refuse a transaction (geth, anvil, Besu, eth-tester; matched lowercase).
_FUNDS_REFUSALS = ("insufficient funds", "cannot afford", "upfront cost exceeds")
_FEE_REFUSALS = (
    "underpriced",  # geth/anvil/Besu: "(replacement) transaction underpriced"
    "base fee",  # "max fee per gas less than block base fee", "gas price is below the current base fee"
    "fee cap",  # Besu "transaction fee cap exceeded", geth "fee cap less than block base fee"
    "exceeds the configured cap",  # geth: "tx fee (2 ether) exceeds the configured cap (1 ether)"
    "minimum gas price",  # Besu: "gas price below configured minimum gas price"
    "gas price too low",
    "priority fee",  # "max priority fee per gas higher than max fee per gas"
)
_TESTER_NONCE = re.compile(r"expected (\d+), but got (\d+)")  # eth-tester's wording


def _refusal_class(message: str) -> type[TransactionRefused]:
    """The class of a node's refusal of a transaction, from the node's message."""
    text = message.lower()
    if "nonce" in text:
        tester = _TESTER_NONCE.search(text)
        if "too low" in text or "already used" in text or (tester and int(tester[2]) < int(tester[1])):
            return NonceTaken
    if any(words in text for words in _FUNDS_REFUSALS):
        return InsufficientFunds
    if any(words in text for words in _FEE_REFUSALS):
        return FeeTooLow
    return TransactionRefused


# -- transport -----------------------------------------------------------------------------------

# Exceptions of the way to the node (not of the node's answer): sockets and HTTP.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes ConnectionError, TimeoutError and every requests exception
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ProviderConnectionError,
)

_TRANSPORT_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((ConnectionRefusedError,), "connection refused"),
    ((socket.gaierror, urllib3.exceptions.NameResolutionError), "unknown host"),
    (
        (TimeoutError, requests.exceptions.Timeout, urllib3.exceptions.TimeoutError),
        "no answer within the timeout",
    ),
    ((ConnectionResetError, http.client.RemoteDisconnected), "the node closed the connection"),
    ((ConnectionAbortedError, BrokenPipeError), "the connection was broken"),
)


def _causes(err: BaseException) -> list[BaseException]:
    """`err` and everything it wraps (causes, contexts, urllib3's `reason`), outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [err]
    while todo and len(seen) < 32:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        inner += [a for a in current.args if isinstance(a, BaseException)]
        todo += [i for i in inner if isinstance(i, BaseException)]
    return seen


def _transport_reason(err: BaseException) -> str:
    """A short reason for a transport exception, for a human: "connection refused", never
    urllib3's "HTTPConnectionPool(host=...): Max retries exceeded ..."."""
    causes = _causes(err)
    for kinds, reason in _TRANSPORT_REASONS:
        if any(isinstance(c, kinds) for c in causes):
            return reason
    for cause in causes:
        response = getattr(cause, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return f"the node answered HTTP {status} {getattr(response, 'reason', '') or ''}".rstrip()
    for cause in reversed(causes):  # the root cause first
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
    root = causes[-1]
    text = str(root).splitlines()[0] if str(root) else ""
    return f"{type(root).__name__}: {text[:120]}" if text else type(root).__name__


@contextmanager
def _reaching(endpoint: str) -> Iterator[None]:
    """The one translation of transport errors into :class:`ChainUnavailable`."""
    try:
        yield
    except TRANSPORT_ERRORS as err:
        raise ChainUnavailable(f"cannot reach the chain at {endpoint}: {_transport_reason(err)}") from err


def _hex(value: Any) -> str:
    return "0x" + bytes(HexBytes(value)).hex()


def _hex_int(value: Any) -> int | None:
    """A JSON-RPC quantity ("0x1a") as an int; None for anything else."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


#: The quantities of a receipt that callers read as integers (as web3's formatters give them).
_RECEIPT_QUANTITIES = ("blockNumber", "status", "gasUsed", "cumulativeGasUsed", "transactionIndex")


def _json_receipt(result: dict[str, Any]) -> dict[str, Any]:
    """A receipt as the node's JSON has it, with its quantities as integers (its logs stay as
    JSON: the event decoder reads them so)."""
    receipt = dict(result)
    for key in _RECEIPT_QUANTITIES:
        value = _hex_int(receipt.get(key))
        if value is not None:
            receipt[key] = value
    return receipt


# -- the client ----------------------------------------------------------------------------------


class DevControls:
    """Powers only a development chain has (the in-process EVM and anvil): snapshots."""

    def __init__(self, client: ChainClient) -> None:
        self._client = client

    def _rpc(self, method: str, params: list[Any]) -> Any:
        with self._client._reaching():
            response = self._client.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error']}")
        return response["result"]

    def snapshot(self) -> Any:
        return self._rpc("evm_snapshot", [])

    def revert(self, snapshot_id: Any) -> None:
        self._rpc("evm_revert", [snapshot_id])

    def restore(self, snapshot_id: Any) -> None:
        """Reverts to `snapshot_id` as the next user of the chain expects it (a test after
        another): on anvil also without the transactions waiting in its pool (a revert keeps them,
        and one with a nonce gap would be mined later, taking another's nonce) and with its clock
        at the wall clock (a revert takes it back to the snapshot's block, so the chain would fall
        behind the registry's clock by the time of every test before). The in-process EVM has
        neither: it mines each transaction as it takes it, at the wall clock's time."""
        self.revert(snapshot_id)
        if self._client.kind == "anvil":
            self._rpc("anvil_dropAllTransactions", [])
            self._rpc("anvil_setTime", [int(time.time())])

    def mine(self, blocks: int = 1) -> None:
        """Mines `blocks` (at least one) empty blocks (``evm_mine`` takes a count in the
        in-process EVM, but a timestamp in anvil)."""
        if blocks < 1:
            raise ValueError(f"mine needs at least one block, not {blocks}")
        if self._client.kind == "anvil":
            self._rpc("anvil_mine", [hex(blocks)])
        else:
            self._rpc("evm_mine", [blocks])


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
        rpc_url: str | None = None,
    ) -> None:
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
        self.rpc_url = rpc_url
        self._dev_accounts = list(dev_accounts or [])
        self._abis: dict[str, list[dict[str, Any]]] = {}
        self._decoder: ErrorDecoder | None = None
        #: How many times the node could not be reached. A node that was down may come back
        #: from an older state: callers that care compare this count before and after.
        self.outages = 0

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def in_process(cls, *, confirmations: int = 0) -> ChainClient:
        """A fresh py-evm chain inside this process, with ten funded test accounts."""
        from eth_tester import EthereumTester, PyEVMBackend  # type: ignore[import-untyped]
        from web3 import EthereumTesterProvider

        backend = PyEVMBackend()
        w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
        keys = [LocalSigner.from_key(key.to_bytes()) for key in backend.account_keys]
        return cls(w3, kind="in-process", confirmations=confirmations, dev_accounts=keys)

    @classmethod
    def connect(cls, rpc_url: str, *, confirmations: int = 0, timeout: float = 30.0) -> ChainClient:
        """A JSON-RPC node: anvil here, a Besu QBFT network in production. Raises
        :class:`ChainUnavailable` if nothing answers there as an Ethereum node."""
        provider = Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout})
        if keepalive.applies(rpc_url):  # web3's own requests path costs more than the node
            provider._request_session_manager = keepalive.KeepAlive(rpc_url, timeout=timeout)  # type: ignore[assignment]
        w3 = Web3(provider)
        try:
            with _reaching(rpc_url):
                client_version = w3.client_version
        except (Web3Exception, ValueError) as err:
            detail = _node_message(err) if isinstance(err, Web3RPCError) else "its answer is not JSON-RPC"
            raise ChainUnavailable(
                f"cannot reach the chain at {rpc_url}: not an Ethereum JSON-RPC node ({detail})"
            ) from err
        kind = "anvil" if client_version.lower().startswith("anvil") else "rpc"
        return cls(w3, kind=kind, confirmations=confirmations, rpc_url=rpc_url)

    @property
    def endpoint(self) -> str:
        """Where the chain is, for messages: its RPC URL, or "the in-process chain"."""
        return self.rpc_url or f"the {self.kind} chain"

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            with _reaching(self.endpoint):
                yield
        except ChainUnavailable:
            self.outages += 1
            raise

    # -- facts -------------------------------------------------------------------------------

    @cached_property
    def chain_id(self) -> int:
        with self._reaching():
            return int(self.w3.eth.chain_id)

    def block_number(self) -> int:
        with self._reaching():
            return int(self.w3.eth.block_number)

    def probe_block_number(self, timeout: float = 2.0) -> int:
        """The latest block number, asked once with a short timeout and no retries (health
        checks: a hung node must not hold their caller for web3's retries of its long timeout).
        Raises ChainUnavailable for any failure."""
        if self.rpc_url is None:
            return self.block_number()
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        try:
            answer = requests.post(self.rpc_url, json=body, timeout=timeout).json()
            return int(answer["result"], 16)
        except Exception as err:  # a node that answers anything else is not reachable for us
            raise ChainUnavailable(f"the chain at {self.rpc_url} did not give its head: {err}") from None

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        """A block's header facts: ``number``, ``hash`` and ``parentHash`` (0x-hex),
        ``timestamp`` (unix seconds), ``baseFeePerGas`` (None before London) and ``gasLimit``."""
        try:
            with self._reaching():
                raw = self.w3.eth.get_block(number)  # type: ignore[arg-type]
        except BlockNotFound:
            raise ChainError(f"the chain has no block {number}") from None
        base_fee = raw.get("baseFeePerGas")
        return {
            "number": int(raw["number"]),
            "hash": _hex(raw["hash"]),
            "parentHash": _hex(raw["parentHash"]),
            "timestamp": int(raw["timestamp"]),
            "baseFeePerGas": None if base_fee is None else int(base_fee),
            "gasLimit": int(raw["gasLimit"]),
        }

    def has_code(self, address: str) -> bool:
        """Whether a contract lives at `address`."""
        with self._reaching():
            return len(self.w3.eth.get_code(Web3.to_checksum_address(address))) > 0

    def knows_transaction(self, tx_hash: str) -> bool:
        """Whether the node has the transaction (pending or mined). A node that restarted may
        have lost a sent one: it must be sent again."""
        try:
            with self._reaching():
                self.w3.eth.get_transaction(HexBytes(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def get_transaction(self, tx_hash: str) -> dict[str, Any]:
        """A transaction the node knows: ``hash``, ``from``, ``to`` (None for a deployment),
        ``nonce``, ``value``, ``gas``, ``input`` (bytes), ``blockNumber`` (None while pending)
        and its fee fields. Raises ChainError if the node does not know it."""
        try:
            with self._reaching():
                tx: dict[str, Any] = dict(self.w3.eth.get_transaction(HexBytes(tx_hash)))
        except TransactionNotFound:
            raise ChainError(f"the chain has no transaction {tx_hash}") from None
        to = tx.get("to")
        block = tx.get("blockNumber")
        facts: dict[str, Any] = {
            "hash": _hex(tx["hash"]),
            "from": Web3.to_checksum_address(tx["from"]),
            "to": Web3.to_checksum_address(to) if to else None,
            "nonce": int(tx["nonce"]),
            "value": int(tx["value"]),
            "gas": int(tx["gas"]),
            "input": bytes(HexBytes(tx["input"])),
            "blockNumber": None if block is None else int(block),
        }
        for key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"):
            if tx.get(key) is not None:
                facts[key] = int(tx[key])
        return facts

    def get_logs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The raw logs of an ``eth_getLogs`` filter (``address``, ``fromBlock``, ``toBlock``,
        ``topics``). A node that refuses the filter (e.g. too wide a range) raises ChainError."""
        if self.rpc_url is None:  # the in-process chain: through web3's formatters
            try:
                with self._reaching():
                    logs = self.w3.eth.get_logs(params)  # type: ignore[arg-type]
            except (Web3RPCError, Web3Exception) as err:
                raise ChainError(f"the node refused the log query: {_node_message(err)}") from None
            return [dict(log) for log in logs]
        # A node: the JSON-RPC answer as it is (hex strings), which the event decoder reads
        # directly. web3's result formatters and attribute dicts cost more than the decoding.
        with self._reaching():
            response = self.w3.provider.make_request(RPCEndpoint("eth_getLogs"), [_log_filter(params)])
        error = response.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            raise ChainError(f"the node refused the log query: {str(message)[:300]}")
        result = response.get("result")
        if not isinstance(result, list):
            raise ChainError("the node answered the log query without a list of logs")
        return [dict(log) for log in result if isinstance(log, dict)]

    def balance(self, address: str) -> int:
        with self._reaching():
            return int(self.w3.eth.get_balance(Web3.to_checksum_address(address)))

    @property
    def dev(self) -> DevControls:
        """Development-only controls; raises ChainError on a production node."""
        if self.kind not in ("in-process", "anvil"):
            raise ChainError(f"a {self.kind} chain has no development controls")
        return DevControls(self)

    # -- signers -----------------------------------------------------------------------------

    def _node_accounts(self) -> list[ChecksumAddress]:
        with self._reaching():
            return list(self.w3.eth.accounts)

    def default_signer(self, private_key: str | None = None) -> Signer:
        """The operator's signer: `private_key` when given; else the first account of a dev
        chain (the in-process chain's first test key, or a node's first unlocked account)."""
        if private_key:
            return LocalSigner.from_key(private_key)
        if self._dev_accounts:
            return self._dev_accounts[0]
        accounts = self._node_accounts()
        if not accounts:
            raise NoSigner("no signing key is configured and the node has no unlocked account")
        return NodeSigner(self.w3, accounts[0])

    def dev_signers(self) -> list[Signer]:
        """Every funded account of a development chain."""
        if self._dev_accounts:
            return list(self._dev_accounts)
        return [NodeSigner(self.w3, a) for a in self._node_accounts()]

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
            with self._reaching():
                return fn.call(block_identifier=block)  # type: ignore[arg-type]
        except REVERT_ERRORS as err:
            raise self._translate(err) from None

    # -- transactions ------------------------------------------------------------------------

    def fee_fields(self) -> dict[str, int]:
        """Fee fields for a new transaction: EIP-1559 when blocks carry a base fee, else legacy."""
        base_fee = self.block("latest")["baseFeePerGas"]
        if base_fee is None:
            with self._reaching():
                return {"gasPrice": int(self.w3.eth.gas_price)}
        return {"maxFeePerGas": 2 * int(base_fee), "maxPriorityFeePerGas": 0}

    def next_nonce(self, address: str) -> int:
        with self._reaching():
            return int(self.w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending"))

    def estimate(self, tx: dict[str, Any]) -> int:
        """The node's gas estimate for transaction fields `tx` (without margin); raises the
        typed error of a call that would revert."""
        try:
            with self._reaching():
                if isinstance(self.w3.provider, HTTPProvider):
                    return self._estimate_rpc(tx)
                return int(self.w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        except REVERT_ERRORS as err:
            raise self._translate(err) from None

    def _estimate_rpc(self, tx: dict[str, Any]) -> int:
        """``eth_estimateGas`` as one plain JSON-RPC request (the fields are the registry's own,
        already in the node's names): web3's request and result formatters cost more than the
        node's simulation. A refusal is raised as web3 raises one, with the node's response."""
        params = {k: (hex(v) if isinstance(v, int) else v) for k, v in tx.items()}
        response = self.w3.provider.make_request(RPCEndpoint("eth_estimateGas"), [params])
        error, result = response.get("error"), response.get("result")
        if error is not None or not isinstance(result, str):
            message = error.get("message") if isinstance(error, dict) else error
            raise Web3RPCError(str(message or "eth_estimateGas gave no estimate"), rpc_response=response)
        return int(result, 16)

    def prepare(
        self,
        call: ContractCall | None,
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

        `call` is a contract call; `deploy` an (artifact, constructor args) pair; with neither,
        a plain value transfer to `to`. Without `gas`, the gas is estimated, which also raises
        the typed error of a call that would revert.
        """
        tx: dict[str, Any] = {"from": signer.address, "chainId": self.chain_id, "value": value}
        if call is not None:
            tx["to"] = call.to
            tx["data"] = "0x" + call.data.hex()
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
            gas = self.estimate({k: v for k, v in tx.items() if k != "nonce"})
            gas = gas * 6 // 5 + 10_000
        tx["gas"] = gas
        return self._sign(tx, signer)

    def resign(
        self, signed: SignedTransaction, signer: Signer, *, nonce: int, fees: dict[str, int]
    ) -> SignedTransaction:
        """The same call as `signed` (to, data, value, gas, chain id), signed again by `signer`
        with a new nonce and fees."""
        if signer.address != signed.sender:
            raise ValueError(f"{signed.tx_hash} was signed by {signed.sender}, not by {signer.address}")
        fields = signed.fields()
        tx: dict[str, Any] = {
            "from": signer.address,
            "value": fields["value"],
            "gas": fields["gas"],
            "data": "0x" + fields["data"].hex(),
            "nonce": nonce,
            "chainId": fields["chainId"] if fields["chainId"] is not None else self.chain_id,
            **fees,
        }
        if fields["to"] is not None:
            tx["to"] = fields["to"]
        return self._sign(tx, signer)

    def nonce_filler(self, signer: Signer, *, nonce: int, fees: dict[str, int]) -> SignedTransaction:
        """A zero-value transfer from `signer` to itself with `nonce`: it uses a nonce whose
        own transaction can never succeed, so the sender's later transactions can be mined."""
        tx: dict[str, Any] = {
            "from": signer.address,
            "to": signer.address,
            "value": 0,
            "data": "0x",
            "gas": TRANSFER_GAS,
            "nonce": nonce,
            "chainId": self.chain_id,
            **fees,
        }
        return self._sign(tx, signer)

    def _sign(self, tx: dict[str, Any], signer: Signer) -> SignedTransaction:
        with self._reaching():  # a node signer asks the node
            raw = signer.sign(tx)
        return SignedTransaction(
            sender=signer.address, nonce=int(tx["nonce"]), tx_hash=_tx_hash(raw), raw=raw
        )

    def send(self, signed: SignedTransaction) -> str:
        """Broadcasts a signed transaction and returns its hash. Sending a transaction the node
        already has, or has already mined, is not an error: a retry is harmless.

        A transaction the node does not take raises the typed revert when the node simulated
        it, else :class:`NonceTaken` (its nonce was used by another transaction),
        :class:`FeeTooLow`, :class:`InsufficientFunds` or :class:`TransactionRefused`; except
        for NonceTaken, its nonce is still free."""
        try:
            with self._reaching():
                self.w3.eth.send_raw_transaction(signed.raw)
        except REVERT_ERRORS as err:
            return self._refused(signed, err, revert_data=True)
        except TESTER_REFUSALS as err:  # eth-tester reports duplicates and refusals this way
            return self._refused(signed, err, revert_data=False)
        return signed.tx_hash

    def send_for_receipt(self, signed: SignedTransaction) -> dict[str, Any] | None:
        """Broadcasts a signed transaction (as :meth:`send`, with its refusals) and returns its
        raw receipt when the node has mined it by the time it answers, else None.

        A node that mines each transaction as it takes it (anvil with automine) answers
        ``eth_sendRawTransactionSync`` (EIP-7966) with the receipt: one round trip instead of
        a send and polls for the receipt. Any other node, or any refusal, takes the plain path
        (a refused transaction is sent again there, harmlessly, for the typed refusal)."""
        if self._mines_on_send:
            with self._reaching():
                response = self.w3.provider.make_request(
                    RPCEndpoint("eth_sendRawTransactionSync"), ["0x" + signed.raw.hex()]
                )
            result = response.get("result")
            if isinstance(result, dict) and _hex_int(result.get("blockNumber")) is not None:
                return _json_receipt(result)
            error = response.get("error")
            if isinstance(error, dict) and error.get("code") == -32601:  # not a method of this node
                self._mines_on_send = False
        self.send(signed)
        return self.find_receipt(signed.tx_hash)

    @cached_property
    def _mines_on_send(self) -> bool:
        """Whether the node mines a transaction as it takes it: anvil with automine."""
        if self.kind != "anvil":
            return False
        with self._reaching():
            response = self.w3.provider.make_request(RPCEndpoint("anvil_getAutomine"), [])
        return response.get("result") is True

    def _refused(self, signed: SignedTransaction, err: BaseException, *, revert_data: bool) -> str:
        """The hash of a transaction the node turned down but already has; else raises the
        typed refusal."""
        message = _node_message(err)
        lowered = message.lower()
        if "already known" in lowered or "already imported" in lowered or "known transaction" in lowered:
            return signed.tx_hash
        if self.find_receipt(signed.tx_hash) is not None:
            return signed.tx_hash
        if revert_data:
            revert = self.errors.decode(_revert_data(err), tx_hash=signed.tx_hash)
            if revert is not None:
                raise revert from None
        refusal = _refusal_class(message)
        raise refusal(f"the node refused the transaction: {message}", tx_hash=signed.tx_hash) from None

    def find_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The raw receipt of a mined transaction, or None if it is not mined (yet)."""
        try:
            with self._reaching():
                return dict(self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))
        except TransactionNotFound:
            return None

    def wait(self, tx_hash: str, *, timeout: float | None = None) -> Receipt:
        """Waits for the receipt and the configured confirmations; raises the typed error of a
        reverted transaction."""
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        delay = 0.001  # a local node mines on receipt: its receipt is there within a millisecond or two
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

    def transact(self, call: ContractCall, signer: Signer, **kwargs: Any) -> Receipt:
        """Prepares, sends and waits for one transaction."""
        return self.wait(self.send(self.prepare(call, signer, **kwargs)))

    def receipt_of(self, tx_hash: str, raw: dict[str, Any]) -> Receipt:
        """The receipt of a mined transaction; the typed error (final) if it reverted."""
        if int(raw["status"]) != 1:
            raise self._diagnose(tx_hash, raw)
        address = raw.get("contractAddress")
        return Receipt(
            tx_hash=tx_hash,
            block_number=int(raw["blockNumber"]),
            block_hash=_hex(raw["blockHash"]),
            gas_used=int(raw["gasUsed"]),
            logs=[dict(log) for log in raw["logs"]],
            contract_address=Web3.to_checksum_address(address) if address else None,
        )

    def _diagnose(self, tx_hash: str, raw: dict[str, Any]) -> ChainError:
        """The typed error of a transaction mined with status 0: replays it on the state before
        its block (a node's debug tracer is not assumed)."""
        tx = self.get_transaction(tx_hash)
        replay = {k: tx[k] for k in ("from", "to", "value", "gas")}
        replay["data"] = _hex(tx["input"])
        try:
            with self._reaching():
                self.w3.eth.call(replay, block_identifier=int(raw["blockNumber"]) - 1)  # type: ignore[arg-type]
        except REVERT_ERRORS as err:
            translated = self._translate(err, tx_hash=tx_hash)
            if isinstance(translated, ContractRevert):
                return translated
        except (Web3Exception, ValueError):
            pass
        if int(raw["gasUsed"]) >= tx["gas"]:
            return TransactionReverted(f"transaction {tx_hash} ran out of gas", tx_hash=tx_hash)
        return TransactionReverted(f"transaction {tx_hash} reverted on chain", tx_hash=tx_hash)

    def _translate(self, err: BaseException, *, tx_hash: str | None = None) -> ChainError:
        decoded = self.errors.decode(_revert_data(err), tx_hash=tx_hash)
        if decoded is not None:
            return decoded
        return TransactionFailed(f"the node refused the transaction: {_node_message(err)}", tx_hash=tx_hash)
