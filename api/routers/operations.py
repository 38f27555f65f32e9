from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentParticipant, RuntimeDep, SerialId
from registry.errors import Forbidden, NotFound
from registry.models import ChainOperation
from registry.outbox import describe

router = APIRouter(prefix="/v1/operations", tags=["operations"])


@router.get(
    "/{operation_id}",
    summary="A chain operation of the outbox: its transaction and status (its sender, the registrar or a supervisor)",
)
def get_operation(operation_id: SerialId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        op = session.get(ChainOperation, operation_id)
        if op is None:
            raise NotFound(f"no chain operation {operation_id}")
        if op.sender != actor.address and not actor.role_names & {"registrar", "supervisor"}:
            raise Forbidden("only the operation's sender, the registrar or a supervisor may see it")
        return describe(op)
