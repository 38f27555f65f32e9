"""The FastAPI service: ``/v1``, OpenAPI at ``/docs``; errors as JSON with a stable code.

Every request has an id (the client's ``X-Request-ID`` when it is a sane token, else a new
one), echoed in the ``X-Request-ID`` response header and written in the log lines of the
request; an unexpected error answers it in the error envelope, so a user can quote it.
Swagger UI's assets come from the pinned npm package ``swagger-ui-dist``, served by us: the
registry runs on private networks without a CDN.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import CollectorRegistry
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import Health, document_errors
from api.routers import (
    champions,
    claims,
    credits,
    dashboard,
    feed,
    mall,
    market,
    methodologies,
    operations,
    ops,
    pages,
    participants,
    points,
    projects,
    public,
    retries,
    scenes,
    supervision,
    tokens,
    transactions,
)
from chain.errors import ChainError
from chain.paths import NODE_MODULES
from registry.errors import RegistryError, from_chain
from registry.metrics import RegistryCollector
from registry.permissions import permissions_keeper
from registry.runtime import Runtime

log = logging.getLogger("tanhui.api")

REQUEST_ID_HEADER = "X-Request-ID"
# A client's request id is kept when it is a short token of safe characters (it goes into log
# lines and a response header); anything else is replaced by a new one.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

# From the npm package in a checkout; an installed wheel carries the files itself (scripts/wheel).
SWAGGER_UI_DIR = (
    NODE_MODULES / "swagger-ui-dist"
    if (NODE_MODULES / "swagger-ui-dist").is_dir()
    else Path(__file__).resolve().parent / "static" / "swagger-ui"
)
SWAGGER_UI_URL = "/static/swagger-ui"
# The files of swagger-ui-dist that /docs loads: nothing else of the package is served.
SWAGGER_UI_FILES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"}
)


# The id of the request being answered, for every log line written while it is (the routes run
# in worker threads: Starlette copies the context into them).
_current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tanhui_request_id", default=None
)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each log record (``record.request_id``; "-" outside a
    request, e.g. in the relay thread), unless the record carries one already."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _current_request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, request_id, and
    the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _current_request_id.get() or "-",
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TextFormatter(logging.Formatter):
    """One line a record: control characters in the line (a request path is decoded from the
    client's percent-escapes) are written as escapes, so nobody can forge a line of the log."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", super().formatMessage(record))


#: The loggers the service writes to: ours, and uvicorn's. uvicorn's access lines are left out:
#: RequestIdMiddleware writes one for each request, with its request id and duration.
SERVICE_LOGGERS = ("tanhui", "uvicorn.error", "uvicorn.access")


def configure_logging(log_format: str, stream: object = None, level: int = logging.INFO) -> logging.Handler:
    """Writes the service's log lines (`level` and above) to `stream` (stderr) as JSON lines
    (``log_format == "json"``) or text, each with its request id. Replaces the handler an earlier
    call installed; returns the new one."""
    formatter = JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    handler.set_name("tanhui")
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "tanhui" or name != "tanhui"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(max(level, logging.WARNING) if name == "uvicorn.access" else level)
        logger.propagate = False
    return handler


def error_body(code: str, message: str, details: object = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def request_id(request: Request) -> str:
    """The id of `request`, as given by :class:`RequestIdMiddleware`."""
    rid = request.scope.get("state", {}).get("request_id")
    return rid if isinstance(rid, str) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every HTTP request an id (in ``request.state.request_id``), echoes it in the
    ``X-Request-ID`` response header and writes the access log line with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        rid = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        # A new state mapping for this request: the server's may be shared with others.
        scope["state"] = {**scope.get("state", {}), "request_id": rid}
        status = 500  # unless a response starts: an unexpected error is answered further out
        started = time.perf_counter()
        context = _current_request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %d %.1f ms request_id=%s",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                rid,
                extra={"request_id": rid},
            )
            _current_request_id.reset(context)


class _Assets(StaticFiles):
    """The named files of a directory, and no other. A missing directory serves nothing (each
    file is a 404) rather than failing: /docs says what to install."""

    def __init__(self, directory: Path, files: frozenset[str]) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.files = files

    async def check_config(self) -> None:
        if self.directory is not None and Path(self.directory).is_dir():
            await super().check_config()

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path not in self.files:
            return "", None
        return super().lookup_path(path)


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, from our own copy of swagger-ui-dist; /redoc leads there."""
    directory = SWAGGER_UI_DIR
    app.mount(SWAGGER_UI_URL, _Assets(directory, SWAGGER_UI_FILES), name="swagger-ui")
    oauth2_redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        missing = [f for f in ("swagger-ui-bundle.js", "swagger-ui.css") if not (directory / f).is_file()]
        if missing:
            return JSONResponse(
                error_body(
                    "docs_unavailable",
                    f"Swagger UI is not installed ({directory} lacks {', '.join(missing)}): "
                    "run scripts/setup, which installs the pinned npm packages; the API itself works "
                    "(see /openapi.json)",
                    {"missing": missing},
                ),
                status_code=503,
            )
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{SWAGGER_UI_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI_URL}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI_URL}/favicon-32x32.png",
            oauth2_redirect_url=oauth2_redirect_url,
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    def docs_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> RedirectResponse:
        # ReDoc would need its own bundle (and React) from npm; Swagger UI documents the same API.
        return RedirectResponse("/docs")


EXPLORER_STATIC_DIR = Path(__file__).resolve().parent / "static" / "explorer"
EXPLORER_STATIC_URL = "/static/explorer"
#: Paths that answer JSON whatever the client accepts: the API, its documents, the probes.
_API_PREFIXES = ("/v1/", "/openapi.json", "/docs", "/redoc", "/livez", "/readyz", "/metrics", "/static/")


def _wants_page(request: Request) -> bool:
    """An unknown path outside the API asked for by a browser: it gets the explorer's 404 page."""
    return not request.url.path.startswith(_API_PREFIXES) and "text/html" in request.headers.get("accept", "")


#: Python's recursion limit while the service runs. py-evm and py_ecc raise it to 100,000 when
#: they are imported; at that limit a request body of JSON nested 100,000 deep overflows the C
#: stack while it is parsed and kills the process (unauthenticated: bodies are parsed before
#: tokens are checked). At this limit the parser raises RecursionError (a 422 or 400) instead.
RECURSION_LIMIT = 10_000


def bound_recursion() -> None:
    if sys.getrecursionlimit() > RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


def create_app(runtime: Runtime, *, background: bool = True, configure_logs: bool | None = None) -> FastAPI:
    """The service over `runtime`. With `background`, a relay thread resumes pending chain
    operations and follows the chain while the service runs, and a webhook thread pushes the
    exchange feed to its subscribers. With `configure_logs` (by default: with `background`, as
    `tanhui serve` runs it) the service's log lines go to stderr in ``TANHUI_LOG_FORMAT``."""
    bound_recursion()
    settings = runtime.settings if runtime is not None else None
    if configure_logs is None:
        configure_logs = background

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs and settings is not None:
            # Here, not earlier: uvicorn has set up its own loggers by now, at the level it was
            # given (info for `tanhui serve`, warning for the demo's service): ours follow it.
            configure_logging(
                settings.log_format, level=logging.getLogger("uvicorn.error").getEffectiveLevel()
            )
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if background:
            threads = [
                threading.Thread(
                    target=runtime.relay.run_forever, args=(stop,), name="tanhui-relay", daemon=True
                ),
                threading.Thread(
                    target=runtime.webhooks.run, args=(stop,), name="tanhui-webhooks", daemon=True
                ),
            ]
            # Besu's accounts-allowlist, kept current when TANHUI_BESU_PERMISSIONS_FILE is set.
            keeper = permissions_keeper(runtime.settings, runtime.db, runtime.operator.address)
            if keeper is not None:
                threads.append(
                    threading.Thread(target=keeper.run, args=(stop,), name="tanhui-permissions", daemon=True)
                )
            for thread in threads:
                thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)

    app = FastAPI(
        title="Tanhui registry",
        version="0.1.0",
        description="Carbon-inclusion credit registry (碳惠): issuance, transfer and retirement on a "
        "permissioned EVM chain.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    # Prometheus metrics: the app's own registry (several apps in one process count apart).
    metrics_registry = CollectorRegistry()
    app.state.metrics = metrics_registry
    if runtime is not None:
        metrics_registry.register(RegistryCollector(runtime.db, runtime.client))
    app.add_middleware(ops.RequestMetrics, registry=metrics_registry)
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, err: RegistryError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        return JSONResponse(
            error_body(err.code, err.message, err.details), status_code=err.status, headers=headers
        )

    @app.exception_handler(ChainError)
    async def chain_error(_: Request, err: ChainError) -> JSONResponse:
        domain = from_chain(err)
        return JSONResponse(
            error_body(domain.code, domain.message, domain.details), status_code=domain.status
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message": e["msg"]}
            for e in err.errors()
        ]
        return JSONResponse(
            error_body("validation_error", "the request is not valid", {"errors": details}), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        if err.status_code == 404 and _wants_page(request):
            return pages.not_found(request)
        codes = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            error_body(codes.get(err.status_code, "http_error"), str(err.detail)), status_code=err.status_code
        )

    # Any other exception: Starlette runs this handler in its outermost middleware, outside
    # RequestIdMiddleware, so the response carries the request id header itself.
    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, err: Exception) -> JSONResponse:
        rid = request_id(request)
        log.error(
            "unexpected error in %s %s request_id=%s",
            request.method,
            request.url.path,
            rid,
            exc_info=err,
            extra={"request_id": rid},
        )
        return JSONResponse(
            error_body(
                "internal_error", f"an unexpected error occurred; quote request id {rid}", {"request_id": rid}
            ),
            status_code=500,
            headers={REQUEST_ID_HEADER: rid},
        )

    @app.get("/v1/health", tags=["service"], response_model=Health)
    def health() -> dict[str, object]:
        return {"status": "ok", **runtime.describe()}

    app.include_router(ops.router)
    if settings is None or settings.metrics_enabled:
        app.add_api_route("/metrics", ops.metrics_route, methods=["GET"], include_in_schema=False)
    for router in (
        participants,
        retries,
        methodologies,
        projects,
        credits,
        claims,
        market,
        feed,
        points,
        champions,
        mall,
        scenes,
        public,
        operations,
        transactions,
        supervision,
        # Last: a client that walks the routes in order with one token (the schema fuzzing does)
        # reaches every other route before it rotates that token away.
        tokens,
    ):
        app.include_router(router.router)
    _add_docs(app)
    # The public explorer and the supervisors' dashboard (HTML; not in the OpenAPI document).
    app.mount(EXPLORER_STATIC_URL, StaticFiles(directory=EXPLORER_STATIC_DIR), name="explorer-static")
    app.include_router(dashboard.router)
    app.include_router(pages.router)

    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
