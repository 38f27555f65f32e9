"""Transactions signed by their holders (self-custody).

A participant that keeps its own key never gives it to the registry. It asks for the unsigned
transaction of what it wants to do (a transfer, a retirement, a listing or the cancellation of
its listing: a *draft*), signs it where its key is (``tanhui wallet sign``), and submits the raw
signed transaction. The registry reads the call back out of it, runs the very use case it would
run for a participant whose key it keeps (every check, every record: what is spendable, frozen
accounts and batches, the pause, a listing's project type), and records the holder's own
transaction in the outbox instead of signing one — only if it makes exactly that call, from that
participant, on this chain, with the nonce the registry expects next for the account. The relay
then sends and confirms it like any other; what the chain does with it, the indexer applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.client import SignedTransaction
from chain.contracts import DecodedCall, RetirementDetails, RetirementPurpose
from registry import listings, participants, retirements, spending, transfers
from registry.clock import from_unix
from registry.commands import Answer, Commands, Done, IdempotencyKey, Resource
from registry.db import Database
from registry.errors import Forbidden, NotFound, RecipientNotRegistered, TransactionInvalid
from registry.models import ChainOperation, CreditRequest, Participant
from registry.outbox import Draft, HolderSignedOutbox, Outbox, describe, draft_with
from registry.states import PENDING_OPERATIONS, Custody, OperationStatus

#: The largest raw transaction taken (bytes): a retirement with the longest details is ~1.5 kB.
MAX_RAW_BYTES = 16_384
#: Ids the index can hold (signed 64-bit keys).
MAX_ID = 2**63 - 1

#: What a holder may do through the registry with its own key: (contract, function) -> action.
ACTIONS = {
    ("TanhuiCredits", "safeTransferFrom"): "transfer",
    ("TanhuiCredits", "retire"): "retire",
    ("TanhuiExchange", "list"): "list",
    ("TanhuiExchange", "cancel"): "cancel_listing",
}


@dataclass(frozen=True)
class Action:
    """What the holder wants to do, as the API takes it and as its transaction says it."""

    kind: str  # one of ACTIONS' values
    batch_id: int = 0
    amount_kg: int = 0
    recipient: str = ""  # a transfer's recipient, a participant id
    details: retirements.RetirementInput | None = None
    listing_id: int = 0


def _holder(actor: Participant) -> None:
    if actor.custody != Custody.SELF:
        raise Forbidden(
            f"{actor.public_id}'s key is kept by the registry: use the transfer, retirement and "
            "listing routes, which sign for it"
        )


def _bounded(value: int, what: str) -> int:
    if not 0 < value <= MAX_ID:
        raise NotFound(f"no {what} {value}")
    return value


def _perform(session: Session, outbox: HolderSignedOutbox, actor: Participant, action: Action) -> None:
    """Runs the action's use case with the holder's outbox (which records or drafts)."""
    if action.kind == "transfer":
        transfers.transfer(
            session,
            outbox,
            actor,
            batch_id=_bounded(action.batch_id, "batch"),
            recipient=action.recipient,
            amount_kg=action.amount_kg,
        )
    elif action.kind == "retire":
        assert action.details is not None
        retirements.retire(
            session,
            outbox,
            actor,
            batch_id=_bounded(action.batch_id, "batch"),
            amount_kg=action.amount_kg,
            details=action.details,
        )
    elif action.kind == "list":
        listings.create(
            session, outbox, actor, batch_id=_bounded(action.batch_id, "batch"), amount_kg=action.amount_kg
        )
    elif action.kind == "cancel_listing":
        listing = listings.get(session, _bounded(action.listing_id, "listing"))
        if listing.seller != actor.address:
            raise Forbidden(f"listing {listing.id} is not {actor.public_id}'s")
        listings.cancel(session, outbox, actor, listing.id)
    else:
        raise TransactionInvalid(f"no action {action.kind!r}; actions are {', '.join(ACTIONS.values())}")


# -- drafts --------------------------------------------------------------------------------------


class _RollBack(Exception):
    def __init__(self, draft: Draft) -> None:
        super().__init__("draft")
        self.draft = draft


def draft(db: Database, outbox: Outbox, actor: Participant, action: Action) -> dict[str, Any]:
    """The unsigned transaction of `action` for the holder to sign: every check is made as for
    a submission, nothing is recorded."""
    _holder(actor)
    try:
        with db.transaction() as session:
            me = session.get(Participant, actor.id)
            assert me is not None
            holder_outbox = HolderSignedOutbox(outbox, me.address, None)
            raise _RollBack(draft_with(lambda: _perform(session, holder_outbox, me, action)))
    except _RollBack as done:
        made = done.draft
    return {"action": action.kind, "function": made.function, "sender": actor.address, "transaction": made.tx}


# -- submissions ---------------------------------------------------------------------------------


#: The transaction types relayed: legacy (with EIP-155's chain id, checked below), EIP-2930 and
#: EIP-1559. Not blob transactions (type 3), nor EIP-7702's (type 4), whose authorisations would
#: set the code of accounts beside the call the registry checked.
TRANSACTION_TYPES = (0, 1, 2)


def parse(raw: str) -> SignedTransaction:
    text = raw.strip()
    if len(text) > 2 + 2 * MAX_RAW_BYTES:
        raise TransactionInvalid(f"a raw transaction is at most {MAX_RAW_BYTES} bytes")
    try:
        signed = SignedTransaction.from_raw(text)
    except ValueError as err:
        raise TransactionInvalid(str(err)) from None
    kind = signed.fields()["type"]
    if kind not in TRANSACTION_TYPES:
        raise TransactionInvalid(
            f"a transaction of type {kind} is not relayed: sign a legacy (EIP-155), type 1 or type 2 one"
        )
    return signed


def _day(seconds: int) -> date | None:
    """The day of a consumption bound the chain holds (00:00 UTC), or None for 0."""
    if not seconds:
        return None
    try:
        return from_unix(seconds).date()
    except (ValueError, OverflowError, OSError):
        raise TransactionInvalid(
            f"a consumption bound of {seconds} s is no day a retirement can name"
        ) from None


def reopen_mined(db: Database, outbox: Outbox, commands: Commands, address: str) -> None:
    """A holder's transaction recorded as failed without a receipt (refused by the node when
    sent, or cancelled) stays valid: the holder (or anyone holding its bytes) can still have it
    mined. One that was mined is put back to ``sent`` and confirmed from its receipt, so its
    request says what the chain did."""
    with db.transaction() as session:
        failed = session.execute(
            select(ChainOperation)
            .where(
                ChainOperation.sender == address,
                ChainOperation.status == OperationStatus.FAILED,
                ChainOperation.block_number.is_(None),
            )
            .order_by(ChainOperation.id.desc())
            .limit(20)
        ).scalars()
        reopened = []
        for op in failed:
            if (op.payload or {}).get("signed_by_holder") and outbox.was_mined(op.tx_hash):
                op.status, op.error, op.error_code, op.finished_at = OperationStatus.SENT, None, None, None
                reopened.append(op.id)
    if reopened:
        commands.drive(reopened)


def action_of(session: Session, call: DecodedCall, actor: Participant) -> Action:
    """The action a holder's transaction makes, or TransactionInvalid for any other call."""
    kind = ACTIONS.get((call.contract, call.function))
    if kind is None:
        allowed = ", ".join(f"{c}.{f}" for c, f in ACTIONS)
        raise TransactionInvalid(
            f"{call.contract}.{call.function} is not relayed for holders; they may call {allowed}",
            function=f"{call.contract}.{call.function}",
        )
    a = call.args
    if kind == "transfer":
        if a["from"] != actor.address:
            raise TransactionInvalid("a holder transfers its own credits: `from` must be the sender")
        if a["data"]:
            raise TransactionInvalid("a transfer through the registry carries no data")
        recipient = participants.by_address(session, a["to"])
        if recipient is None:
            raise RecipientNotRegistered(f"{a['to']} is not a registered participant", recipient=a["to"])
        return Action(kind, batch_id=a["id"], amount_kg=a["value"], recipient=recipient.public_id)
    if kind == "retire":
        try:
            d = RetirementDetails.from_tuple(a["details"])
        except ValueError as err:
            raise TransactionInvalid(f"the retirement's details do not decode: {err}") from None
        purpose = {p: name for name, p in retirements.PURPOSES.items()}[RetirementPurpose(d.purpose)]
        details = retirements.RetirementInput(
            beneficiary=d.beneficiary,
            purpose=purpose,
            event_id="0x" + d.event_id.hex() if any(d.event_id) else None,
            jurisdiction=d.jurisdiction,
            consumption_start=_day(d.consumption_start),
            consumption_end=_day(d.consumption_end),
            note=d.note,
        )
        return Action(kind, batch_id=a["batchId"], amount_kg=a["amount"], details=details)
    if kind == "list":
        return Action(kind, batch_id=a["batchId"], amount_kg=a["amount"])
    return Action(kind, listing_id=a["listingId"])


def submit_command(
    commands: Commands, outbox: Outbox, actor: Participant, raw: str, *, idempotency: IdempotencyKey | None
) -> Answer:
    """Checks the holder's signed transaction, records it and relays it. The same transaction
    submitted again answers as the first (its hash is its identity)."""
    _holder(actor)
    signed = parse(raw)
    reopen_mined(commands.db, outbox, commands, actor.address)
    if signed.sender != actor.address:
        raise Forbidden(
            f"the transaction is signed by {signed.sender}, not by {actor.public_id} ({actor.address})"
        )
    fields = signed.fields()
    if fields["to"] is None:
        raise TransactionInvalid("a holder's transaction calls a Tanhui contract; it deploys nothing")
    if fields["chainId"] != outbox.chain_id:
        raise TransactionInvalid(
            f"the transaction is signed for chain {fields['chainId']}, not this chain ({outbox.chain_id})"
        )
    if fields["value"]:
        raise TransactionInvalid("a holder's transaction sends no ether")
    try:
        call = outbox.calls.decode(fields["to"], fields["data"])
    except ValueError as err:
        raise TransactionInvalid(str(err)) from None

    def act(session: Session, me: Participant) -> Done:
        existing = session.execute(
            select(ChainOperation).where(ChainOperation.tx_hash == signed.tx_hash)
        ).scalar_one_or_none()
        if existing is not None:
            if existing.sender != me.address:
                raise Forbidden("that transaction is another participant's")
            return Done(Resource("submission", existing.id), [existing.id])
        holder_outbox = HolderSignedOutbox(outbox, me.address, signed)
        _perform(session, holder_outbox, me, action_of(session, call, me))
        op = holder_outbox.recorded
        if op is None:
            raise TransactionInvalid("the transaction makes no call the registry relays for its holder")
        ops = [op.id] if op.depends_on_id is None else [op.depends_on_id, op.id]
        return Done(Resource("submission", op.id), ops)

    return commands.run(actor, act, render, idempotency=idempotency)


# -- reading -------------------------------------------------------------------------------------


def view(session: Session, op: ChainOperation) -> dict[str, Any]:
    request = session.execute(
        select(CreditRequest).where(CreditRequest.operation_id == op.id)
    ).scalar_one_or_none()
    body: dict[str, Any] = {
        "id": op.id,
        "action": op.kind,
        "sender": op.sender,
        "tx_hash": op.tx_hash,
        "status": "pending" if op.status in PENDING_OPERATIONS else str(op.status),
        "operation": describe(op),
        "credit_request": None,
        "listing_id": (op.payload or {}).get("listing_id"),
    }
    if request is not None:
        body["credit_request"] = spending.request_view(session, request)
    if op.result and op.result.get("listing_id") is not None:
        body["listing_id"] = int(op.result["listing_id"])
    return body


def render(session: Session, resource: Resource) -> dict[str, Any]:
    op = session.get(ChainOperation, int(resource.id))
    assert op is not None
    return view(session, op)


def get(session: Session, actor: Participant, operation_id: int) -> dict[str, Any]:
    """A holder's submitted transaction, for the holder, the registrar or a supervisor."""
    op = session.get(ChainOperation, operation_id)
    if op is None or not (op.payload or {}).get("signed_by_holder"):
        raise NotFound(f"no submitted transaction {operation_id}")
    if op.sender != actor.address and not actor.role_names & {"registrar", "supervisor"}:
        raise Forbidden("only the transaction's sender, the registrar or a supervisor may see it")
    return view(session, op)
