"""The exchange feed (R18): pulled with ``GET /v1/feed?after=N`` (public), pushed to the webhooks of
the exchange (and the supervisor). See registry/feed.py for the entries, rewinds, signatures
and retries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, SerialId, requires
from api.responses import Hash, Timestamp, errors
from api.schemas import MAX_SERIAL_ID, Body
from registry import feed as service
from registry.models import Participant

router = APIRouter(tags=["feed"])
Subscriber = Annotated[Participant, Depends(requires(*service.SUBSCRIBER_ROLES))]


# -- bodies (kept here: api/responses.py and api/schemas.py may take them over) ------------------


class FeedEntryOut(BaseModel):
    """One entry of the feed: apply it once, by its `seq`."""

    seq: int = Field(description="The entry's sequence number: its order and identity, never reused")
    kind: str = Field(
        description="issuance, listing, listing_cancelled, trade, retirement, account_frozen, "
        "account_unfrozen, batch_frozen, batch_unfrozen, halt (halted true or false), band, "
        "reference_price; or chain_rewound (payload: the block that holds and the seqs it voids)",
        examples=["issuance"],
    )
    payload: dict[str, Any]
    block_number: int
    log_index: int | None = Field(description="The event's log index (None for chain_rewound)")
    tx_hash: Hash | None
    created_at: Timestamp


class FeedPage(BaseModel):
    """The entries after `after`, in order, and the newest seq of the feed."""

    entries: list[FeedEntryOut]
    last_seq: int = Field(description="The newest entry's seq (0 for an empty feed)")


class WebhookOut(BaseModel):
    """A webhook subscription as its owner sees it (never its secret)."""

    id: int
    url: str
    active: bool
    created_at: Timestamp
    delivered_seq: int = Field(description="The last seq the receiver acknowledged (2xx)")
    attempts: int = Field(description="Failed deliveries since the last acknowledged one")
    next_attempt_at: Timestamp | None
    last_error: str | None
    last_status: int | None = Field(description="The HTTP status of the last answer, if any")


class WebhookCreated(WebhookOut):
    """A new subscription, with its secret (shown once)."""

    secret: str = Field(
        description="Hex key of the HMAC-SHA256 in `X-Tanhui-Signature: sha256=<hex>` over each "
        "delivery's body: shown once"
    )


class WebhookIn(Body):
    url: str = Field(
        min_length=1,
        max_length=service.MAX_URL_LENGTH,
        description="Where the feed is POSTed, one entry per request: http(s), with a host",
    )


# -- routes ------------------------------------------------------------------------------------


@router.get(
    "/v1/feed",
    response_model=FeedPage,
    summary="The exchange feed after seq `after`, in order, at most `limit` entries (public)",
)
def read_feed(
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0, le=MAX_SERIAL_ID, description="The last seq already applied")] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="At most this many entries")] = 100,
) -> dict[str, Any]:
    with runtime.db.reading() as session:
        page = service.entries(session, after, limit)
        return {"entries": [service.entry_dict(e) for e in page], "last_seq": service.last_seq(session)}


@router.post(
    "/v1/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    responses=errors(400, 401, 403, 409, 422),
    summary="Subscribe a URL to the feed, pushed in order and signed; the secret is shown once "
    "(exchange, supervisor)",
)
def subscribe(body: WebhookIn, runtime: RuntimeDep, actor: Subscriber) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        subscription, secret = service.subscribe(session, actor, body.url)
        return {**service.subscription_dict(subscription), "secret": secret}


@router.get(
    "/v1/webhooks",
    response_model=list[WebhookOut],
    responses=errors(401, 403),
    summary="The participant's webhook subscriptions and their delivery state (exchange, supervisor)",
)
def list_webhooks(runtime: RuntimeDep, actor: Subscriber) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return [service.subscription_dict(s) for s in service.subscriptions(session, actor)]


@router.delete(
    "/v1/webhooks/{webhook_id}",
    response_model=WebhookOut,
    responses=errors(401, 403, 404, 422),
    summary="End one of the participant's webhook subscriptions (exchange, supervisor)",
)
def unsubscribe(webhook_id: SerialId, runtime: RuntimeDep, actor: Subscriber) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return service.subscription_dict(service.unsubscribe(session, actor, webhook_id))
