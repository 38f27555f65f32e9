"""The idempotency records, against a real database (SQLite and PostgreSQL): a key belongs to a
participant, the same key with another request is a conflict naming the key, and a replay
returns the first final answer even after the resource changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry import idempotency
from registry.errors import IdempotencyKeyReused, InvalidRequest
from registry.models import IdempotencyRecord, Participant
from registry.runtime import Runtime, bootstrap
from tests.api.conftest import Api


def two_participants(runtime: Runtime) -> tuple[Participant, Participant]:
    bootstrap(runtime)
    from registry import participants

    with runtime.db.transaction() as session:
        a, _, _ = participants.register(session, runtime.outbox, name="A", kind="person", roles=["holder"])
        b, _, _ = participants.register(session, runtime.outbox, name="B", kind="person", roles=["holder"])
        session.expunge_all()
        return a, b


def test_find__a_key_belongs_to_its_participant_and_to_itself(runtime: Runtime) -> None:
    a, b = two_participants(runtime)
    with runtime.db.transaction() as session:
        idempotency.remember(session, a, "k1", "f1", "credit_request:1", [11])
    with runtime.db.transaction() as session:
        found = idempotency.find(session, a, "k1", "f1")
        assert found is not None and (found.resource, found.operation_ids) == ("credit_request:1", [11])
        assert idempotency.find(session, b, "k1", "f1") is None  # another participant's key is its own
        assert idempotency.find(session, a, "k2", "f1") is None  # another key of the same participant


def test_find__the_same_key_with_another_request_is_a_conflict_naming_the_key(runtime: Runtime) -> None:
    a, _ = two_participants(runtime)
    with runtime.db.transaction() as session:
        idempotency.remember(session, a, "k1", "f1", "participant:x", [])
    with runtime.db.transaction() as session, pytest.raises(IdempotencyKeyReused) as refused:
        idempotency.find(session, a, "k1", "another body")
    assert refused.value.details == {"key": "k1"}
    assert "'k1' was used for a different request" in refused.value.message


def test_store_response__keeps_the_first_final_answer(runtime: Runtime) -> None:
    a, _ = two_participants(runtime)
    with runtime.db.transaction() as session:
        record_id = idempotency.remember(session, a, "k1", "f1", "participant:x", []).id
    with runtime.db.transaction() as session:
        idempotency.store_response(session, record_id, "confirmed", {"answer": 1})
    with runtime.db.transaction() as session:
        idempotency.store_response(session, record_id, "rejected", {"answer": 2})  # never overwrites
    with runtime.db.transaction() as session:
        record = idempotency.find(session, a, "k1", "f1")
        assert record is not None and (record.outcome, record.response) == ("confirmed", {"answer": 1})


@pytest.mark.parametrize("key", ["", "k" * 201, "tab\tinside", "new\nline"])
def test_check_key__refuses_what_is_not_1_to_200_printable_characters(key: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        idempotency.check_key(key)
    assert refused.value.details == {"field": "Idempotency-Key"}
    assert refused.value.message == "an Idempotency-Key is 1 to 200 printable characters"


def test_request_hash__differs_by_method_path_and_body_and_ignores_method_case() -> None:
    base = idempotency.request_hash("POST", "/v1/transfers", b"{}")
    assert base == idempotency.request_hash("post", "/v1/transfers", b"{}")
    assert len({base, idempotency.request_hash("PUT", "/v1/transfers", b"{}"),
                idempotency.request_hash("POST", "/v1/retirements", b"{}"),
                idempotency.request_hash("POST", "/v1/transfers", b"{ }")}) == 4  # fmt: skip


def test_spends_with_a_key__the_record_names_the_credit_request_and_its_operation(
    api: Api, runtime: Runtime
) -> None:
    """What a key created, as an operator reads it from the records: ``credit_request:<id>``."""
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    moved = api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 5}, owner["token"], key="t-1"
    )
    retired = api.ok(
        "/v1/retirements",
        {"batch_id": batch_id, "amount_kg": 2, "beneficiary": "Keyed", "purpose": "voluntary"},
        owner["token"],
        key="r-1",
    )
    with runtime.db.transaction() as session:
        keyed = select(IdempotencyRecord).where(IdempotencyRecord.key.in_(["t-1", "r-1"]))
        records = {r.key: (r.resource, r.operation_ids) for r in session.execute(keyed).scalars()}
    assert records == {
        "t-1": (f"credit_request:{moved['id']}", [moved["operation"]["id"]]),
        "r-1": (f"credit_request:{retired['id']}", [retired["operation"]["id"]]),
    }
