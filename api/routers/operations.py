from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentParticipant, RuntimeDep, SerialId
from api.responses import OperationOut, errors
from registry import outbox

router = APIRouter(prefix="/v1/operations", tags=["operations"])


@router.get(
    "/{operation_id}",
    response_model=OperationOut,
    responses=errors(401, 403, 404, 422),
    summary="A chain operation of the outbox: its transaction and status",
    description="Visible to the operation's sender, the registrar and supervisors.",
)
def get_operation(operation_id: SerialId, runtime: RuntimeDep, actor: CurrentParticipant) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return outbox.operation_for(session, actor, operation_id)
