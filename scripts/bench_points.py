#!/usr/bin/env python3
"""Benchmark of public points (R17): ingestion, the daily epoch, a proof.

Prints, for the machine it ran on:
  - records ingested per second (each valued by its scene's rules, deduplicated, capped per
    citizen and day and month, checked by the fraud rules, and written with its ledger
    postings), in batches of 10,000 as partners send them, through the registry's own
    ingestion function (no HTTP);
  - the time to build a points epoch over `--citizens` citizens (the ledger's balances summed
    per citizen, a leaf each, the Merkle tree and its root) and to anchor it on anvil;
  - the time to verify one citizen's proof (in Python, and by the contract's verifyPoints).

    .venv/bin/python scripts/bench_points.py [--records 100000] [--citizens 1000000] [--workers N ...]
        [--postgres]

Targets (../shared/TARGETS.md): >= 20,000 records/s on PostgreSQL; an epoch of 1,000,000 citizens
built and anchored in < 10 s; a proof verified in < 10 ms.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from chain import ChainClient  # noqa: E402
from chain.contracts import Tanhui  # noqa: E402
from chain.deploy import deploy  # noqa: E402
from chain.localnode import spawn_anvil  # noqa: E402
from chain.points import MerkleTree, leaf_hash, leaf_hashes  # noqa: E402
from chain.points import verify as verify_proof  # noqa: E402
from registry.db import Database  # noqa: E402
from registry.models import Citizen, LedgerPosting, PointsEpoch, PointsPartner  # noqa: E402
from registry.points import epochs, ingest  # noqa: E402


def pseudonyms(n: int) -> list[str]:
    return ["0x" + secrets.token_bytes(32).hex() for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="partners sending at once, a thread each (repeatable; default: 1, then 2 — both cores)",
    )
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server (tests/pg.py)")
    args = parser.parse_args()

    server = None
    if args.postgres:
        from tests.pg import PostgresServer

        server = PostgresServer()
        url = str(server.create_database())
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='tanhui-points-bench-')) / 'points.db'}"
    db = Database(url)
    db.migrate()
    workers = args.workers or [1, 2]
    rates: list[float] = []
    try:
        for i, n in enumerate(workers):
            # each run on a database of its own: the later run must not read the earlier's acts
            if i:
                db.dispose()
                url = str(server.create_database()) if server is not None else url.replace(".db", f"-{n}.db")
                db = Database(url)
                db.migrate()
            rates.append(bench_ingestion(db, args.records, n))
        build, anchor, proof_ms, contract_ms = bench_epoch(db, args.citizens)
    finally:
        db.dispose()
        if server is not None:
            server.stop()
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}")
    for n, rate in zip(workers, rates, strict=True):
        print(
            f"ingestion: {args.records} records in batches of {ingest.MAX_BATCH},"
            f" {n} partner(s) at once: {rate:,.0f} records/s"
        )
    print("  (target >= 20,000 on PostgreSQL)")
    print(
        f"epoch of {args.citizens:,} citizens: built and stored in {build:.2f} s, anchored in {anchor:.2f} s:"
        f" {build + anchor:.2f} s"
    )
    print("  (target < 10 s)")
    print(f"one proof verified: {proof_ms:.3f} ms in Python, {contract_ms:.1f} ms by the contract (JSON-RPC)")
    print("  (target < 10 ms)")


def bench_ingestion(db: Database, records: int, workers: int = 1) -> float:
    """Records per second through ingest.ingest, 1,000 citizens riding the metro and the bus.

    With `workers` > 1, as many partners send their batches at once (a thread each, as the
    service's workers would take them), each for its own 1,000 citizens."""
    citizens = 1_000
    now = datetime.now(UTC)
    partner_ids = []
    with db.transaction() as session:
        for w in range(workers):
            partner, _ = ingest.register_partner(
                session, "bench-secret", f"Bench Metro {w}", ["metro", "bus"]
            )
            partner_ids.append(partner.id)
            session.execute(
                insert(Citizen),
                [
                    {
                        "public_id": f"ctz_bench{w}_{i:07d}",
                        "pseudonym": p,
                        "salt": "00",
                        "token_hash": secrets.token_hex(32),
                        "created_at": now,
                    }
                    for i, p in enumerate(pseudonyms(citizens))
                ],
            )
    work: list[list[list[dict[str, Any]]]] = [[] for _ in range(workers)]
    for k, start in enumerate(range(0, records, ingest.MAX_BATCH)):
        w = k % workers
        batch = []
        for i in range(start, min(records, start + ingest.MAX_BATCH)):
            metro = i % 3 != 0
            batch.append(
                {
                    "id": f"r{i}",
                    "citizen": f"ctz_bench{w}_{i % citizens:07d}",
                    "scene": "metro" if metro else "bus",
                    "quantity": "4.2",
                    "occurred_at": (now - timedelta(days=(i // citizens) % 60, minutes=i % 1440)).isoformat(),
                    **({} if metro else {"detail": {"propulsion": "battery_electric"}}),
                }
            )
        work[w].append(batch)

    def send(partner_id: int, batches: list[list[dict[str, Any]]]) -> int:
        accepted = 0
        for batch in batches:
            with db.transaction() as session:
                partner = session.get(PointsPartner, partner_id)
                assert partner is not None
                accepted += sum(1 for o in ingest.ingest(session, partner, batch) if o.status == "accepted")
        return accepted

    started = time.perf_counter()
    if workers == 1:
        accepted = send(partner_ids[0], work[0])  # in this thread: what a profiler sees
    else:
        with ThreadPoolExecutor(workers) as pool:
            accepted = sum(pool.map(send, partner_ids, work))
    elapsed = time.perf_counter() - started
    print(f"  ({accepted} of {records} accepted; the rest over a cap or duplicate trips, as the rules say)")
    return records / elapsed


def bench_epoch(db: Database, n: int) -> tuple[float, float, float, float]:
    """Builds an epoch over `n` citizens (one earning each) and anchors its root on anvil."""
    now = datetime.now(UTC)
    first = 1_000_000_000
    names = pseudonyms(n)
    with db.transaction() as session:
        for start in range(0, n, 50_000):
            session.execute(
                insert(Citizen),
                [
                    {
                        "id": first + i,
                        "public_id": f"ctz_e{i:010d}",
                        "pseudonym": names[i],
                        "salt": "00",
                        "token_hash": f"{first + i:064x}",
                        "created_at": now,
                    }
                    for i in range(start, min(n, start + 50_000))
                ],
            )
            session.execute(
                insert(LedgerPosting),
                [
                    {
                        "txn": f"bench-{i}",
                        "kind": "earn",
                        "account": f"citizen:{first + i}",
                        "citizen_id": first + i,
                        "points": 10 + i % 500,
                        "grams": 100 + i % 5000,
                        "created_at": now,
                    }
                    for i in range(start, min(n, start + 50_000))
                ],
            )
    started = time.perf_counter()
    with db.reading() as session:
        leaves = epochs._cumulative(session, datetime.now(UTC) + timedelta(seconds=1))
    summed = time.perf_counter() - started
    hashes = leaf_hashes([(bytes.fromhex(p[2:]), b, g) for p, _, b, g in leaves])
    hashed = time.perf_counter() - started - summed
    tree = MerkleTree.build(hashes)
    build = time.perf_counter() - started
    print(
        f"  (balances summed in {summed:.2f} s, leaves hashed in {hashed:.2f} s,"
        f" tree built in {build - summed - hashed:.2f} s)"
    )
    # The leaves are kept with the epoch (registry/points/epochs.py): what each proof is cut from.
    started = time.perf_counter()
    with db.transaction() as session:
        session.add(
            PointsEpoch(
                epoch=1,
                day=now.date(),
                root="0x" + tree.root.hex(),
                leaf_count=len(leaves),
                total_points=0,
                total_grams=0,
                built_at=now,
            )
        )
        session.flush()
        epochs.store_leaves(session, 1, leaves)
    stored = time.perf_counter() - started
    print(f"  (leaves stored with the epoch in {stored:.2f} s: one row of packed arrays)")

    node = spawn_anvil()
    try:
        client = ChainClient.connect(node.url)
        deployment = deploy(client, client.default_signer(), admin_delay=3600)
        tanhui = Tanhui(client, deployment)
        started = time.perf_counter()
        total_points = sum(b for _, _, b, _ in leaves)
        total_grams = sum(g for _, _, _, g in leaves)
        call = tanhui.anchor_points_epoch(1, tree.root, len(leaves), total_points, total_grams)
        client.transact(call, client.default_signer())
        anchor = time.perf_counter() - started
        index = len(leaves) // 2
        pseudonym, _, points, grams = leaves[index]
        proof = tree.proof(index)
        started = time.perf_counter()
        for _ in range(100):
            assert verify_proof(tree.root, leaf_hash(bytes.fromhex(pseudonym[2:]), points, grams), proof)
        proof_ms = (time.perf_counter() - started) * 10
        started = time.perf_counter()
        assert tanhui.verify_points(1, bytes.fromhex(pseudonym[2:]), points, grams, proof)
        contract_ms = (time.perf_counter() - started) * 1000
    finally:
        node.stop()
    return build + stored, anchor, proof_ms, contract_ms


if __name__ == "__main__":
    main()
