"""Operations: liveness (``/livez``), readiness (``/readyz``) and Prometheus metrics
(``/metrics``), outside ``/v1`` and without a token, as load balancers and scrapers expect.

``/metrics`` answers the Prometheus text format (not JSON: it is not in the OpenAPI document);
``TANHUI_METRICS_ENABLED=false`` removes it. The request metrics are counted by
:class:`RequestMetrics`, an ASGI middleware, by route template (``/v1/projects/{project_id}``,
never the raw path: a bounded set of labels).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import RuntimeDep
from api.responses import Liveness, Readiness
from registry import metrics

router = APIRouter(tags=["service"])

#: The route label of a request no route matched (a 404), one value whatever the path was; and
#: of one answered outside the routes (the static files of /docs).
UNMATCHED = "<unmatched>"
OTHER = "<other>"
#: The methods counted by name; any other (the HTTP parser lets WebDAV's and others through) is
#: "<other>", so that no request, with or without a token, adds label values without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@router.get("/livez", response_model=Liveness, summary="The process answers")
async def livez() -> dict[str, Any]:  # async: it needs no worker thread, so it answers when they are all busy
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: `reasons` says why"}},
    summary="The database and chain answer, and the index is not too far behind",
)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    state = metrics.readiness(
        runtime.db, runtime.client, max_lag_blocks=runtime.settings.ready_max_lag_blocks
    )
    body = {
        "ready": state.ready,
        "checks": state.checks,
        "reasons": state.reasons,
        "index_lag_blocks": state.lag,
    }
    return JSONResponse(body, status_code=200 if state.ready else 503)


def metrics_route(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Counts every HTTP request and its duration, by method, route template and status, into
    `registry`."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "tanhui_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "tanhui_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or (UNMATCHED if status == 404 else OTHER)
            method = scope["method"] if scope["method"] in METHODS else OTHER
            labels = (method, str(template), str(status))
            self.requests.labels(*labels).inc()
            self.latency.labels(*labels).observe(time.perf_counter() - started)
