"""Transactions signed by their holders (self-custody): a draft to sign offline, the signed
transaction submitted, and what became of it. The registry never sees the holder's key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.answers import keyed, respond
from api.deps import IdempotencyKey, RuntimeDep, SerialId, requires
from api.responses import Submission, TransactionDraft, accepted, errors
from api.schemas import DraftIn, TransactionIn
from registry import retirements, submissions
from registry.models import Participant

router = APIRouter(prefix="/v1/transactions", tags=["self-custody"])
#: The roles that hold credits (as for transfers and retirements).
Holder = Annotated[Participant, Depends(requires("holder", "project_owner"))]
#: Who may see a submitted transaction: its sender (a holder), the registrar, a supervisor.
Viewer = Annotated[Participant, Depends(requires("holder", "project_owner", "registrar", "supervisor"))]


def _action(body: DraftIn) -> submissions.Action:
    details = None
    if body.action == "retire":
        assert body.beneficiary is not None and body.purpose is not None
        details = retirements.RetirementInput(
            beneficiary=body.beneficiary,
            purpose=body.purpose,
            event_id=body.event_id,
            jurisdiction=body.jurisdiction or "",
            consumption_start=body.consumption_start,
            consumption_end=body.consumption_end,
            note=body.note or "",
        )
    return submissions.Action(
        body.action,
        batch_id=body.batch_id or 0,
        amount_kg=body.amount_kg or 0,
        recipient=body.to or "",
        details=details,
        listing_id=body.listing_id or 0,
    )


@router.post(
    "/drafts",
    response_model=TransactionDraft,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
    summary="The unsigned transaction of a transfer, retirement, listing or cancellation, for a "
    "holder that keeps its own key to sign",
    description="Every check of the action is made (what is spendable, frozen accounts and batches, "
    "the pause); nothing is recorded. The nonce is the one the registry expects next for the account.",
)
def draft(body: DraftIn, runtime: RuntimeDep, actor: Holder) -> dict[str, Any]:
    return submissions.draft(runtime.db, runtime.outbox, actor, _action(body))


@router.post(
    "",
    status_code=201,
    response_model=Submission,
    responses={**errors(400, 401, 403, 404, 409, 422, 503), **accepted(Submission)},
    summary="Submit a transaction the holder signed with its own key: checked, recorded, relayed",
    description="Taken only from the participant that signed it, for a transfer, retirement, listing "
    "or cancellation of its own listing, on this chain, with the nonce the registry expects next "
    "(409 `nonce_unexpected` names it). The same transaction submitted again answers as the first.",
)
def submit(
    body: TransactionIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Holder,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        submissions.submit_command(
            runtime.commands, runtime.outbox, actor, body.raw, idempotency=keyed(request, key, body)
        )
    )


@router.get(
    "/{operation_id}",
    response_model=Submission,
    responses=errors(401, 403, 404, 422),
    summary="A submitted transaction and what became of it",
    description="Visible to its sender, the registrar and supervisors.",
)
def get_submission(operation_id: SerialId, runtime: RuntimeDep, actor: Viewer) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return submissions.get(session, actor, operation_id)
