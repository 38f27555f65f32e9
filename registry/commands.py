"""Running a chain-changing command, the same way from HTTP, the command line and tests.

1. In one database transaction: look up the idempotency key (a replay, or a conflict), run the
   use case (domain change + signed chain operations), remember the key with the resource.
2. After the commit: the relay sends the operations and confirms them; the index catches up.
3. Render the resource, and store the answer under the key once its operations are final.

An answer is ``confirmed`` when every operation is confirmed (or none was needed), ``pending``
while one is still pending (the relay finishes it), and ``rejected`` with the chain's error
when one failed. The HTTP layer maps them to 201, 202 and 409.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chain.client import ChainClient
from registry import idempotency as keys
from registry.db import Database, loaded
from registry.errors import ChainRejected
from registry.models import ChainOperation, Participant
from registry.relay import Index, Relay
from registry.states import PENDING_OPERATIONS, OperationStatus


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    PENDING = "pending"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Resource:
    """What a command created or changed, as ``kind:id`` (kept with an idempotency key)."""

    kind: str
    id: str | int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Resource:
        kind, _, ident = text.partition(":")
        return cls(kind, ident)


@dataclass(frozen=True)
class Done:
    """What a use case's action did: the resource, and the chain operations it recorded."""

    resource: Resource
    operations: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key for a request, and the fingerprint of the request it was first used with."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    body: dict[str, Any]


Action = Callable[[Session, Participant], Done]
Render = Callable[[Session, Resource], dict[str, Any]]


class Commands:
    """Runs use cases' actions with idempotency, the outbox and the relay."""

    def __init__(
        self,
        db: Database,
        relay: Relay,
        client: ChainClient,
        index: Index,
        *,
        prepare: Callable[[Participant], None] | None = None,
    ) -> None:
        self._db = db
        # Run for the actor before the command's transaction: work that needs no database and
        # would otherwise be done holding its write lock (decrypting the actor's key).
        self._prepare = prepare
        self._transaction = db.transaction
        self._relay = relay
        self._client = client
        self._index = index
        self._outages_seen = client.outages

    @property
    def db(self) -> Database:
        return self._db

    def drive(self, op_ids: list[int]) -> None:
        """Sends and confirms operations recorded outside a command (as a command's are)."""
        self._relay.process_all(op_ids)

    def _after_outage(self) -> None:
        """A node that was unreachable may have come back from an older state, and the checks a
        command makes from the index would be made against blocks the chain lost: first make
        sure the chain still has what the index applied (see registry/recovery.py)."""
        outages = self._client.outages
        if outages != self._outages_seen:
            self._index.check_chain()
            self._outages_seen = outages

    def run(
        self,
        actor: Participant,
        action: Action,
        render: Render,
        *,
        idempotency: IdempotencyKey | None = None,
        once: dict[str, Any] | None = None,
        _retried: bool = False,
    ) -> Answer:
        """Runs `action` exactly once per idempotency key. `once` holds fields shown only in the
        first answer (an API token), never stored."""
        if idempotency is not None:
            keys.check_key(idempotency.key)
        self._after_outage()
        if self._prepare is not None:
            self._prepare(actor)
        record_id: int | None = None
        replayed = False
        created: list[ChainOperation | None] = []
        unsent: dict[int, list[int]] = {}
        try:
            with self._transaction() as session:
                me = loaded(session, Participant, actor.id)
                assert me is not None
                replay = None
                if idempotency is not None:
                    replay = keys.find(session, me, idempotency.key, idempotency.fingerprint)
                if replay is None:
                    done = action(session, me)
                    resource, op_ids = done.resource, list(done.operations)
                    # The operations just written, handed to the relay without reading them again.
                    created = [loaded(session, ChainOperation, op_id) for op_id in op_ids]
                    # And the sender's earlier nonces still unsent, read now rather than by the
                    # relay in a transaction of its own.
                    unsent = {
                        op.id: self._relay.unsent_before(session, op)
                        for op in created
                        if op is not None and op.depends_on_id is None
                    }
                    if idempotency is not None:
                        record = keys.remember(
                            session, me, idempotency.key, idempotency.fingerprint, str(resource), op_ids
                        )
                        record_id = record.id
                else:
                    replayed = True
                    resource, op_ids, record_id = (
                        Resource.parse(replay.resource),
                        list(replay.operation_ids),
                        replay.id,
                    )
                    if replay.response is not None and replay.outcome is not None:
                        return Answer(Outcome(replay.outcome), replay.response)
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as its replay (once;
            # any other integrity error the service's own checks missed surfaces as it is).
            if idempotency is None or _retried:
                raise
            return self.run(actor, action, render, idempotency=idempotency, once=once, _retried=True)

        self._relay.process_all([op for op in created if op is not None] or op_ids, unsent=unsent)

        # Rendered from a read (no write lock) unless the answer is stored under its key.
        with self._transaction() if record_id is not None else self._db.reading() as session:
            ops = [loaded(session, ChainOperation, op_id) for op_id in op_ids]
            view = render(session, resource)
            failed = [op for op in ops if op is not None and op.status == OperationStatus.FAILED]
            pending = [op for op in ops if op is not None and op.status in PENDING_OPERATIONS]
            if failed:
                err = ChainRejected(
                    f"the chain refused operation {failed[0].id} ({failed[0].kind}): {failed[0].error}",
                    operation=failed[0].id,
                    chain_error=failed[0].error_code,
                    resource=view,
                )
                body: dict[str, Any] = {
                    "error": {"code": err.code, "message": err.message, "details": err.details}
                }
                outcome = Outcome.REJECTED
            else:
                body, outcome = view, (Outcome.PENDING if pending else Outcome.CONFIRMED)
            body = json.loads(json.dumps(body, default=str))
            if record_id is not None and not pending:
                keys.store_response(session, record_id, str(outcome), body)
        if once and outcome != Outcome.REJECTED and not replayed:
            body = {**body, **once}
        return Answer(outcome, body)
