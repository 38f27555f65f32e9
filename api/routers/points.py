"""Public points (R6-R10, R17): data partners, citizens, acts, epochs and proofs.

A partner's requests are signed: ``X-Tanhui-Partner: <partner id>`` and ``X-Tanhui-Signature:
<hex HMAC-SHA256 under the partner's key of "<METHOD> <path>\\n" followed by the raw body>``.
A citizen authenticates with its own token (``Authorization: Bearer tc_...``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from api.answers import keyed, respond
from api.deps import IdempotencyKey, PublicId, RuntimeDep, SerialId, bearer_scheme, requires
from api.responses import (
    CitizenPoints,
    IngestionResult,
    PartnerRejection,
    PointsEpochOut,
    PointsProof,
    RegisteredCitizen,
    RegisteredPartner,
    errors,
)
from api.schemas import MAX_SERIAL_ID, EpochCloseIn, PartnerIn
from registry.errors import Forbidden, InvalidRequest
from registry.models import Citizen, Participant
from registry.points import epochs, ingest

router = APIRouter(tags=["points"])
#: A batch's body: 10,000 records of a few hundred bytes each, with room to spare.
MAX_BODY = 16 * 1024 * 1024
Registrar = Annotated[Participant, Depends(requires("registrar"))]
PartnerId = Annotated[str | None, Header(alias="X-Tanhui-Partner", description="The partner's id")]
Signature = Annotated[
    str | None,
    Header(
        alias="X-Tanhui-Signature",
        description='Hex HMAC-SHA256, under the partner\'s key, of "<METHOD> <path>\\n" and the raw body',
    ),
]


def _signed(method: str, path: str, body: bytes) -> bytes:
    return f"{method} {path}\n".encode() + body


def current_citizen(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Citizen:
    with runtime.db.reading() as session:
        citizen = ingest.citizen_by_token(session, credentials.credentials if credentials else None)
        session.expunge(citizen)
    return citizen


CurrentCitizen = Annotated[Citizen, Depends(current_citizen)]
EpochQuery = Annotated[
    int | None, Query(ge=1, le=MAX_SERIAL_ID, description="An epoch [default: the latest]")
]


@router.post(
    "/v1/points/partners",
    status_code=201,
    response_model=RegisteredPartner,
    responses=errors(400, 401, 403, 422),
    summary="Register a data partner and the scenes it reports; its signing key is shown once (registrar)",
)
def register_partner(body: PartnerIn, runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        partner, key = ingest.register_partner(
            session, runtime.settings.keystore_password(), body.name, body.scenes
        )
        return {"id": partner.public_id, "name": partner.name, "scenes": partner.scenes, "key": key}


@router.post(
    "/v1/points/citizens",
    status_code=201,
    response_model=RegisteredCitizen,
    responses=errors(401, 403),
    summary="Register a citizen (pseudonymous); its token is shown once (registrar, for the public app)",
)
def register_citizen(runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        citizen, token = ingest.register_citizen(session)
        return {"id": citizen.public_id, "pseudonym": citizen.pseudonym, "token": token}


@router.post(
    "/v1/points/acts",
    response_model=IngestionResult,
    responses=errors(400, 401, 413, 422),
    summary="A partner's signed batch of citizens' acts (at most 10,000): each accepted, rejected with a "
    "reason code, or a duplicate of one already counted",
)
async def ingest_acts(
    request: Request, runtime: RuntimeDep, partner: PartnerId = None, signature: Signature = None
) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise ingest.BatchTooLarge(f"the body is {declared} bytes; at most {MAX_BODY}", limit=MAX_BODY)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ingest.BatchTooLarge(f"the body is {len(body)} bytes; at most {MAX_BODY}", limit=MAX_BODY)

    def work() -> dict[str, Any]:
        with runtime.db.transaction() as session:
            who = ingest.partner_for(
                session,
                runtime.settings.keystore_password(),
                partner,
                _signed("POST", request.url.path, body),
                signature,
            )
            records = _records(body)
            validity = timedelta(days=runtime.settings.points_validity_days)
            outcomes = ingest.ingest(session, who, records, validity=validity)
        counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("accepted", "rejected", "duplicate")}
        return {
            **counts,
            "results": [
                {
                    "id": o.record_id,
                    "status": o.status,
                    "reason": o.reason,
                    "points": o.points,
                    "grams": o.grams,
                }
                for o in outcomes
            ],
        }

    return await run_in_threadpool(work)


def _records(body: bytes) -> list[Any]:
    try:
        document = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise InvalidRequest("the body is not JSON (or nests too deep)", field="records") from None
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise InvalidRequest('the body is {"records": [...]}', field="records")
    return records


@router.get(
    "/v1/points/rejections",
    response_model=list[PartnerRejection],
    responses=errors(401),
    summary="The signing partner's rejected records, newest first",
)
def partner_rejections(
    request: Request, runtime: RuntimeDep, partner: PartnerId = None, signature: Signature = None
) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        who = ingest.partner_for(
            session,
            runtime.settings.keystore_password(),
            partner,
            _signed("GET", request.url.path, b""),
            signature,
        )
        return ingest.rejections(session, who)


@router.get(
    "/v1/points/me",
    response_model=CitizenPoints,
    responses=errors(401),
    summary="The citizen's balance, points earned, grams avoided and history",
)
def me(runtime: RuntimeDep, citizen: CurrentCitizen) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return _me(session, citizen)


def _me(session: Any, citizen: Citizen) -> dict[str, Any]:
    from registry.points import ledger

    b = ledger.balance(session, citizen.id)
    return {
        "id": citizen.public_id,
        "pseudonym": citizen.pseudonym,
        "balance": b.points,
        "earned": b.earned,
        "grams": b.grams,
        "history": ingest.history(session, citizen),
    }


@router.post(
    "/v1/points/me/close",
    response_model=CitizenPoints,
    responses=errors(401),
    summary="Close the citizen's account: its token stops working; its ledger stays, pseudonymous",
)
def close_account(runtime: RuntimeDep, citizen: CurrentCitizen) -> dict[str, Any]:
    from registry.clock import now

    with runtime.db.transaction() as session:
        row = session.get(Citizen, citizen.id)
        assert row is not None
        answer = _me(session, row)
        row.closed_at = now()
        return answer


@router.post(
    "/v1/points/epochs",
    status_code=201,
    response_model=PointsEpochOut,
    responses=errors(400, 401, 403, 409, 422, 503),
    summary="Close a day: expire what is due, build the Merkle tree of every citizen's balance and anchor "
    "its root on chain (registrar)",
)
def close_epoch(
    body: EpochCloseIn, request: Request, runtime: RuntimeDep, actor: Registrar, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        epochs.close_day_command(
            runtime.commands, runtime.outbox, actor, body.day, idempotency=keyed(request, key, body)
        )
    )


@router.get(
    "/v1/points/epochs",
    response_model=list[PointsEpochOut],
    summary="The latest points epochs, newest first (public)",
)
def list_epochs(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return epochs.listing(session)


@router.get(
    "/v1/points/epochs/{epoch}",
    response_model=PointsEpochOut,
    responses=errors(404, 422),
    summary="A points epoch: its root, leaf count, totals and anchoring (public)",
)
def get_epoch(epoch: SerialId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return epochs.view(session, epochs.get(session, epoch))


@router.get(
    "/v1/points/proofs/{citizen_id}",
    response_model=PointsProof,
    responses=errors(401, 403, 404, 422),
    summary="The citizen's own leaf and Merkle proof in the latest epoch (or ?epoch=N), in the form "
    "`tanhui points verify-proof` reads",
)
def proof(
    citizen_id: PublicId,
    runtime: RuntimeDep,
    citizen: CurrentCitizen,
    epoch: Annotated[int | None, Query(ge=1, le=MAX_SERIAL_ID)] = None,
) -> dict[str, Any]:
    if citizen_id != citizen.public_id:
        raise Forbidden("a citizen reads its own proof only")
    with runtime.db.reading() as session:
        return epochs.proof(session, citizen, runtime.client.chain_id, runtime.deployment.registry, epoch)
