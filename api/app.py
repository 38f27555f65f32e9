"""The FastAPI service: ``/v1``, OpenAPI at ``/docs``; errors as JSON with a stable code."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.routers import credits, methodologies, operations, participants, projects, public, supervision
from chain.errors import ChainError
from registry.errors import RegistryError, from_chain
from registry.runtime import Runtime

log = logging.getLogger("tanhui.api")


def error_body(code: str, message: str, details: object = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def create_app(runtime: Runtime, *, background: bool = True) -> FastAPI:
    """The service over `runtime`. With `background`, a relay thread resumes pending chain
    operations and follows the chain while the service runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if background:
            thread = threading.Thread(
                target=runtime.relay.run_forever, args=(stop,), name="tanhui-relay", daemon=True
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=10)

    app = FastAPI(
        title="Tanhui registry",
        version="0.1.0",
        description="Carbon-inclusion credit registry (碳惠): issuance, transfer and retirement on a permissioned EVM chain.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, err: RegistryError) -> JSONResponse:
        return JSONResponse(error_body(err.code, err.message, err.details), status_code=err.status)

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
    async def http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            error_body(codes.get(err.status_code, "http_error"), str(err.detail)), status_code=err.status_code
        )

    @app.get("/v1/health", tags=["service"])
    def health() -> dict[str, object]:
        return {"status": "ok", **runtime.describe()}

    for router in (participants, methodologies, projects, credits, public, operations, supervision):
        app.include_router(router.router)
    return app
