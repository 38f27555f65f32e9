"""Every lookup a registry operation makes is served by an index (SQLite's query plans).

A lookup without one scans its table, so the operation gets slower as the registry's history
grows: a spend summed its holder's pending requests over every credit request, an indexed
transfer loaded its batch's holdings over every holding, the relay read a sender's unsent
operations over all its nonces, an approval read its project's reports and batches over all
of them (migration 0019). This runs an issuance, a transfer and a retirement through the API,
records every statement, and asks SQLite for the plan of each."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from registry.models import Holding
from registry.runtime import Runtime
from tests.api.conftest import BOILER, Api

# Tables a full scan of is fine: they hold one row per deployment.
SMALL = {"registry_meta"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_issuance_a_transfer_and_a_retirement__look_up_nothing_by_scanning(
    api: Api, runtime: Runtime
) -> None:
    batch_id, owner, verifier = api.issued_batch(start="2025-01-01", end="2025-03-31")
    holder = api.participant(["holder"])
    project_id = api.get(f"/v1/batches/{batch_id}")["project"]["id"]
    report = api.ok(
        f"/v1/projects/{project_id}/reports",
        {"period_start": "2025-04-01", "period_end": "2025-06-30", "data": BOILER},
        owner["token"],
    )
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if not many:
            statements.append((statement, parameters))

    engines = [runtime.db.engine, runtime.db._read_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        issued = api.ok(
            f"/v1/reports/{report['id']}/verifications",
            {"decision": "approve", "reason": "ok"},
            verifier["token"],
        )
        assert issued["status"] == "issued", issued
        api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 100}, owner["token"])
        retired = api.ok(
            "/v1/retirements",
            {"batch_id": batch_id, "amount_kg": 10, "beneficiary": "plans", "purpose": "voluntary"},
            holder["token"],
        )
        assert retired["status"] == "confirmed", retired
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)

    scans = []
    with runtime.db.engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                continue
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters)).all()
            for row in plan:
                detail = str(row[-1])
                table = detail.split()[1] if detail.startswith("SCAN ") else None
                if table and table != "CONSTANT" and table not in SMALL:
                    scans.append(f"{detail}: {' '.join(statement.split())[:200]}")
    assert len(statements) > 40  # the three operations were recorded
    assert not scans, "\n".join(scans)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_transfer__reads_the_meta_row_once_per_transaction_and_not_the_operation_it_wrote(
    api: Api, runtime: Runtime
) -> None:
    """The relay's commit reads the index mark twice (where the index is, then to apply the
    block), and the command hands the relay the operation it just wrote: the session keeps
    both rows, which its identity map would drop in between (it holds an unchanged row only
    while something refers to it) and select again."""
    batch_id, owner, _ = api.issued_batch()
    holder = api.participant(["holder"])
    transactions: list[list[str]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.startswith("BEGIN"):
            transactions.append([])
        elif transactions:
            transactions[-1].append(statement)

    engines = [runtime.db.engine, runtime.db._read_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 100}, owner["token"])
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    meta_reads = [
        sum(1 for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM registry_meta" in s)
        for statements in transactions
    ]
    assert len(transactions) == 3, transactions  # the command, the relay's outcome, the answer
    assert meta_reads[:2] == [1, 1], meta_reads
    command = transactions[0]
    assert any(s.startswith("INSERT INTO chain_operations") for s in command), command
    assert not [s for s in command if s.startswith("SELECT chain_operations.id, chain_operations.kind")], (
        command
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_transfer__loads_its_sender_and_recipient_holdings_not_every_holders_of_the_batch(
    api: Api, runtime: Runtime
) -> None:
    """The index applied a transfer by loading every holding of its batch: a batch held by
    thousands made each of its transfers as slow as reading them all."""
    batch_id, owner, _ = api.issued_batch()
    holders = [api.participant(["holder"]) for _ in range(6)]
    for h in holders:
        api.ok("/v1/transfers", {"batch_id": batch_id, "to": h["id"], "amount_kg": 10}, owner["token"])
    loaded: list[tuple[str, int]] = []

    def on_load(holding: Holding, context: Any) -> None:
        loaded.append((holding.address, holding.batch_id))

    event.listen(Holding, "load", on_load)
    try:
        api.ok(
            "/v1/transfers",
            {"batch_id": batch_id, "to": holders[0]["id"], "amount_kg": 1},
            holders[1]["token"],
        )
    finally:
        event.remove(Holding, "load", on_load)
    assert sorted(loaded) == sorted((h["address"], batch_id) for h in holders[:2]), loaded
    holdings = {h["batch_id"]: h["amount_kg"] for h in api.get("/v1/holdings", holders[0]["token"])}
    assert holdings[batch_id] == 11
