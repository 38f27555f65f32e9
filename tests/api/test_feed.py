"""The exchange feed through HTTP (R18): ``GET /v1/feed`` (public, paged), and webhook
subscriptions (exchange or supervisor; the secret shown once; one's own only), delivered to a
real receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from api.app import create_app
from api.routers import feed as feed_router
from api.routers.feed import FeedPage, WebhookCreated, WebhookOut
from registry import feed as service
from registry.runtime import Runtime, bootstrap
from tests.api.conftest import Api
from tests.api.test_bad_input import refuse
from tests.registry.test_feed import Receiver


def feed_app(runtime: Runtime) -> FastAPI:
    """The app, with the feed's routes (included here until api/app.py includes them)."""
    app = create_app(runtime, background=False)
    if not any(getattr(route, "path", None) == "/v1/feed" for route in app.routes):
        app.include_router(feed_router.router)
    return app


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    token = bootstrap(runtime)
    assert token is not None
    with TestClient(feed_app(runtime)) as client:
        yield Api(client, token)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def append(runtime: Runtime, count: int, block: int = 100) -> None:
    with runtime.db.transaction() as session:
        for i in range(count):
            service.append(
                session,
                kind="settlement",
                payload={"trade": f"T{block + i}", "amount_kg": 1000},
                block_number=block + i,
                log_index=3,
                tx_hash="0x" + f"{block + i:064x}",
            )


# -- the feed --------------------------------------------------------------------------------------


def test_feed__is_public_and_pages_with_after_and_limit(api: Api, runtime: Runtime) -> None:
    assert api.get("/v1/feed") == {"entries": [], "last_seq": 0}
    append(runtime, 5)
    pages = [api.get(f"/v1/feed?after={after}&limit=2") for after in (0, 2, 4, 5)]
    for page in pages:
        TypeAdapter(FeedPage).validate_python(page)
        assert page["last_seq"] == 5
    assert [[e["seq"] for e in p["entries"]] for p in pages] == [[1, 2], [3, 4], [5], []]
    first = pages[0]["entries"][0]
    assert first["kind"] == "settlement" and first["payload"] == {"trade": "T100", "amount_kg": 1000}
    assert (first["block_number"], first["log_index"], first["tx_hash"]) == (100, 3, "0x" + f"{100:064x}")
    assert [e["seq"] for e in api.get("/v1/feed")["entries"]] == [1, 2, 3, 4, 5]  # after=0, limit=100


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=x", "after"),
        ("after=2147483648", "after"),
    ],
)
def test_feed__bad_paging_is_422(api: Api, runtime: Runtime, query: str, field: str) -> None:
    refuse(
        api, runtime, "GET", f"/v1/feed?{query}", token=None, status=422, code="validation_error", field=field
    )


# -- subscriptions ---------------------------------------------------------------------------------

URL = "https://exchange.example/tanhui"


def test_webhooks__need_a_token_and_the_exchange_or_supervisor_role(api: Api, runtime: Runtime) -> None:
    holder = api.participant(["holder"])
    for method, path, body in (
        ("POST", "/v1/webhooks", {"url": URL}),
        ("GET", "/v1/webhooks", None),
        ("DELETE", "/v1/webhooks/1", None),
    ):
        refuse(api, runtime, method, path, json=body, token=None, status=401, code="unauthenticated")
        error = refuse(
            api, runtime, method, path, json=body, token=holder["token"], status=403, code="forbidden"
        )
        assert set(error["details"]["needed"]) == {"exchange", "supervisor"}
    # The operator is a supervisor: admitted.
    assert api.ok("/v1/webhooks", {"url": URL}, api.operator)["url"] == URL


def test_webhooks__the_secret_is_shown_once_and_only_ones_own_are_listed_or_deleted(
    api: Api, runtime: Runtime
) -> None:
    exchange = api.participant(["exchange"])
    other = api.participant(["exchange"])
    created = api.ok("/v1/webhooks", {"url": URL}, exchange["token"])
    TypeAdapter(WebhookCreated).validate_python(created)
    assert len(created["secret"]) == 64
    assert (created["delivered_seq"], created["attempts"], created["active"]) == (0, 0, True)
    theirs = api.ok("/v1/webhooks", {"url": URL + "/other"}, other["token"])

    listed = api.get("/v1/webhooks", exchange["token"])
    TypeAdapter(list[WebhookOut]).validate_python(listed)
    assert [w["id"] for w in listed] == [created["id"]]
    assert all("secret" not in w for w in listed)
    assert created["secret"] not in json.dumps(listed)

    # Another's subscription, or none: 404, and nothing written.
    for webhook_id in (theirs["id"], 999):
        refuse(
            api,
            runtime,
            "DELETE",
            f"/v1/webhooks/{webhook_id}",
            token=exchange["token"],
            status=404,
            code="not_found",
        )
    refuse(
        api, runtime, "DELETE", "/v1/webhooks/0", token=exchange["token"], status=422, code="validation_error"
    )
    deleted = api.http.delete(f"/v1/webhooks/{created['id']}", headers=api.auth(exchange["token"]))
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["active"] is False and "secret" not in deleted.json()
    assert api.get("/v1/webhooks", exchange["token"]) == []
    refuse(
        api,
        runtime,
        "DELETE",
        f"/v1/webhooks/{created['id']}",
        token=exchange["token"],
        status=404,
        code="not_found",
    )
    assert [w["id"] for w in api.get("/v1/webhooks", other["token"])] == [theirs["id"]]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("ftp://exchange.example/hook", 400, "invalid_request"),
        ("https:///hook", 400, "invalid_request"),
        ("http://", 400, "invalid_request"),
        ("not a url", 400, "invalid_request"),
        ("https://user:secret@exchange.example/hook", 400, "invalid_request"),
        ("https://exchange.example/" + "a" * 3000, 422, "validation_error"),
        ("", 422, "validation_error"),
        (42, 422, "validation_error"),
    ],
)
def test_webhooks__a_bad_url_is_refused_with_a_stable_code(
    api: Api, runtime: Runtime, url: Any, status: int, code: str
) -> None:
    exchange = api.participant(["exchange"])
    refuse(
        api,
        runtime,
        "POST",
        "/v1/webhooks",
        json={"url": url},
        token=exchange["token"],
        status=status,
        code=code,
        field="url",
    )


def test_webhooks__deliver_the_feed_to_the_subscriber_signed(
    api: Api, runtime: Runtime, receiver: Receiver
) -> None:
    exchange = api.participant(["exchange"])
    created = api.ok("/v1/webhooks", {"url": receiver.url}, exchange["token"])
    append(runtime, 3)
    assert service.WebhookDeliverer(runtime.db, timeout=2).deliver_once() == 3
    assert receiver.seqs() == [1, 2, 3]
    for delivery in receiver.received:
        signature = {k.lower(): v for k, v in delivery.headers.items()}["x-tanhui-signature"]
        assert service.verify(created["secret"], delivery.body, signature)
        assert (
            json.loads(delivery.body) == api.get(f"/v1/feed?after={delivery.seq - 1}&limit=1")["entries"][0]
        )
    [listed] = api.get("/v1/webhooks", exchange["token"])
    assert (listed["delivered_seq"], listed["attempts"], listed["last_status"]) == (3, 0, 200)
