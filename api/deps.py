"""Dependencies of the routes: the runtime, the authenticated participant, role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from registry import participants
from registry.models import Participant
from registry.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_participant(request: Request, runtime: RuntimeDep) -> Participant:
    with runtime.db.transaction() as session:
        participant = participants.authenticate(session, _bearer(request))
        session.expunge(participant)
        return participant


CurrentParticipant = Annotated[Participant, Depends(current_participant)]


def requires(*roles: str) -> Callable[[Participant], Participant]:
    """A dependency admitting participants with one of `roles` (401 without a token, 403 without the role)."""

    def check(participant: CurrentParticipant) -> Participant:
        participants.require_role(participant, *roles)
        return participant

    return check
