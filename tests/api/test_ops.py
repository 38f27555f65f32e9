"""Operations: /metrics (the outbox's depth and age, failures by kind, the index's lag, the
requests by route template), /livez and /readyz, and the JSON log lines with request ids."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from web3 import Web3

from api.app import configure_logging, create_app
from api.responses import Liveness, Readiness
from chain.client import ChainClient
from registry import metrics, participants
from registry.models import ChainOperation
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_retries import failed_issuance


def scrape(api: Api) -> str:
    response = api.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` with `labels` (None when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


# -- the outbox ----------------------------------------------------------------------------------


def test_metrics__expose_the_outbox_depth_and_the_age_of_its_oldest_pending_operation(
    api: Api, runtime: Runtime
) -> None:
    text = scrape(api)
    assert sample(text, "tanhui_outbox_pending_operations", status="signed") == 0
    assert sample(text, "tanhui_outbox_pending_operations", status="sent") == 0
    assert sample(text, "tanhui_outbox_oldest_pending_age_seconds") == 0
    # A registration signed but not sent yet (the relay has not run): two minutes old.
    with runtime.db.transaction() as session:
        _, _, ops = participants.register(
            session,
            runtime.outbox,
            name=f"Queued {uuid.uuid4().hex[:6]}",
            kind="organisation",
            roles=["holder"],
        )
        ids = [op.id for op in ops]
    with runtime.db.transaction() as session:
        first = session.get(ChainOperation, ids[0])
        assert first is not None
        session.execute(
            update(ChainOperation)
            .where(ChainOperation.id == ids[0])
            .values(created_at=first.created_at - timedelta(seconds=120))
        )
    text = scrape(api)
    assert sample(text, "tanhui_outbox_pending_operations", status="signed") == len(ids)
    age = sample(text, "tanhui_outbox_oldest_pending_age_seconds")
    assert age is not None and 120 <= age < 180, age
    runtime.relay.resume()
    text = scrape(api)
    assert sample(text, "tanhui_outbox_pending_operations", status="signed") == 0
    assert sample(text, "tanhui_outbox_oldest_pending_age_seconds") == 0


def test_metrics__count_failed_operations_by_kind(api: Api, runtime: Runtime) -> None:
    assert sample(scrape(api), "tanhui_outbox_failed_operations", kind="issue") is None
    failed_issuance(api, runtime)
    text = scrape(api)
    assert sample(text, "tanhui_outbox_failed_operations", kind="issue") == 1
    assert sample(text, "tanhui_outbox_failed_operations", kind="record_report") is None


# -- the index -----------------------------------------------------------------------------------


@pytest.fixture
def head_uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every probe asks the node for its head: these tests mine blocks and look at once (and the
    chain was reverted after the test before, within the 2 s a head is shared)."""
    monkeypatch.setattr(metrics, "HEAD_TTL_SECONDS", 0.0)


def test_metrics__expose_the_indexer_lag_in_blocks(api: Api, runtime: Runtime, head_uncached: None) -> None:
    runtime.indexer.sync()
    text = scrape(api)
    head = sample(text, "tanhui_chain_head_block")
    assert head == runtime.client.block_number()
    assert sample(text, "tanhui_indexer_block") == head
    assert sample(text, "tanhui_indexer_lag_blocks") == 0
    assert sample(text, "tanhui_chain_up") == 1 and sample(text, "tanhui_database_up") == 1
    runtime.client.dev.mine(3)  # three blocks the index has not seen
    text = scrape(api)
    assert sample(text, "tanhui_indexer_lag_blocks") == 3
    assert sample(text, "tanhui_chain_head_block") == head + 3  # type: ignore[operator]
    runtime.indexer.sync()
    assert sample(scrape(api), "tanhui_indexer_lag_blocks") == 0


@pytest.fixture
def unreachable_chain(runtime: Runtime) -> Iterator[Runtime]:
    """The runtime with a chain client whose node does not answer (nothing listens there)."""
    url = "http://127.0.0.1:9/"
    original = runtime.client
    runtime.client = ChainClient(
        Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 2})), kind="rpc", rpc_url=url
    )
    try:
        yield runtime
    finally:
        runtime.client = original


def test_metrics__an_unreachable_chain_is_a_gauge_not_a_failed_scrape(
    api: Api, unreachable_chain: Runtime
) -> None:
    client = TestClient(create_app(unreachable_chain, background=False))
    response = client.get("/metrics")
    assert response.status_code == 200
    assert sample(response.text, "tanhui_chain_up") == 0
    assert sample(response.text, "tanhui_database_up") == 1
    assert sample(response.text, "tanhui_indexer_lag_blocks") is None
    assert sample(response.text, "tanhui_outbox_pending_operations", status="signed") == 0
    assert sample(response.text, "tanhui_indexer_block") is not None
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = Readiness.model_validate(ready.json())
    assert body.checks == {"database": True, "chain": False, "index": False}
    assert body.reasons == ["the chain cannot be reached at http://127.0.0.1:9/"]
    assert client.get("/livez").json() == {"status": "ok"}


# -- requests ------------------------------------------------------------------------------------


def test_metrics__count_requests_by_route_template_not_raw_path(api: Api) -> None:
    api.get("/v1/reports/MR-12345678", api.operator, expect=404)
    api.get("/v1/reports/MR-87654321", api.operator, expect=404)
    api.get("/v1/no/such/thing-42", expect=404)
    api.get("/v1/batches")
    text = scrape(api)
    route = "/v1/reports/{report_id}"
    assert sample(text, "tanhui_http_requests_total", method="GET", route=route, status="404") == 2
    assert sample(text, "tanhui_http_request_duration_seconds_count", route=route, status="404") == 2
    assert sample(text, "tanhui_http_requests_total", route="<unmatched>", status="404") == 1
    assert sample(text, "tanhui_http_requests_total", route="/v1/batches", status="200") == 1
    for raw in ("MR-12345678", "thing-42"):
        assert raw not in text


def test_metrics__can_be_turned_off(runtime: Runtime) -> None:
    runtime.settings.metrics_enabled = False
    try:
        client = TestClient(create_app(runtime, background=False))
        assert client.get("/metrics").status_code == 404
        assert client.get("/livez").status_code == 200
    finally:
        runtime.settings.metrics_enabled = True


def test_metrics__are_not_in_the_openapi_document(api: Api) -> None:
    paths = api.get("/openapi.json")["paths"]
    assert "/metrics" not in paths
    assert {"/livez", "/readyz"} <= set(paths)


# -- health ----------------------------------------------------------------------------------------


def test_readyz__ready_until_the_index_falls_behind_its_bound(
    api: Api, runtime: Runtime, head_uncached: None
) -> None:
    Liveness.model_validate(api.get("/livez"))
    runtime.indexer.sync()
    ready = api.get("/readyz")
    assert ready == {
        "ready": True,
        "checks": {"database": True, "chain": True, "index": True},
        "reasons": [],
        "index_lag_blocks": 0,
    }
    bound = runtime.settings.ready_max_lag_blocks
    runtime.client.dev.mine(bound + 1)
    behind = api.http.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["checks"]["index"] is False
    assert behind.json()["reasons"] == [f"the index is {bound + 1} blocks behind the chain (at most {bound})"]
    runtime.indexer.sync()
    assert api.http.get("/readyz").status_code == 200


# -- logs ------------------------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The service's log lines as `configure_logging("json")` writes them, into a buffer; the
    loggers are put back as they were afterwards."""
    names = ("tanhui", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate)
        for n in names
    }
    stream = io.StringIO()
    configure_logging("json", stream)
    try:
        yield stream
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_logs__json_lines_carry_the_request_id_also_from_inside_the_route(
    api: Api, log_lines: io.StringIO
) -> None:
    holder = api.participant(["holder"])
    log_lines.truncate(0)
    log_lines.seek(0)
    response = api.http.post(
        f"/v1/participants/{holder['id']}/token-revocation",
        json={"reason": "rotation drill"},
        headers={**api.auth(api.operator), "X-Request-ID": "drill-42"},
    )
    assert response.status_code == 201 and response.headers["X-Request-ID"] == "drill-42"
    lines = entries(log_lines)
    # The service's line (written in the route's worker thread) and the access line.
    revoked = [e for e in lines if e["logger"] == "tanhui.tokens"]
    access = [e for e in lines if e["logger"] == "tanhui.api"]
    assert len(revoked) == 1 and "rotation drill" in revoked[0]["message"], lines
    assert revoked[0]["request_id"] == "drill-42" and revoked[0]["level"] == "INFO"
    assert access and access[-1]["request_id"] == "drill-42" and " 201 " in access[-1]["message"]
    assert all(set(e) >= {"time", "level", "logger", "message", "request_id"} for e in lines)


def test_logs__an_unsafe_request_id_is_replaced(api: Api, log_lines: io.StringIO) -> None:
    for given in ("x" * 65, "bad id", "évil".encode(), "a\tb"):
        response = api.http.get("/livez", headers={"X-Request-ID": given})
        rid = response.headers["X-Request-ID"]
        assert (
            rid != (given.decode("latin-1") if isinstance(given, bytes) else given)
            and len(rid) == 32
            and int(rid, 16) >= 0
        )
        assert entries(log_lines)[-1]["request_id"] == rid
    assert not any("évil" in line or "bad id" in line for line in log_lines.getvalue().splitlines())


def test_logs__text_format_names_the_request_id(api: Api, log_lines: io.StringIO) -> None:
    stream = io.StringIO()
    configure_logging("text", stream)
    api.http.get("/livez", headers={"X-Request-ID": "plain-7"})
    line = stream.getvalue().splitlines()[-1]
    assert "[plain-7]" in line and "GET /livez 200" in line and "INFO tanhui.api" in line
