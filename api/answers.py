"""From a command's answer to an HTTP response, and from a request to its idempotency key."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from registry import idempotency
from registry.commands import Answer, IdempotencyKey, Outcome

#: The HTTP status of each outcome: confirmed on chain (or nothing to confirm), still pending
#: (the relay finishes it; GET /v1/operations/{id} follows it), refused by the chain.
STATUS = {Outcome.CONFIRMED: 201, Outcome.PENDING: 202, Outcome.REJECTED: 409}


def keyed(request: Request, key: str | None, body: BaseModel | None = None) -> IdempotencyKey | None:
    """The request's Idempotency-Key with its fingerprint: the method, the path and the parsed
    body canonically encoded (the same request however it is formatted)."""
    if key is None:
        return None
    encoded = body.model_dump_json().encode() if body is not None else b""
    return IdempotencyKey(key, idempotency.request_hash(request.method, request.url.path, encoded))


def respond(answer: Answer) -> JSONResponse:
    return JSONResponse(answer.body, status_code=STATUS[answer.outcome])
