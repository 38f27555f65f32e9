"""Response bodies of the API, as pydantic models: what each route answers, for OpenAPI and
the clients generated from it. They mirror the services' views (``registry/*.view``,
``registry/views.py``, ``registry/outbox.describe``) field for field; a test validates real
responses of the whole lifecycle against them and checks that nothing is lost in the round trip.

Responses refuse no unknown field (a newer server may say more); amounts are integer kilograms
(``amount_kg: int``) with tonnes as a decimal string (``amount_t: "1234.567"``), never floats;
times are ISO 8601 strings in UTC, dates ``YYYY-MM-DD``.

========================================================  ===========================  ==========
route                                                     response model               statuses
========================================================  ===========================  ==========
GET  /v1/health                                           Health                       200
GET  /livez (routers/ops.py)                              Liveness                     200
GET  /readyz                                              Readiness                    200, 503
GET  /metrics (Prometheus text, not in OpenAPI)           -                            200
POST /v1/tokens/rotation (routers/tokens.py)              NewToken                     201
POST /v1/participants/{participant_id}/tokens             NewToken                     201
POST /v1/participants/{participant_id}/token-revocation   TokenRevocation              201
POST /v1/participants/{participant_id}/registration/retry ParticipantOut               201, 202
POST /v1/reports/{report_id}/issuance/retry               ReportOut                    201, 202
POST /v1/participants                                     RegisteredParticipant        201, 202
GET  /v1/participants                                     list[ParticipantOut]         200
GET  /v1/participants/me                                  ParticipantWithHoldings      200
GET  /v1/participants/{participant_id}                    ParticipantWithHoldings      200
GET  /v1/methodologies/catalogue                          list[CatalogueEntry]         200
POST /v1/methodologies/declarative                        MethodologyOut               201
POST /v1/methodologies/declarative/check                  ProposalCheckOut             200
GET  /v1/methodologies                                    list[MethodologyOut]         200
GET  /v1/methodologies/{methodology_id}                   MethodologyOut               200
POST /v1/methodologies                                    MethodologyOut               201
POST /v1/methodologies/{methodology_id}/reviews           MethodologyOut               201, 202
POST /v1/projects                                         ProjectOut                   201
GET  /v1/projects                                         list[ProjectOut]             200
GET  /v1/projects/{project_id}                            ProjectOut                   200
POST /v1/projects/{project_id}/documents                  ProjectOut                   201, 202
POST /v1/projects/{project_id}/submit                     ProjectOut                   201
POST /v1/projects/{project_id}/reviews                    ProjectOut                   201, 202
POST /v1/projects/{project_id}/reports                    ReportOut                    201
GET  /v1/projects/{project_id}/reports                    list[ReportOut]              200
GET  /v1/reports/{report_id}                              ReportOut                    200
POST /v1/reports/{report_id}/verifications                ReportOut                    201, 202
GET  /v1/holdings                                         list[HoldingOut]             200
POST /v1/transfers                                        CreditRequestOut             201, 202
POST /v1/retirements                                      CreditRequestOut             201, 202
GET  /v1/credit-requests/{request_id}                     CreditRequestOut             200
GET  /v1/batches                                          list[BatchOut]               200
GET  /v1/batches/{batch_id}                               BatchDetail                  200
GET  /v1/retirements                                      list[RetirementOut]          200
GET  /v1/retirements/{certificate_id}                     RetirementOut                200
GET  /v1/operations/{operation_id}                        OperationOut                 200
POST /v1/transactions/drafts                              TransactionDraft             200
POST /v1/transactions (a holder's own signed transaction) Submission                   201, 202
GET  /v1/transactions/{operation_id}                      Submission                   200
GET  /v1/footprints/catalogue                             list[FootprintCatalogueEntry] 200
POST /v1/footprints/calculate                             FootprintCalculation         200
POST /v1/claims                                           ClaimOut                     201
GET  /v1/claims                                           list[ClaimOut]               200
GET  /v1/claims/{claim_id}                                ClaimOut                     200
POST /v1/claims/{claim_id}/footprint                      ClaimOut                     201
POST /v1/claims/{claim_id}/verifications                  ClaimOut                     201
POST /v1/claims/{claim_id}/close                          ClaimOut                     201, 202
GET  /v1/claims/{claim_id}/certificate (.pdf)             HTML page (PDF)              200
POST /v1/points/partners                                 RegisteredPartner            201
POST /v1/points/citizens                                 RegisteredCitizen            201
POST /v1/points/acts (a partner's signed batch)          IngestionResult              200
GET  /v1/points/rejections (signed)                      list[PartnerRejection]       200
GET  /v1/points/me; POST /v1/points/me/close             CitizenPoints                200
POST /v1/points/epochs                                   PointsEpochOut               201, 202
GET  /v1/points/epochs (newest first), /{epoch}          PointsEpochOut               200
GET  /v1/points/proofs/{citizen_id}                      PointsProof                  200
GET  /v1/supervision                                      SupervisionStatus            200
POST /v1/supervision/... (freeze, unfreeze, invalidations,
     pause, unpause)                                      SupervisionResult            201, 202
POST /v1/listings                                         ListingRequestOut            201, 202
GET  /v1/listings (open by default)                       list[ListingOut]             200
GET  /v1/listings/{listing_id}                            ListingOut                   200
POST /v1/listings/{listing_id}/cancellation               ListingOut                   201, 202
POST /v1/trades                                           TradeInstructionOut          201, 202
GET  /v1/trade-instructions/{reference}                   TradeInstructionOut          200
GET  /v1/trades                                           list[TradeOut]               200
GET  /v1/trades/{trade_id}                                TradeOut                     200
GET  /v1/market/days                                      list[MarketDayOut]           200
GET  /v1/market/bands                                     BandsOut                     200
POST /v1/market/bands                                     BandsOut                     201, 202
POST /v1/market/reference-prices                          OperationOut                 201, 202
GET  /v1/market/halts                                     list[HaltOut]                200
POST /v1/market/halts                                     OperationOut                 201, 202
POST /v1/exchange/statements                              StatementResult              201
GET  /v1/accounting/journal (JSON, or text/csv)           JournalOut (CSV rows)        200
GET  /v1/accounting/disclosure?year=                      DisclosureOut                200
GET  /v1/feed (models: api/routers/feed.py)               FeedPage                     200
POST /v1/webhooks                                         WebhookCreated               201
GET  /v1/webhooks                                         list[WebhookOut]             200
DELETE /v1/webhooks/{webhook_id}                          WebhookOut                   200
POST /v1/mall/merchants (models: api/routers/mall.py)     MerchantOut                  201
GET  /v1/mall/merchants                                   list[MerchantOut]            200
POST /v1/mall/items                                       ItemOut                      201
PATCH /v1/mall/items/{item_id}                            ItemOut                      200
GET  /v1/mall/items                                       list[ItemOut]                200
GET  /v1/mall/items/{item_id}                             ItemOut                      200
POST /v1/mall/redemptions (the citizen's token)           RedemptionOut                201
GET  /v1/mall/vouchers (the citizen's token)              list[VoucherOut]             200
POST /v1/mall/vouchers/confirm                            VoucherOut                   200
POST /v1/mall/vouchers/expiry                             ExpiryOut                    200
GET  /v1/mall/statements/{month}                          StatementOut                 200
GET  /v1/scene-standards (models: api/routers/scenes.py)  list[StandardOut]            200
POST /v1/scenes                                           SceneOut                     201
GET  /v1/scenes                                           list[SceneOut]               200
GET  /v1/scenes/{scene_id}                                SceneOut                     200
POST /v1/scenes/{scene_id}/assessments                    AssessmentOut                201, 202
POST /v1/scenes/{scene_id}/revocation                     SceneOut                     201, 202
GET  /v1/points/me/profile (models: routers/champions.py) CitizenProfile               200
POST /v1/points/me/profile                                CitizenProfile               200
GET  /v1/leaderboard                                      Leaderboard                  200
POST /v1/campaigns                                        CampaignOut                  201
GET  /v1/campaigns                                        list[CampaignOut]            200
========================================================  ===========================  ==========

Every error answers ``ErrorEnvelope``; routes document theirs with ``responses=errors(...)``
(e.g. ``errors(401, 403, 404, 409, 503)``), and ``accepted(Model)`` documents the 202 of a
command whose chain operation is still pending. The app documents two of them on every
operation by itself (:func:`document_errors`): 401 where the operation needs a token, 422 where
it takes parameters or a body.

A route that returns a dict has it validated and serialized through its ``response_model``:
a field a model does not declare would be dropped, hence the round-trip test. Commands return
their ``JSONResponse`` as rendered; the model documents it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from registry.states import (
    MethodologyStatus,
    OperationStatus,
    ProjectStatus,
    Publication,
    ReportStatus,
    Standing,
)

# -- value types ------------------------------------------------------------------------------

Hash = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="32 bytes, 0x-prefixed hex")]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="An EVM address (checksummed)")]
Tonnes = Annotated[
    str,
    Field(pattern=r"^-?[0-9]+\.[0-9]{3}$", description="Tonnes of CO2e, three decimals", examples=["1.500"]),
]
Timestamp = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}",
        json_schema_extra={"format": "date-time"},
        description="ISO 8601, UTC",
    ),
]
Day = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"})]

Role = Literal[
    "registrar",
    "committee",
    "verifier",
    "project_owner",
    "holder",
    "supervisor",
    "exchange",
    "event_organiser",
    "merchant",
    "association",
]
Decision = Literal["approve", "reject", "request_changes"]
Category = Literal["energy-substitution", "resource-saving", "ecological"]
Purpose = Literal[
    "event_neutrality", "voluntary", "compliance", "organisation_neutrality", "personal_neutrality", "other"
]
# Workflow states: the registry's own enums (registry/states.py), one list of values each.


# -- errors -----------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """What went wrong: a stable machine-readable `code`, a message for people, and details
    (the offending values, the fields of a validation error, a request id)."""

    code: str = Field(examples=["insufficient_balance"])
    message: str
    details: dict[str, Any]


class ErrorEnvelope(BaseModel):
    """Every error of the API (4xx and 5xx) answers this body."""

    error: ErrorBody


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The request is not acceptable (`invalid_request`).",
    401: "No valid API token (`unauthenticated`): send `Authorization: Bearer <token>`; for a partner's "
    "request, no valid signature (`bad_signature`).",
    403: "The participant lacks the role, or does not own the resource (`forbidden`).",
    404: "No such resource (`not_found`).",
    413: "The request is too large (`batch_too_large`: a partner's batch holds at most 10,000 records).",
    409: "The resource's state, an earlier request with the same Idempotency-Key, or the chain "
    "refuses it (`invalid_state`, `insufficient_balance`, `frozen`, `paused`, `chain_rejected`, "
    "`not_failed`: a retry of a record that is not in a failed state, ...).",
    422: "The request is not valid (`validation_error`, with the fields in `details.errors`), "
    "or its content is not (`monitoring_data_invalid`, `no_reduction`, ...).",
    500: "An unexpected error (`internal_error`); quote `details.request_id`.",
    503: "The chain cannot be reached (`chain_unavailable`): retry later with the same Idempotency-Key.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting `statuses` with the error envelope:
    ``@router.post(..., responses=errors(401, 403, 409))``."""
    unknown = sorted(set(statuses) - set(ERROR_DESCRIPTIONS))
    if unknown:
        raise ValueError(f"no description of error status {unknown}; known: {sorted(ERROR_DESCRIPTIONS)}")
    return {
        status: {"description": ERROR_DESCRIPTIONS[status], "model": ErrorEnvelope} for status in statuses
    }


def page_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``errors`` for a route whose success is a page or a document (HTML, PDF): its errors are
    still the JSON envelope (FastAPI would file them under the route's own media type)."""
    errors(*statuses)  # the same check of the statuses
    return {
        status: {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": _ENVELOPE_REF}}},
        }
        for status in statuses
    }


def accepted(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a command's 202: its chain operation is still pending."""
    return {
        202: {
            "description": "Accepted: a chain operation is still pending; follow `operation` (or "
            "repeat the request with the same Idempotency-Key) until it is final.",
            "model": model,
        }
    }


_ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"
_FASTAPI_422_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _envelope_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": _ENVELOPE_REF}}},
    }


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """`openapi`, with the errors that the app itself answers documented on every operation:
    401 where the operation needs a token, 422 (the envelope, not FastAPI's default
    ``HTTPValidationError``) where it takes parameters or a body."""
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in envelope.pop("$defs", {}).items():
        components.setdefault(name, schema)
    components.setdefault("ErrorEnvelope", envelope)
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", _envelope_response(401))
            if operation.get("parameters") or operation.get("requestBody"):
                default = responses.get("422", {}).get("content", {}).get("application/json", {})
                if "422" not in responses or "HTTPValidationError" in json.dumps(default):
                    responses["422"] = _envelope_response(422)
    text = json.dumps({k: v for k, v in openapi.items() if k != "components"})
    for name in _FASTAPI_422_SCHEMAS:
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)
    return openapi


# -- participants -----------------------------------------------------------------------------


class HoldingOut(BaseModel):
    """A participant's tradable balance of one batch."""

    batch_id: int
    amount_kg: int
    amount_t: Tonnes


class ParticipantOut(BaseModel):
    """A registered participant: its roles, its chain account and who keeps the account's key."""

    id: str = Field(description="The participant's public id")
    name: str
    kind: Literal["organisation", "person"]
    roles: list[Role]
    address: Address
    custody: Literal["keystore", "self", "operator"] = Field(
        description="Who keeps the chain key: the registry (encrypted), the participant, or the operator"
    )
    chain_status: Standing = Field(description="Its registration on chain")
    created_at: Timestamp


class ParticipantWithHoldings(ParticipantOut):
    """A participant with its non-zero holdings, by batch."""

    holdings: list[HoldingOut]


class RegisteredParticipant(ParticipantOut):
    """A newly registered participant, with its API token: shown in this response only, never
    again (nor in a replay of the request)."""

    token: str = Field(description="The participant's API token (Authorization: Bearer <token>)")


# -- methodologies ----------------------------------------------------------------------------


class ReviewOut(BaseModel):
    """A reviewer's decision: an expert's on a methodology, the registrar's on a project."""

    reviewer: str | None = Field(description="The reviewer's participant id")
    decision: Decision
    reason: str
    created_at: Timestamp


class MethodologyOut(BaseModel):
    """A proposed methodology version, its committee reviews and its publication on chain."""

    id: int
    code: str = Field(examples=["TH-ES-001"])
    version: int
    title: str
    category: Category
    content_hash: Hash = Field(description="keccak256 of the module's code and factors, published on chain")
    status: MethodologyStatus
    chain_status: Publication
    quorum: int = Field(description="Approvals (or rejections) of the expert committee that decide")
    reviews: list[ReviewOut]
    input_schema: dict[str, Any] = Field(description="JSON schema of the monitoring data it quantifies")
    kind: Literal["module", "declarative"] = Field(
        description="A methodology module of the code catalogue, or a declarative spec an enterprise "
        "proposed (R3)"
    )
    spec: dict[str, Any] | None = Field(
        description="The declarative spec, normalised (its content hash is over it); null for a module"
    )


class FactorOut(BaseModel):
    """An emission factor of a methodology version, with its source."""

    key: str
    value: str = Field(description="A decimal, as a string")
    unit: str
    source: str
    note: str


class CatalogueEntry(BaseModel):
    """A methodology module available to propose: its requirements, monitoring data schema,
    factors and content hash."""

    code: str
    version: int
    title: str
    title_zh: str
    category: Category
    requirements: list[str]
    input_schema: dict[str, Any]
    factor_set_version: str
    factors: list[FactorOut]
    content_hash: Hash


class ProposalProblemOut(BaseModel):
    """One reason a declarative methodology cannot be accepted."""

    code: str = Field(
        examples=["unknown_variable"],
        description="Stable: bad_spec, bad_expression, unknown_variable, duplicate_name, unknown_category, "
        "factor_without_source, example_invalid, division_by_zero, overflow, negative_leakage, "
        "example_not_reproduced, no_reduction; from the check route also code_taken",
    )
    message: str
    where: str = Field(description="Dotted path into the spec, e.g. steps[2].expression; empty for the whole")


class ProposalCheckOut(BaseModel):
    """What the registry would say of a declarative methodology, without recording it."""

    acceptable: bool
    content_hash: Hash | None = Field(description="The hash that would go on chain, when acceptable")
    problems: list[ProposalProblemOut]


# -- projects and reports ---------------------------------------------------------------------


class MethodologyRef(BaseModel):
    """A methodology version, by code and version."""

    code: str
    version: int


class DocumentOut(BaseModel):
    """A project document (its content is kept by the registry; its hash goes on chain)."""

    id: int
    filename: str
    content_type: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int
    uploaded_at: Timestamp


class ProjectOut(BaseModel):
    """A project: its owner, methodology, documents, the registrar's reviews and its status."""

    id: str
    onchain_id: Hash = Field(description="The project's bytes32 id on chain")
    name: str
    description: str
    location: str
    owner: str | None = Field(description="The owner's participant id")
    methodology: MethodologyRef
    status: ProjectStatus
    document_hash: Hash | None = Field(description="The hash of its documents registered on chain")
    documents: list[DocumentOut]
    reviews: list[ReviewOut]
    created_at: Timestamp


class QuantificationOut(BaseModel):
    """The methodology's result for the period, in whole kg CO2e:
    ``net_kg = baseline_kg - project_kg - leakage_kg``."""

    baseline_kg: int
    project_kg: int
    leakage_kg: int
    net_kg: int
    net_t: Tonnes
    steps: list[tuple[str, str]] = Field(description="The audit trail: (label, value with unit)")


class VerificationOut(BaseModel):
    """A verifier's decision on a monitoring report."""

    verifier: str | None = Field(description="The verifier's participant id")
    decision: Decision
    reason: str
    created_at: Timestamp


class ReportOut(BaseModel):
    """A monitoring report: its data, the quantified reduction, its verifications and, once
    issued, its batch."""

    id: str
    project: str = Field(description="The project's id")
    period_start: Day
    period_end: Day = Field(description="Inclusive")
    data: dict[str, Any] = Field(description="The monitoring data, as submitted")
    quantification: QuantificationOut
    report_hash: Hash
    status: ReportStatus
    batch_id: int | None = Field(description="The batch issued for it")
    verifications: list[VerificationOut]
    submitted_at: Timestamp


# -- batches and retirements ------------------------------------------------------------------


class ProjectRef(BaseModel):
    """The project a batch was issued for."""

    id: str
    name: str
    location: str


class Vintage(BaseModel):
    """The monitoring period of a batch: dates (inclusive) and the chain's unix seconds
    (end exclusive)."""

    start: Day
    end: Day
    chain_start: int
    chain_end: int


class Supply(BaseModel):
    """A batch's supply: issued = retired + invalidated + held."""

    issued_kg: int
    retired_kg: int
    invalidated_kg: int
    held_kg: int
    issued_t: Tonnes
    retired_t: Tonnes
    invalidated_t: Tonnes
    held_t: Tonnes


class BatchChain(BaseModel):
    """Where to check a batch's issuance on chain."""

    chain_id: int
    contract: Address
    token_id: int
    tx_hash: Hash
    block_number: int


class BatchOut(BaseModel):
    """An issued batch with its supply and the chain evidence of its issuance."""

    id: int = Field(description="The batch's token id")
    project: ProjectRef | None
    project_onchain_id: Hash
    methodology: MethodologyRef | None
    vintage: Vintage
    report: str | None = Field(description="The monitoring report's id")
    report_hash: Hash
    supply: Supply
    frozen: bool
    chain: BatchChain


class BatchTransfer(BaseModel):
    """A transfer of a batch's credits between accounts, as indexed from the chain."""

    sender: Address = Field(alias="from")
    to: Address
    amount_kg: int
    tx_hash: Hash
    block_number: int


class BatchRetirement(BaseModel):
    """A retirement of a batch's credits, in short (the certificate has the rest)."""

    certificate_id: int
    amount_kg: int
    beneficiary: str


class BatchDetail(BatchOut):
    """A batch with every transfer and retirement of its credits."""

    transfers: list[BatchTransfer]
    retirements: list[BatchRetirement]


class RetirementHolder(BaseModel):
    """The account that retired the credits, and its participant if registered."""

    address: Address
    participant: str | None
    name: str | None


class RetirementChain(BaseModel):
    """Where to check a retirement on chain."""

    chain_id: int
    contract: Address
    tx_hash: Hash
    block_number: int
    log_index: int


class RetirementOut(BaseModel):
    """A retirement certificate: what was retired, for whom and why, its serial block, and the
    chain evidence (with its batch)."""

    certificate_id: int
    batch_id: int
    holder: RetirementHolder
    amount_kg: int
    amount_t: Tonnes
    serial_first: int
    serial_last: int
    serial_block: str = Field(examples=["TH-1-1-120500"])
    beneficiary: str
    purpose: Purpose
    event_id: Hash = Field(description="bytes32 of the event id (keccak256 of its text); zero when none")
    jurisdiction: str
    consumption_start: Day | None
    consumption_end: Day | None
    note: str
    retired_at: Timestamp
    chain: RetirementChain
    batch: BatchOut | None


# -- chain operations and credit requests -----------------------------------------------------


class OperationError(BaseModel):
    """Why the chain refused an operation: the contract's error name and message."""

    code: str
    message: str


class OperationOut(BaseModel):
    """A chain operation of the outbox: signed, sent, then confirmed or failed."""

    id: int
    kind: str = Field(
        description="What it does: register_participant, grant_role, fund_account, publish_methodology, "
        "register_project, update_project_documents, record_report, issue, transfer, retire, "
        "freeze_account, unfreeze_account, freeze_batch, unfreeze_batch, invalidate, pause, unpause",
        examples=["transfer"],
    )
    status: OperationStatus
    sender: Address
    nonce: int
    tx_hash: Hash
    block_number: int | None
    result: dict[str, Any] | None = Field(
        description="What the confirmed transaction produced (ids, amounts)"
    )
    error: OperationError | None
    note: str | None = Field(description="Why a pending operation has not gone out yet")


def _absent_when_none(schema: dict[str, Any]) -> None:
    """The schema of an optional field that is left out rather than null: its present form."""
    present = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(present) == 1:
        schema.update(present[0])
    schema.pop("default", None)


class TransferDetails(BaseModel):
    """A transfer's recipient."""

    to: str = Field(description="The recipient's participant id")


class RetirementDetails(BaseModel):
    """What a retirement states: for whom, why, for which event, where and when."""

    beneficiary: str
    purpose: Purpose
    event_id: str | None
    jurisdiction: str
    consumption_start: Day | None
    consumption_end: Day | None
    note: str


class CreditRequestOut(BaseModel):
    """A transfer or retirement asked for through the API, with its chain operation; a confirmed
    retirement adds its certificate."""

    id: int
    kind: Literal["transfer", "retirement"]
    participant: str | None = Field(description="The requester's participant id")
    batch_id: int
    amount_kg: int
    amount_t: Tonnes
    details: TransferDetails | RetirementDetails
    status: Literal["pending", "confirmed", "failed"]
    operation: OperationOut
    certificate_id: int | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        json_schema_extra=_absent_when_none,
        description="The certificate's id: present only for a confirmed retirement",
    )
    certificate: RetirementOut | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        json_schema_extra=_absent_when_none,
        description="The certificate: present only for a confirmed retirement",
    )


# -- supervision and the service --------------------------------------------------------------


class PauseFlags(BaseModel):
    """Whether each contract is paused."""

    registry: bool
    credits: bool


class FrozenAccountOut(BaseModel):
    """An account a supervisor froze on chain, with the reason."""

    address: Address
    participant: str | None
    reason: str
    block_number: int


class SupervisionStatus(BaseModel):
    """The scheme's pause flags and the frozen accounts."""

    paused: PauseFlags
    frozen_accounts: list[FrozenAccountOut]


class SupervisionResult(SupervisionStatus):
    """A supervision command's chain operations, and the status after them."""

    operations: list[OperationOut]


class Health(BaseModel):
    """The service is up; the chain, contracts and operator account it works with."""

    status: Literal["ok"]
    chain_id: int
    contracts: dict[str, Address] = Field(description="Contract addresses by name")
    rpc_url: str | None = Field(description="The chain's JSON-RPC endpoint (none for an in-process chain)")
    operator: Address


# -- operations (docs/operations.md) ----------------------------------------------------------


class Liveness(BaseModel):
    """The process answers (it checks nothing else: see /readyz)."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """Whether the service can do its work: the database and the chain answer, and the index is
    not too far behind the chain. Answered with 200 when ready, 503 with the reasons when not."""

    ready: bool
    checks: dict[str, bool] = Field(description="Each check's outcome: database, chain, index")
    reasons: list[str] = Field(description="Why not ready (empty when ready)")
    index_lag_blocks: int | None = Field(
        description="Blocks the index is behind the chain's head (null when either cannot be read)"
    )


class NewToken(BaseModel):
    """A new API token: shown in this response only, never again."""

    participant: str = Field(description="The participant's public id")
    token: str = Field(description="The API token (Authorization: Bearer <token>)")
    created_at: Timestamp


class TokenRevocation(BaseModel):
    """What a revocation did: how many valid tokens of the participant it revoked (0 when it
    had none left)."""

    participant: str
    revoked: int
    reason: str
    revoked_at: Timestamp


# -- neutrality claims (R14, R15) -------------------------------------------------------------


class FootprintMethodologyOut(BaseModel):
    """A footprint methodology version and its content hash."""

    code: str
    version: int
    content_hash: Hash


class ClaimFootprint(BaseModel):
    methodology: FootprintMethodologyOut
    activity: dict[str, Any] | None
    total_kg: int | None = Field(description="The footprint, kg CO2e, rounded up")
    total_t: str | None
    by_source: dict[str, int]
    steps: list[list[str]]
    hash: Hash | None = Field(description="keccak256 of the footprint record, recorded on chain at closing")


class ClaimVerification(BaseModel):
    verifier: str
    reason: str | None
    at: str | None


class ClaimRetirement(BaseModel):
    certificate_id: int
    holder: str
    amount_kg: int
    purpose: str
    beneficiary: str
    tx_hash: Hash


class ClaimChain(BaseModel):
    event_id: Hash = Field(description="The claim's id on chain: a retirement's eventId against it")
    operation: int | None
    close_tx: Hash | None
    closed_block: int | None
    retired_kg_at_close: int | None


class ClaimOut(BaseModel):
    """A carbon-neutrality claim: its subject, footprint, verification, the retirements against
    it and, once neutral, its closing on chain."""

    id: str
    kind: Literal["event", "organisation", "fleet", "route", "scene", "person"]
    subject: str
    claimant: str
    period_start: str
    period_end: str
    status: Literal["registered", "footprinted", "footprint_rejected", "verified", "closing", "neutral"]
    footprint: ClaimFootprint
    buffer_pct: str
    required_kg: int | None = Field(description="Footprint plus buffer: the credits to retire against it")
    retired_kg: int
    retired_t: str
    covered: bool
    verification: ClaimVerification | None
    retirements: list[ClaimRetirement]
    people_offsetting: int = Field(
        description="People who retired credits against it for their own footprint"
    )
    chain: ClaimChain


class FootprintCatalogueEntry(BaseModel):
    """A footprint methodology: the subjects it measures, its activity-data schema and factors."""

    code: str
    version: int
    title: str
    title_zh: str
    subjects: list[str]
    requirements: list[str]
    input_schema: dict[str, Any]
    factor_set_version: str
    factors: list[FactorOut]
    content_hash: Hash


class FootprintCalculation(BaseModel):
    """A footprint computed on the spot (nothing recorded)."""

    methodology: FootprintMethodologyOut
    total_kg: int
    total_t: str
    by_source: dict[str, int]
    steps: list[list[str]]


# -- public points (R6-R10, R17) --------------------------------------------------------------


class RegisteredPartner(BaseModel):
    """A data partner, with its signing key (shown once)."""

    id: str
    name: str
    scenes: list[str]
    key: str = Field(
        description="Hex HMAC-SHA256 key: shown once, never stored (derived from the registry's secret)"
    )


class RegisteredCitizen(BaseModel):
    """A citizen, with its token (shown once)."""

    id: str
    pseudonym: Hash = Field(description="Keys the citizen's leaf on chain: a salted hash, nothing personal")
    token: str


class ActOutcome(BaseModel):
    """What became of one record of a batch."""

    id: str
    status: Literal["accepted", "rejected", "duplicate"]
    reason: str | None = Field(
        description="Why it was rejected: unknown_scene, scene_not_allowed, unknown_citizen, bad_time, "
        "future_time, too_old, bad_quantity, the scene's own (impossible_distance, ...), duplicate_trip, "
        "device_burst, cap_reached, bad_record"
    )
    points: int
    grams: int


class IngestionResult(BaseModel):
    """What became of each record of a partner's batch, in order."""

    accepted: int
    rejected: int
    duplicate: int
    results: list[ActOutcome]


class PartnerRejection(BaseModel):
    """One rejected record of the partner."""

    id: str
    reason: str | None
    scene: str
    received_at: str


class CampaignRef(BaseModel):
    """A campaign (R20), as a ledger entry names it."""

    id: int
    name: str


class PointsEntry(BaseModel):
    """One entry of a citizen's points history: earned (with a campaign's extra points in an entry
    of their own that names the campaign), redeemed in the mall, refunded when a voucher expired,
    expired, or reversed."""

    kind: Literal["earn", "redeem", "refund", "expire", "reverse"]
    points: int
    grams: int
    scene: str | None
    occurred_at: str | None
    expires_on: str | None
    at: str
    campaign: CampaignRef | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        json_schema_extra=_absent_when_none,
        description="The campaign whose extra points the entry carries (R20): present only then",
    )


class CitizenPoints(BaseModel):
    """A citizen's points: the balance (the sum of its ledger entries), what it earned, the grams
    avoided, and its history, newest first."""

    id: str
    pseudonym: Hash
    balance: int
    earned: int
    grams: int
    history: list[PointsEntry]


class PointsAnchor(BaseModel):
    """The chain operation that anchors an epoch."""

    operation: int
    status: str
    tx_hash: Hash
    block_number: int | None


class PointsEpochOut(BaseModel):
    """A day's Merkle root over every citizen's balance and grams, and its anchoring on chain."""

    epoch: int
    day: str
    root: Hash
    leaf_count: int
    total_points: int
    total_grams: int
    anchor: PointsAnchor | None


class PointsProof(BaseModel):
    """A citizen's leaf and its Merkle proof: what `tanhui points verify-proof` checks against the
    chain alone."""

    chain_id: int
    registry: str
    epoch: int
    root: Hash
    pseudonym: Hash
    points: int
    grams: int
    proof: list[Hash]


# -- the exchange (R18, R21-R25) --------------------------------------------------------------

ProjectType = Annotated[
    str,
    Field(
        description="energy-substitution, resource-saving or ecological (R21); a type the registry "
        "does not name shows as its number on chain",
        examples=["energy-substitution"],
    ),
]


class ListingOut(BaseModel):
    """A listing on the exchange, as the chain says: its credits are in escrow while it is open."""

    listing_id: int
    seller: str | None = Field(description="The seller's participant id")
    seller_address: Address
    batch_id: int
    project_type: ProjectType
    state: Literal["open", "cancelled", "filled"]
    amount_t: Tonnes
    remaining_t: Tonnes = Field(description="In escrow while open; returned to the seller once cancelled")
    listed_at: Timestamp
    tx_hash: Hash
    block_number: int
    cancelled_by: Address | None
    closed_tx: Hash | None
    closed_block: int | None = Field(description="The block of the fill or cancellation that closed it")
    available_t: Tonnes | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        json_schema_extra=_absent_when_none,
        description="Open listings: what is left less pending settlements",
    )


class ListingRequestOut(BaseModel):
    """A listing asked for, with its chain operation; once confirmed, the listing."""

    request_id: int
    seller: str | None
    batch_id: int
    amount_t: Tonnes
    status: Literal["pending", "confirmed", "failed"]
    operation: OperationOut
    listing_id: int | None
    listing: ListingOut | None


class TradeChain(BaseModel):
    tx_hash: Hash
    block_number: int
    log_index: int


class TradeOut(BaseModel):
    """A trade the exchange settled on chain (R21): who sold what to whom at which price."""

    trade_id: int
    reference: str | None = Field(description="The exchange's reference")
    trade_ref: Hash = Field(description="The reference on chain (keccak256 of its text)")
    listing_id: int
    batch_id: int
    project_type: ProjectType
    seller: str | None
    seller_address: Address
    buyer: str | None
    buyer_address: Address
    amount_t: Tonnes
    price_fen_per_t: int
    price_yuan_per_t: str
    value_yuan: str
    block_trade: bool
    day: Day = Field(description="The trading day (China Standard Time)")
    settled_at: Timestamp
    certificate_id: int | None = Field(description="Buy-and-retire: the buyer's certificate")
    chain: TradeChain
    certificate: RetirementOut | None = Field(
        default=None, exclude_if=lambda v: v is None, json_schema_extra=_absent_when_none
    )


class TradeInstructionOut(BaseModel):
    """The exchange's settlement instruction and, once settled, its trade."""

    reference: str
    trade_ref: Hash
    status: Literal["pending", "settled", "confirmed", "failed"]
    listing_id: int
    buyer: str | None
    amount_t: Tonnes
    price_fen_per_t: int
    buyer_fee_fen: int
    seller_fee_fen: int
    retire: bool
    operation: OperationOut
    trade_id: int | None
    trade: TradeOut | None


class BandOut(BaseModel):
    low_fen_per_t: int
    high_fen_per_t: int
    block_low_fen_per_t: int
    block_high_fen_per_t: int
    block_min_t: Tonnes


class MarketDayOut(BaseModel):
    """A project type's trading day: open, high, low, close (the volume-weighted average the next
    day's band is centred on), last, volume and turnover."""

    project_type: ProjectType
    day: Day
    open_fen_per_t: int
    high_fen_per_t: int
    low_fen_per_t: int
    close_fen_per_t: int
    last_fen_per_t: int
    volume_t: Tonnes
    turnover_yuan: str
    trades: int
    band: BandOut | None


class TypeBandOut(BaseModel):
    project_type: ProjectType
    reference_price_fen_per_t: int | None
    previous_close_fen_per_t: int | None
    band: BandOut | None
    posted: bool
    halted: bool
    halt_reason: str | None


class BandsOut(BaseModel):
    """Each project type's reference price, previous close, band and halt on one trading day."""

    day: Day
    types: list[TypeBandOut]


class HaltOut(BaseModel):
    """A trading halt in force (R24): of a project type or of a batch."""

    scope: Literal["project_type", "batch"]
    project_type: ProjectType | None
    batch_id: int | None
    reason: str | None
    block_number: int


class StatementDifference(BaseModel):
    kind: str
    reference: str | None = None
    trade_id: int | None = None
    listing_id: int | None = None
    field: str | None = None
    registry: Any = None
    exchange: Any = None


class StatementResult(BaseModel):
    """The differences between the exchange's end-of-day statement and the registry."""

    statement_id: int
    day: Day
    indexed_block: int
    trades: int
    escrow_positions: int
    agreed: bool
    differences: list[StatementDifference]


class JournalLine(BaseModel):
    account: Literal["1489", "1002", "6301", "6711"]
    account_name_zh: str
    account_name_en: str
    debit: str = Field(description="Yuan, two decimals")
    credit: str = Field(description="Yuan, two decimals")
    debit_fen: int
    credit_fen: int


class JournalEntry(BaseModel):
    number: int
    date: Day = Field(description="In China Standard Time")
    at: Timestamp
    reference: str
    memo_zh: str
    memo_en: str
    lines: list[JournalLine]


class JournalPosition(BaseModel):
    batch_id: int
    amount_t: Tonnes
    cost_yuan: str


class JournalOut(BaseModel):
    """The participant's carbon-asset journal (财会〔2019〕22号), weighted average cost per batch."""

    participant: str
    cost_method: str
    entries: list[JournalEntry]
    positions: list[JournalPosition]


class DisclosureRow(BaseModel):
    item: str
    label_zh: str
    label_en: str
    tonnes: str
    yuan: str
    kg: int
    fen: int


class DisclosureOut(BaseModel):
    """The year's carbon-asset disclosure: opening, each increase and decrease, closing."""

    participant: str
    year: int
    rows: list[DisclosureRow]


# -- transactions signed by their holders ----------------------------------------------------------


class TransactionDraft(BaseModel):
    """The unsigned transaction of a holder's action, to sign where the key is (``tanhui wallet
    sign``): eth-account's transaction fields (chainId, from, to, data, value, nonce, gas, and
    maxFeePerGas/maxPriorityFeePerGas or gasPrice)."""

    action: Literal["transfer", "retire", "list", "cancel_listing"]
    function: str = Field(description="The contract function it calls", examples=["safeTransferFrom"])
    sender: Address
    transaction: dict[str, Any]


class Submission(BaseModel):
    """A transaction its holder signed and submitted, as the registry records and relays it; a
    transfer, retirement or listing carries its credit request (a confirmed retirement, its
    certificate); a listing or cancellation names its listing once known."""

    id: int = Field(description="The chain operation's id")
    action: Literal["transfer", "retire", "list", "cancel_listing"]
    sender: Address
    tx_hash: Hash
    status: Literal["pending", "confirmed", "failed"]
    operation: OperationOut
    credit_request: dict[str, Any] | None
    listing_id: int | None
