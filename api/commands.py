"""Running a chain-changing command: idempotency, the outbox, the relay, the response.

1. In one database transaction: look up the Idempotency-Key (a replay, or a conflict), run
   the service (domain change + signed chain operations), remember the key with the resource.
2. After the commit: the relay sends the operations and confirms them; the indexer catches up.
3. Render the resource; store the response under the key once its operations are final.

A response is 201 when every operation is confirmed, 202 while one is still pending, and the
chain's error (409) when one failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import idempotency
from registry.errors import ChainRejected
from registry.models import ChainOperation, Participant
from registry.runtime import Runtime

Action = Callable[[Session, Participant], tuple[str, list[int]]]
Render = Callable[[Session, str], dict[str, Any]]


def execute(
    runtime: Runtime,
    request: Request,
    payload: BaseModel | None,
    actor: Participant,
    action: Action,
    render: Render,
    *,
    once: dict[str, Any] | None = None,
    retried: bool = False,
) -> JSONResponse:
    """Runs `action` exactly once per Idempotency-Key. `once` holds fields shown only in the
    first response (an API token), never stored."""
    key = request.headers.get("Idempotency-Key")
    # The parsed body, canonically encoded: the same request however it is formatted.
    body = payload.model_dump_json().encode() if payload is not None else b""
    fingerprint = idempotency.request_hash(request.method, request.url.path, body)
    if key is not None:
        idempotency.check_key(key)
    record_id: int | None = None
    replay = None
    try:
        with runtime.db.transaction() as session:
            me = session.get(Participant, actor.id)
            assert me is not None
            if key is not None:
                replay = idempotency.find(session, me, key, fingerprint)
            if replay is None:
                resource, op_ids = action(session, me)
                # The operations just written, handed to the relay without reading them again.
                created = [session.get(ChainOperation, op_id) for op_id in op_ids]
                if key is not None:
                    record_id = idempotency.remember(session, me, key, fingerprint, resource, op_ids).id
            else:
                resource, op_ids, record_id = replay.resource, list(replay.operation_ids), replay.id
                stored = (replay.status_code, replay.response)
                created = []
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as its replay (once;
        # any other integrity error the service's own checks missed surfaces as it is).
        if key is None or retried:
            raise
        return execute(runtime, request, payload, actor, action, render, once=once, retried=True)

    if replay is not None and stored[1] is not None:
        return JSONResponse(stored[1], status_code=stored[0] or 200)

    for operation in created or op_ids:
        runtime.relay.process(operation, timeout=runtime.receipt_timeout)

    with runtime.db.transaction() as session:
        ops = [session.get(ChainOperation, op_id) for op_id in op_ids]
        view = render(session, resource)
        failed = [op for op in ops if op is not None and op.status == "failed"]
        pending = [op for op in ops if op is not None and op.status in ("signed", "sent")]
        if failed:
            err = ChainRejected(
                f"the chain refused operation {failed[0].id} ({failed[0].kind}): {failed[0].error}",
                operation=failed[0].id,
                chain_error=failed[0].error_code,
                resource=view,
            )
            body_out: dict[str, Any] = {
                "error": {"code": err.code, "message": err.message, "details": err.details}
            }
            status = err.status
        else:
            body_out, status = view, (202 if pending else 201)
        if record_id is not None and not pending:
            idempotency.store_response(
                session, record_id, status, json.loads(json.dumps(body_out, default=str))
            )
    if once and status in (201, 202) and replay is None:
        body_out = {**body_out, **once}
    return JSONResponse(json.loads(json.dumps(body_out, default=str)), status_code=status)
