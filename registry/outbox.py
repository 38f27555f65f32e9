"""The transactional outbox, and the registry's one seam to the chain.

A service never talks to a node. It builds a contract call (``outbox.calls``, the deployed
contracts), picks who signs it (``outbox.operator``, or ``outbox.signer_of(participant)``) and
hands both to :meth:`Outbox.enqueue`, which signs the transaction with the sender's next nonce
and records it in the same database transaction as the domain change that wants it, before
anything is sent. The relay sends it after the commit.

Nonces come from a per-account counter row, locked while taken (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are serialised by ``BEGIN IMMEDIATE``). Unless a fixed gas limit
is given, a pre-flight gas estimate runs before signing, so a call the contracts would refuse
raises its typed error and the whole transaction (domain change included) rolls back: nothing
is half-written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from web3 import Web3

from chain.client import ChainClient, SignedTransaction
from chain.contracts import ContractCall, Tanhui
from chain.errors import ChainError
from chain.signers import Signer
from registry.clock import now
from registry.custody import signer_for
from registry.errors import (
    AlreadySubmitted,
    Forbidden,
    NonceUnexpected,
    NotFound,
    SelfCustody,
    TransactionInvalid,
    TransactionPending,
    from_chain,
)
from registry.models import ChainAccount, ChainOperation, Participant
from registry.states import PENDING_OPERATIONS, Custody, OperationStatus

#: How long fee fields are reused before the node is asked again.
FEES_TTL_SECONDS = 5.0


#: A sender's nonce row, locked until the transaction ends (built once: see lock_account).
_ACCOUNT_LOCKED = select(ChainAccount).where(ChainAccount.address == bindparam("address")).with_for_update()


class Outbox:
    """What services need of the chain: the contract calls, the operator, the participants'
    signers, fees and nonces, and the outbox that records signed operations."""

    def __init__(
        self,
        client: ChainClient,
        calls: Tanhui,
        operator: Signer,
        *,
        keystore_password: Callable[[], str],
        funding_wei: int,
        kdf_iterations: int = 2**14,
    ) -> None:
        self._client = client
        self.calls = calls
        self.operator = operator
        #: The secret that encrypts the keystores of the accounts the registry creates.
        self.keystore_password = keystore_password
        #: Gas money sent to each account the registry creates, on a chain that charges gas.
        self.funding_wei = funding_wei
        #: The scrypt cost of the keystores the registry creates.
        self.kdf_iterations = kdf_iterations
        self._fees: tuple[float, dict[str, int]] | None = None
        self._fees_lock = threading.Lock()
        self._signers: dict[str, Signer] = {}
        self._decryptor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keystore")

    # -- signers and fees ------------------------------------------------------------------------

    def signer_of(self, participant: Participant) -> Signer:
        """The participant's own signer (raises SelfCustody for one that keeps its key)."""
        if participant.address == self.operator.address:
            return self.operator
        keystore = participant.custody == Custody.KEYSTORE and participant.keystore is not None
        signer = self._signers.get(participant.address) if keystore else None
        if signer is None:
            # Keystores are decrypted one at a time, in one thread: each decryption (scrypt)
            # takes 16 MiB, which the allocator keeps in the arena of the thread that ran it, so
            # first spends in 16 request threads would otherwise keep 256 MiB of the service's
            # memory for good.
            signer = self._decryptor.submit(signer_for, participant, self.keystore_password()).result()
            self._signers[participant.address] = signer
        return signer

    def warm(self, participant: Participant) -> None:
        """Decrypts the keystore of a participant whose key the registry keeps, unless done
        already: a command calls it before its transaction, so the decryption (scrypt, tens of
        milliseconds) does not hold the database's write lock at a holder's first spend."""
        if (
            participant.custody == Custody.KEYSTORE
            and participant.keystore is not None
            and participant.address not in self._signers
        ):
            self.signer_of(participant)

    def signer_for_address(self, session: Session, address: str) -> Signer:
        if address == self.operator.address:
            return self.operator
        participant = session.execute(select(Participant).where(Participant.address == address)).scalar_one()
        return self.signer_of(participant)

    def fees(self) -> dict[str, int]:
        """Fee fields for new transactions, refreshed every few seconds."""
        with self._fees_lock:
            if self._fees is None or time.monotonic() - self._fees[0] > FEES_TTL_SECONDS:
                self._fees = (time.monotonic(), self._client.fee_fields())
            return dict(self._fees[1])

    def was_mined(self, tx_hash: str) -> bool:
        """Whether the chain has a receipt of `tx_hash` (successful or not)."""
        return self._client.find_receipt(tx_hash) is not None

    @property
    def chain_id(self) -> int:
        return self._client.chain_id

    def charges_gas(self) -> bool:
        return any(v > 0 for v in self.fees().values())

    # -- nonces ----------------------------------------------------------------------------------

    def lock_account(self, session: Session, address: str) -> ChainAccount:
        """The sender's nonce row, locked until the transaction ends (created at the chain's
        count if new). A command takes it before checking a balance, so two concurrent spends of
        one holder are checked one after the other."""
        # Locked once per transaction: a command locks its sender first, then takes its nonce.
        transaction, locked = session.info.get("locked_accounts", (None, {}))
        if transaction is not session.get_transaction():
            locked = {}
            session.info["locked_accounts"] = (session.get_transaction(), locked)
        account: ChainAccount | None = locked.get(address)
        if account is not None and account in session:
            return account
        account = session.execute(_ACCOUNT_LOCKED, {"address": address}).scalar_one_or_none()
        if account is None:
            start = self._client.next_nonce(address)
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(ChainAccount)
                .values(address=address, next_nonce=start)
                .on_conflict_do_nothing(index_elements=["address"])
            )
            account = session.execute(
                _ACCOUNT_LOCKED.execution_options(populate_existing=True), {"address": address}
            ).scalar_one()
        if not session.in_nested_transaction():  # a savepoint rolled back releases its locks
            locked[address] = account
        return account

    def take_nonce(self, session: Session, address: str, *, at_least: int = 0) -> int:
        """The sender's next nonce (not below `at_least`: the chain's count, when the counter is
        known to be behind)."""
        account = self.lock_account(session, address)
        nonce = max(account.next_nonce, at_least)
        account.next_nonce = nonce + 1
        return nonce

    # -- recording operations --------------------------------------------------------------------

    def enqueue(
        self,
        session: Session,
        *,
        kind: str,
        call: ContractCall | None,
        signer: Signer,
        payload: dict[str, Any],
        gas: int | None = None,
        depends_on: ChainOperation | None = None,
        value: int = 0,
        to: str | None = None,
    ) -> ChainOperation:
        """Signs `call` (or a value transfer `to`) for `signer` with its next nonce and records it.

        Without `gas`, the call is simulated (a gas estimate): a call the contracts would refuse
        raises its typed error before anything is written. A fixed `gas` skips the simulation: for
        dependent operations (which can only succeed after `depends_on` is mined) and for those
        whose every contract check the domain has already made from the index.
        """
        if depends_on is not None and gas is None:
            raise ValueError("a dependent operation needs a fixed gas limit")
        nonce = self.take_nonce(session, signer.address)
        try:
            signed = self._client.prepare(
                call, signer, nonce=nonce, gas=gas, fees=self.fees(), value=value, to=to
            )
        except ChainError as err:
            raise from_chain(err) from err
        operation = ChainOperation(
            kind=kind,
            payload=payload,
            sender=signer.address,
            nonce=nonce,
            tx_hash=signed.tx_hash,
            raw_tx="0x" + signed.raw.hex(),
            depends_on_id=depends_on.id if depends_on is not None else None,
            status=OperationStatus.SIGNED,
            created_at=now(),
        )
        session.add(operation)
        session.flush()
        # Held by the session until it ends: its identity map keeps a flushed, unchanged row only
        # while something refers to it, and the command hands the relay its operations from it.
        session.info.setdefault("enqueued", []).append(operation)
        return operation


# -- transactions signed by their holders ----------------------------------------------------------


class HolderSigns:
    """The signer of a participant that keeps its own key, in a request that carries (or asks
    for) a transaction the holder signs itself: it has an address and nothing else."""

    def __init__(self, address: ChecksumAddress) -> None:
        self._address = address

    @property
    def address(self) -> ChecksumAddress:
        return self._address

    def sign(self, tx: dict[str, Any]) -> bytes:
        raise SelfCustody(f"{self._address} signs its own transactions; the registry holds no key for it")


@dataclass(frozen=True)
class Draft:
    """The unsigned transaction a holder signs offline: fields ready for eth-account."""

    tx: dict[str, Any]
    function: str
    kind: str


class _Drafted(Exception):
    """Raised by a drafting outbox where a presigned one would record: it carries the draft out
    of the use case, whose transaction then rolls back."""

    def __init__(self, draft: Draft) -> None:
        super().__init__(draft.function)
        self.draft = draft


class HolderSignedOutbox(Outbox):
    """The outbox as a use case sees it when the holder signs its own transaction.

    The use case runs unchanged (every check, every record): where it would have the registry
    sign the holder's call, this outbox records the transaction the holder signed instead, once
    it has checked that the transaction makes exactly that call (same contract, same data), with
    the nonce the registry expects next for the account, enough gas and a fee the chain takes
    (``signed``); or, without one (``draft``), it stops the use case there and hands back the
    unsigned transaction for the holder to sign (see :func:`draft_with`). The operator's own
    operations (e.g. a listing's project type) are signed as usual.
    """

    def __init__(self, outbox: Outbox, holder: str, signed: SignedTransaction | None) -> None:
        # The same client, contracts, operator, caches and locks as the service's outbox.
        self.__dict__.update(outbox.__dict__)
        self.holder = Web3.to_checksum_address(holder)
        self.signed = signed
        self.recorded: ChainOperation | None = None

    def signer_of(self, participant: Participant) -> Signer:
        if participant.address == self.holder:
            return HolderSigns(self.holder)
        return super().signer_of(participant)

    def _check_affordable(self, fields: dict[str, Any]) -> None:
        """A gas limit above the block's, or fees the holder cannot pay, would leave the
        transaction refused by every node."""
        limit = self._client.block("latest")["gasLimit"]
        if fields["gas"] > limit:
            raise TransactionInvalid(f"a gas limit of {fields['gas']} is above the block's {limit}")
        price = fields.get("maxFeePerGas", fields.get("gasPrice", 0))
        cost = fields["gas"] * price
        if cost and self._client.balance(self.holder) < cost:
            raise TransactionInvalid(
                f"{self.holder} cannot pay {cost} wei for the gas it offers to pay for", cost_wei=cost
            )

    def expected_nonce(self, session: Session) -> int:
        """The holder's next nonce: the chain's count, pending transactions included. A holder
        has one transaction at a time in the outbox (the registry cannot sign again, nor fill
        the nonce of, one the chain refuses: a later one would wait behind it for ever), so the
        chain's count is the whole story. The caller holds the account's row lock: two
        submissions of one holder are checked one after the other."""
        pending = session.execute(
            select(ChainOperation.id, ChainOperation.tx_hash)
            .where(ChainOperation.sender == self.holder, ChainOperation.status.in_(PENDING_OPERATIONS))
            .limit(1)
        ).first()
        if pending is not None:
            raise TransactionPending(
                f"{self.holder}'s transaction {pending.tx_hash} (operation {pending.id}) is still being "
                "relayed: submit the next one once it is final",
                operation=pending.id,
            )
        return self._client.next_nonce(self.holder)

    def enqueue(
        self,
        session: Session,
        *,
        kind: str,
        call: ContractCall | None,
        signer: Signer,
        payload: dict[str, Any],
        gas: int | None = None,
        depends_on: ChainOperation | None = None,
        value: int = 0,
        to: str | None = None,
    ) -> ChainOperation:
        if signer.address != self.holder:
            return super().enqueue(
                session,
                kind=kind,
                call=call,
                signer=signer,
                payload=payload,
                gas=gas,
                depends_on=depends_on,
                value=value,
                to=to,
            )
        if call is None or value:
            raise TransactionInvalid("a holder's transaction through the registry calls a Tanhui contract")
        if self.recorded is not None:
            raise TransactionInvalid("one signed transaction makes one call")
        account = self.lock_account(session, self.holder)
        nonce = self.expected_nonce(session)
        # A call whose every contract check the domain has made could still fail for a reason
        # it cannot see: simulate it (unless it can only succeed after `depends_on`).
        needed = gas
        if depends_on is None:
            try:
                needed = self._client.estimate(
                    {"from": self.holder, "to": call.to, "data": "0x" + call.data.hex()}
                )
            except ChainError as err:
                raise from_chain(err) from err
        if self.signed is None:
            tx: dict[str, Any] = {
                "chainId": self._client.chain_id,
                "from": self.holder,
                "to": call.to,
                "data": "0x" + call.data.hex(),
                "value": 0,
                "nonce": nonce,
                "gas": gas if depends_on is not None or needed is None else needed * 6 // 5 + 10_000,
                **self.fees(),
            }
            raise _Drafted(Draft(tx=tx, function=call.function, kind=kind))
        fields = self.signed.fields()
        if fields["to"] != call.to or fields["data"] != call.data:
            raise TransactionInvalid(
                f"the transaction does not make the call its arguments describe ({call.function}): "
                "sign the draft the registry gives (POST /v1/transactions/drafts)"
            )
        if self.signed.nonce != nonce:
            raise NonceUnexpected(
                f"the registry expects nonce {nonce} for {self.holder}, not {self.signed.nonce}",
                expected=nonce,
                given=self.signed.nonce,
            )
        if needed is not None and fields["gas"] < needed:
            raise TransactionInvalid(
                f"a gas limit of {fields['gas']} is below the {needed} the call needs", needed_gas=needed
            )
        _check_fees(fields, self.fees())
        self._check_affordable(fields)
        existing = session.execute(
            select(ChainOperation.id).where(ChainOperation.tx_hash == self.signed.tx_hash)
        ).scalar_one_or_none()
        if existing is not None:
            raise AlreadySubmitted(
                f"transaction {self.signed.tx_hash} is recorded already (operation {existing})",
                operation=existing,
            )
        account.next_nonce = max(account.next_nonce, nonce + 1)
        operation = ChainOperation(
            kind=kind,
            payload={**payload, "function": call.function, "signed_by_holder": True},
            sender=self.holder,
            nonce=nonce,
            tx_hash=self.signed.tx_hash,
            raw_tx="0x" + self.signed.raw.hex(),
            depends_on_id=depends_on.id if depends_on is not None else None,
            status=OperationStatus.SIGNED,
            created_at=now(),
        )
        session.add(operation)
        session.flush()
        self.recorded = operation
        return operation


def _check_fees(fields: dict[str, Any], current: dict[str, int]) -> None:
    """A fee below what the chain asks now would leave the transaction waiting for ever (the
    registry cannot sign it again): refuse it at once; so is a priority fee above the fee cap."""
    if "maxFeePerGas" in fields and fields.get("maxPriorityFeePerGas", 0) > fields["maxFeePerGas"]:
        raise TransactionInvalid("the priority fee is above the fee cap: no node takes it")
    if "gasPrice" in current:
        offered = fields.get("gasPrice", fields.get("maxFeePerGas", 0))
        wanted = current["gasPrice"]
    else:
        offered = fields.get("maxFeePerGas", fields.get("gasPrice", 0))
        wanted = current["maxFeePerGas"] // 2  # the base fee (fee_fields asks twice it)
    if offered < wanted:
        raise TransactionInvalid(
            f"a fee of {offered} wei per gas is below the chain's {wanted}", needed_fee=wanted
        )


def draft_with(action: Callable[[], object]) -> Draft:
    """Runs a use case with a drafting :class:`HolderSignedOutbox` and returns the transaction it
    stopped at. The caller's database transaction must roll back (raise) afterwards."""
    try:
        action()
    except _Drafted as drafted:
        return drafted.draft
    raise TransactionInvalid("this request makes no transaction for its holder to sign")


def signed_by_holder(operation: ChainOperation) -> bool:
    """Whether the holder signed the operation itself: the registry cannot sign it again."""
    return bool((operation.payload or {}).get("signed_by_holder"))


def signed_transaction(operation: ChainOperation) -> SignedTransaction:
    """The operation's recorded transaction, ready to send."""
    return SignedTransaction(
        sender=operation.sender,  # type: ignore[arg-type]
        nonce=operation.nonce,
        tx_hash=operation.tx_hash,
        raw=bytes.fromhex(operation.raw_tx.removeprefix("0x")),
    )


def pending_operations(session: Session) -> list[ChainOperation]:
    return list(
        session.execute(
            select(ChainOperation)
            .where(ChainOperation.status.in_(PENDING_OPERATIONS))
            .order_by(ChainOperation.id)
        ).scalars()
    )


def describe(operation: ChainOperation) -> dict[str, Any]:
    """The public view of an operation."""
    return {
        "id": operation.id,
        "kind": operation.kind,
        "status": str(operation.status),
        "sender": operation.sender,
        "nonce": operation.nonce,
        "tx_hash": operation.tx_hash,
        "block_number": operation.block_number,
        "result": operation.result,
        "error": {"code": operation.error_code, "message": operation.error} if operation.error_code else None,
        # Why a pending operation has not gone out yet (the node refused it for now).
        "note": operation.error if operation.error and not operation.error_code else None,
    }


def operation_for(session: Session, actor: Participant, operation_id: int) -> dict[str, Any]:
    """An operation, for its sender, the registrar or a supervisor."""
    op = session.get(ChainOperation, operation_id)
    if op is None:
        raise NotFound(f"no chain operation {operation_id}")
    if op.sender != actor.address and not actor.role_names & {"registrar", "supervisor"}:
        raise Forbidden("only the operation's sender, the registrar or a supervisor may see it")
    return describe(op)
