"""Every kind of drift reconcile claims to find, injected one at a time into a real registry's
database: reconcile must name the record and the field, and fail; undone, it is clean again.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.models import (
    Batch,
    ChainAnomaly,
    ChainOperation,
    Claim,
    FrozenAccount,
    Holding,
    Participant,
    RegistryMeta,
    Retirement,
)
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api


@dataclass
class World:
    """A registry with one batch, a transfer, a retirement with every detail, a frozen account."""

    batch_id: int
    certificate_id: int
    owner: dict[str, Any]
    buyer: dict[str, Any]
    frozen: dict[str, Any]
    operation_id: int
    claim: dict[str, Any]  # closed as neutral, offset by the buyer
    claim_row: int
    claim_certificate: int


@pytest.fixture
def world(api: Api, runtime: Runtime) -> World:
    batch_id, owner, verifier = api.issued_batch()
    buyer = api.participant(["holder"])
    frozen = api.participant(["holder"])
    supervisor = api.participant(["supervisor"])
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1000}, owner["token"])
    retirement = api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": 250,
            "beneficiary": "Drift fair",
            "purpose": "event_neutrality",
            "event_id": "drift-2025",
            "jurisdiction": "CN-SC",
            "consumption_start": "2025-05-01",
            "consumption_end": "2025-05-02",
            "note": "all details",
        },
        buyer["token"],
    )
    claim = api.ok(
        "/v1/claims",
        {
            "kind": "organisation",
            "subject": "Drift fair's organiser",
            "period_start": "2025-05-01",
            "period_end": "2025-05-31",
            "footprint_methodology": {"code": "TH-FP-ORG-001", "version": 1},
        },
        buyer["token"],
    )
    activity = {
        "purchased_electricity_kwh": "2000",
        "purchased_heat_gj": "0",
        "natural_gas_m3": "0",
        "diesel_litres": "0",
    }
    claim = api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, buyer["token"])
    api.ok(
        f"/v1/claims/{claim['id']}/verifications", {"decision": "approve", "reason": "ok"}, verifier["token"]
    )
    offset = api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": claim["required_kg"],
            "beneficiary": "Drift fair's organiser",
            "purpose": "organisation_neutrality",
            "event_id": claim["id"],
        },
        buyer["token"],
    )
    claim = api.ok(f"/v1/claims/{claim['id']}/close", None, buyer["token"])
    api.ok(f"/v1/supervision/accounts/{frozen['id']}/freeze", {"reason": "dispute"}, supervisor["token"])
    report = reconcile(runtime)
    assert report.ok, report.differences
    with runtime.db.transaction() as session:
        claim_row = session.execute(select(Claim.id).where(Claim.public_id == claim["id"])).scalar_one()
    return World(
        batch_id,
        retirement["certificate_id"],
        owner,
        buyer,
        frozen,
        retirement["operation"]["id"],
        claim,
        claim_row,
        offset["certificate_id"],
    )


Change = Callable[[Session, World], Callable[[Session], None]]


def setting(model: Any, key: Callable[[World], Any], attribute: str, value: Any) -> Change:
    """A change of one column of one row (returns how to undo it)."""

    def change(session: Session, w: World) -> Callable[[Session], None]:
        row = session.get(model, key(w))
        assert row is not None
        before = getattr(row, attribute)
        setattr(row, attribute, value(before) if callable(value) else value)
        pk = key(w)

        def undo(s: Session) -> None:
            setattr(s.get(model, pk), attribute, before)

        return undo

    return change


def deleting(model: Any, key: Callable[[World], Any]) -> Change:
    def change(session: Session, w: World) -> Callable[[Session], None]:
        row = session.get(model, key(w))
        assert row is not None
        values = {c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs}
        session.delete(row)
        return lambda s: s.add(model(**values))

    return change


def adding(make: Callable[[World], Any]) -> Change:
    def change(session: Session, w: World) -> Callable[[Session], None]:
        row = make(w)
        session.add(row)
        session.flush()
        identity = row.__mapper__.primary_key_from_instance(row)
        model = type(row)
        return lambda s: s.delete(s.get(model, tuple(identity) if len(identity) > 1 else identity[0]))

    return change


def batch(w: World) -> int:
    return w.batch_id


def cert(w: World) -> int:
    return w.certificate_id


def buyer_holding(w: World) -> tuple[str, int]:
    return (w.buyer["address"], w.batch_id)


def plus(n: int) -> Callable[[int], int]:
    return lambda v: v + n


# (what drifts, the change, the subject reconcile names (a function of the world), the field)
CASES: list[tuple[str, Change, Callable[[World], str], str]] = [
    (
        "batch issued",
        setting(Batch, batch, "issued_kg", plus(5)),
        lambda w: f"batch {w.batch_id}",
        "issued_kg",
    ),
    (
        "batch retired",
        setting(Batch, batch, "retired_kg", plus(1)),
        lambda w: f"batch {w.batch_id}",
        "retired_kg",
    ),
    (
        "batch invalidated",
        setting(Batch, batch, "invalidated_kg", plus(2)),
        lambda w: f"batch {w.batch_id}",
        "invalidated_kg",
    ),
    ("batch frozen", setting(Batch, batch, "frozen", True), lambda w: f"batch {w.batch_id}", "frozen"),
    (
        "batch report",
        setting(Batch, batch, "report_hash", "0x" + "12" * 32),
        lambda w: f"batch {w.batch_id}",
        "report_hash",
    ),
    (
        "batch project",
        setting(Batch, batch, "project_hash", "0x" + "34" * 32),
        lambda w: f"batch {w.batch_id}",
        "project",
    ),
    (
        "batch period",
        setting(Batch, batch, "period_end", plus(86_400)),
        lambda w: f"batch {w.batch_id}",
        "period",
    ),
    ("a batch missing", deleting(Batch, batch), lambda w: "batches", "count"),
    (
        "a holding changed",
        setting(Holding, buyer_holding, "amount_kg", plus(5)),
        lambda w: f"holding {w.buyer['address']} batch {w.batch_id}",
        "amount_kg",
    ),
    (
        "a holding missing",
        deleting(Holding, buyer_holding),
        lambda w: f"holding {w.buyer['address']} batch {w.batch_id}",
        "amount_kg",
    ),
    (
        "a holding extra",
        adding(lambda w: Holding(address=w.frozen["address"], batch_id=w.batch_id, amount_kg=9)),
        lambda w: f"holding {w.frozen['address']} batch {w.batch_id}",
        "amount_kg",
    ),
    ("a certificate missing", deleting(Retirement, cert), lambda w: "retirements", "count"),
    *[
        (
            f"certificate {field}",
            setting(Retirement, cert, field, value),
            lambda w: f"certificate {w.certificate_id}",
            field,
        )
        for field, value in [
            ("holder", "0x" + "56" * 20),
            ("batch_id", plus(1)),
            ("serial_first", plus(1)),
            ("serial_last", plus(1)),
            ("purpose", "voluntary"),
            ("block_number", plus(1)),
            ("retired_at", plus(1)),
            ("beneficiary", "Someone else"),
            ("event_id", "0x" + "78" * 32),
            ("jurisdiction", "CN-BJ"),
            ("consumption_start", plus(86_400)),
            ("consumption_end", plus(86_400)),
            ("note", "edited"),
        ]
    ],
    (
        # Recorded as retired a block early: the certificate's event is not where the index says.
        "a certificate's event missing",
        setting(Retirement, cert, "block_number", plus(-1)),
        lambda w: f"certificate {w.certificate_id}",
        "CreditsRetired event",
    ),
    (
        "registry paused",
        setting(RegistryMeta, lambda w: 1, "registry_paused", True),
        lambda w: "registry contract",
        "paused",
    ),
    (
        "credits paused",
        setting(RegistryMeta, lambda w: 1, "credits_paused", True),
        lambda w: "credits contract",
        "paused",
    ),
    (
        "an account frozen only in the index",
        adding(lambda w: FrozenAccount(address=w.buyer["address"], reason="x", block_number=1)),
        lambda w: f"account {w.buyer['address']}",
        "frozen",
    ),
    (
        "a frozen account missing from the index",
        deleting(FrozenAccount, lambda w: w.frozen["address"]),
        lambda w: f"account {w.frozen['address']}",
        "frozen",
    ),
    (
        "an operation confirmed in another block",
        setting(ChainOperation, lambda w: w.operation_id, "block_number", plus(1)),
        lambda w: f"operation {w.operation_id}",
        "receipt",
    ),
    (
        "an operation mined but recorded failed",
        setting(ChainOperation, lambda w: w.operation_id, "status", "failed"),
        lambda w: f"operation {w.operation_id}",
        "receipt",
    ),
    (
        "an operation mined but recorded pending",
        setting(ChainOperation, lambda w: w.operation_id, "status", "sent"),
        lambda w: f"operation {w.operation_id}",
        "receipt",
    ),
    *[
        (
            f"claim {field}",
            setting(Claim, lambda w: w.claim_row, attribute, value),
            lambda w: f"claim {w.claim['id']}",
            field,
        )
        for field, attribute, value in [
            ("footprint_kg", "footprint_kg", plus(1)),
            ("required_kg", "required_kg", plus(1)),
            ("footprint_hash", "footprint_hash", "0x" + "bc" * 32),
            ("retired_kg_at_close", "retired_at_close", plus(1)),
            ("closed_block", "closed_block", plus(1)),
            ("closed", "status", "verified"),
        ]
    ],
    (
        "a retirement against a claim, indexed against another",
        setting(Retirement, lambda w: w.claim_certificate, "event_id", "0x" + "de" * 32),
        lambda w: f"claim {w.claim['id']}",
        "retired_kg",
    ),
    (
        "the chain without the index's last block",
        setting(RegistryMeta, lambda w: 1, "indexed_block_hash", "0x" + "9a" * 32),
        lambda w: "block",  # the index's last block, whatever its number: checked below
        "hash",
    ),
]


# Drift that also breaks an invariant of the index: reconcile names the invariant too (the
# invariants are pure functions; switched off, these fail on either database).
INVARIANTS = {
    "batch issued": ("batch {batch}", "invariant: conservation"),
    "a holding changed": ("batch {batch}", "invariant: conservation"),
    "a holding extra": ("batch {batch}", "invariant: conservation"),
    "certificate serial_first": ("certificate {cert}", "invariant: serial blocks"),
    "certificate serial_last": ("certificate {cert}", "invariant: serial blocks"),
}


# Drift where one side has no record at all (reconcile shows it as None).
MISSING_IN_DATABASE = {"a holding missing"}
MISSING_ON_CHAIN = {"a certificate's event missing"}
# What reconcile shows on the side that has the record, where it is not a stored value.
SHOWN = {"a certificate's event missing": ("present", None)}


def test_reconcile__names_every_kind_of_drift(
    world: World, runtime: Runtime, subtests: pytest.Subtests
) -> None:
    for name, change, subject, field in CASES:
        with subtests.test(name):
            with runtime.db.transaction() as session:
                undo = change(session, world)
            try:
                report = reconcile(runtime)
            finally:
                with runtime.db.transaction() as session:
                    undo(session)
            assert not report.ok
            named = [(d["subject"], d["field"]) for d in report.differences]
            if field == "hash":  # the block is the index's last one
                assert any(s.startswith("block ") and f == "hash" for s, f in named), named
                found = next(d for d in report.differences if d["field"] == "hash")
            else:
                assert (subject(world), field) in named, named
                found = next(
                    d for d in report.differences if (d["subject"], d["field"]) == (subject(world), field)
                )
            # Both sides shown, and differing: what the database holds, what the chain says
            # (None only where a side has no such record at all).
            assert found["database"] != found["chain"], found
            assert found["database"] is not None or name in MISSING_IN_DATABASE, found
            assert found["chain"] is not None or name in MISSING_ON_CHAIN, found
            if name in SHOWN:
                assert (found["database"], found["chain"]) == SHOWN[name], found
            if name in INVARIANTS:
                who, invariant = INVARIANTS[name]
                assert (who.format(batch=world.batch_id, cert=world.certificate_id), invariant) in named, (
                    named
                )
    assert reconcile(runtime).ok


def test_reconcile__names_a_participants_standing(world: World, runtime: Runtime) -> None:
    with runtime.db.transaction() as session:
        p = session.execute(
            select(Participant).where(Participant.public_id == world.buyer["id"])
        ).scalar_one()
        p.chain_status = "suspended"  # type: ignore[assignment]
    report = reconcile(runtime)
    assert {
        "subject": f"participant {world.buyer['id']}",
        "field": "chain_status",
        "database": "suspended",
        "chain": "active",
    } in report.differences, report.differences
    assert not report.ok


def test_reconcile__lists_anomalies_without_failing(world: World, runtime: Runtime) -> None:
    with runtime.db.transaction() as session:
        session.add(
            ChainAnomaly(
                block_number=1,
                log_index=0,
                tx_hash=None,
                event="TransferSingle",
                action="skipped",
                reason="id out of range",
                data={"id": str(2**255)},
            )
        )
    report = reconcile(runtime)
    assert report.ok and report.anomalies == [
        {
            "block_number": 1,
            "log_index": 0,
            "tx_hash": None,
            "event": "TransferSingle",
            "action": "skipped",
            "reason": "id out of range",
            "data": {"id": str(2**255)},
        }
    ]
    with runtime.db.transaction() as session:
        session.execute(delete(ChainAnomaly))
