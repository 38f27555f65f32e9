"""The fast paths of public points (issue #10's speed aims), each against what it replaced:

- ``Scene.grams_points`` (valuation without the audit trail) gives ``Scene.value``'s numbers
  and refusals;
- ``epochs._cumulative`` (two scans read from the driver) gives what the join, grouping and
  sort through the ORM gave: the same citizens, sums and pseudonym order;
- ``epochs.store_leaves`` (one row of packed arrays) and the ingestion's COPY of acts and postings
  (ids drawn from the sequence first) store exactly the rows, awkward text included;

on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import case, func, insert, select

from registry.db import Database
from registry.models import Citizen, LedgerPosting, PointsAct, PointsEpoch, PointsEpochLeaves, PointsPartner
from registry.points import epochs, ingest, scenes, valuation

SECRET = "bulk-secret"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


# -- valuation without the audit trail -----------------------------------------------------------

DETAILS: dict[str, dict[str, str]] = {
    "bus": {"propulsion": "battery_electric"},
    "household_electricity": {"baseline_kwh": "260"},
    "certified_purchase": {"scene": "scn_x", "goods": "green_produce"},
}


@pytest.mark.parametrize("code", valuation.scene_codes())
@pytest.mark.parametrize(
    "qty", ["0", "-1", "0.0001", "0.2", "1", "4.2", "12.5", "37", "99.999", "260", "5000"]
)
def test_grams_points__are_value_s_numbers_and_refusals(code: str, qty: str) -> None:
    scene = scenes.get(code)
    act = scenes.Act(code, Decimal(qty), scene.unit, DETAILS.get(code, {}))
    try:
        full = scene.value(act)
    except scenes.ActRefused as refused:
        with pytest.raises(scenes.ActRefused) as quiet:
            scene.grams_points(act)
        assert quiet.value.reason == refused.reason
    else:
        assert scene.grams_points(act) == (full.grams, full.points)
        assert valuation.value(code, Decimal(qty), DETAILS.get(code)) == (full.grams, full.points)


# -- the epoch's balances and its leaves ---------------------------------------------------------


def _reference(db: Database, until: datetime) -> list[tuple[str, int, int, int]]:
    """The query _cumulative replaced: one join, grouping and sort."""
    with db.reading() as session:
        rows = session.execute(
            select(
                Citizen.pseudonym,
                Citizen.id,
                func.sum(LedgerPosting.points),
                func.sum(case((LedgerPosting.kind.in_(("earn", "reverse")), LedgerPosting.grams), else_=0)),
            )
            .join(LedgerPosting, LedgerPosting.citizen_id == Citizen.id)
            .where(LedgerPosting.created_at < until)
            .group_by(Citizen.id, Citizen.pseudonym)
            .order_by(Citizen.pseudonym)
        ).tuples()
        return [(p, int(c), int(b), int(g)) for p, c, b, g in rows]


def test_cumulative__same_citizens_sums_and_order_as_the_join(db: Database) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    until = now - timedelta(hours=1)
    kinds = ["earn", "redeem", "expire", "reverse", "refund", "earn"]
    with db.transaction() as session:
        session.execute(
            insert(Citizen),
            [
                {
                    "id": 10 + i,
                    "public_id": f"ctz_b{i:03d}",
                    # pseudonyms out of id order, so that the order must come from the sort
                    "pseudonym": "0x" + f"{(i * 37) % 101:02x}" * 32,
                    "salt": "00",
                    "token_hash": f"{i:064x}",
                    "created_at": now,
                }
                for i in range(60)
            ],
        )
        postings: list[dict[str, Any]] = []
        for i in range(60):
            if i % 7 == 0:
                continue  # no postings: no leaf
            for k in range(i % 5 + 1):
                kind = kinds[(i + k) % len(kinds)]
                sign = 1 if kind in ("earn", "refund") else -1
                postings.append(
                    {
                        "txn": f"t-{i}-{k}",
                        "kind": kind,
                        "account": f"citizen:{10 + i}",
                        "citizen_id": 10 + i,
                        "points": sign * (i + k + 1),
                        "grams": sign * (10 * i + k),
                        # the last citizen's postings all come after the closing: no leaf
                        "created_at": now if i == 59 else until - timedelta(seconds=i + k + 1),
                    }
                )
        # A posting after the closing is not counted; one on no citizen's account is not either.
        postings.append({**postings[0], "txn": "late", "points": 1000, "created_at": until})
        postings.append({**postings[0], "txn": "scheme", "account": "scheme:issued", "citizen_id": None})
        session.execute(insert(LedgerPosting), postings)
    expected = _reference(db, until)
    with db.reading() as session:
        got = epochs._cumulative(session, until)
    assert got == expected
    assert len(got) == 60 - 9 - 1  # 9 citizens without postings, one with only late ones
    assert [p for p, *_ in got] == sorted(p for p, *_ in got)


def test_store_leaves__packed_arrays_in_their_order(db: Database) -> None:
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.execute(
            insert(Citizen),
            [
                {
                    "id": 100 + i,
                    "public_id": f"ctz_l{i:03d}",
                    "pseudonym": f"0x{i:064x}",
                    "salt": "00",
                    "token_hash": f"{i:064x}",
                    "created_at": now,
                }
                for i in range(5)
            ],
        )
        session.add(
            PointsEpoch(
                epoch=1, day=date(2026, 1, 1), root="0x" + "00" * 32, leaf_count=5, total_points=0,
                total_grams=0, built_at=now,
            )
        )  # fmt: skip
        session.flush()
        leaves = [(f"0x{i:064x}", 104 - i, 2**62 + i, i) for i in range(5)]
        epochs.store_leaves(session, 1, leaves)
    with db.reading() as session:
        row = session.execute(select(PointsEpochLeaves).where(PointsEpochLeaves.epoch == 1)).scalar_one()
        assert row.leaf_count == 5
        # little-endian signed 64-bit, whatever the machine: read here without the module's helper
        ids, points, grams = (
            [int.from_bytes(data[i : i + 8], "little", signed=True) for i in range(0, len(data), 8)]
            for data in (row.citizen_ids, row.points, row.grams)
        )
    assert list(zip(ids, points, grams, strict=True)) == [(cid, pts, g) for _, cid, pts, g in leaves]
    assert epochs.unpack(epochs.pack([-1, 2**63 - 1, -(2**63)])).tolist() == [-1, 2**63 - 1, -(2**63)]


def test_proof__cut_from_the_stored_leaves_once_the_kept_tree_is_gone(db: Database) -> None:
    """A proof served after a restart (nothing kept in memory) is read back from the packed
    row: every citizen's proof verifies against the root, with its own points and grams; a
    citizen without a leaf is a 404, not another's proof."""
    from chain.points import MerkleTree, leaf_hash, leaf_hashes
    from chain.points import verify as verify_proof
    from registry.errors import NotFound

    now = datetime.now(UTC)
    pseudonyms = [f"0x{(7 * i + 3):064x}" for i in range(9)]
    with db.transaction() as session:
        session.execute(
            insert(Citizen),
            [
                {"id": 200 + i, "public_id": f"ctz_p{i:03d}", "pseudonym": p, "salt": "00",
                 "token_hash": f"{200 + i:064x}", "created_at": now}
                for i, p in enumerate(pseudonyms)
            ],
        )  # fmt: skip
        # citizen 208 has no leaf; the others' leaves in pseudonym order (their ids shuffled)
        leaves = [(pseudonyms[i], 200 + i, 10 * i + 1, 1000 + i) for i in (5, 0, 7, 2, 1, 6, 3, 4)]
        leaves.sort()
        tree = MerkleTree.build(leaf_hashes([(bytes.fromhex(p[2:]), b, g) for p, _, b, g in leaves]))
        session.add(
            PointsEpoch(
                epoch=1, day=date(2026, 1, 1), root="0x" + tree.root.hex(), leaf_count=len(leaves),
                total_points=0, total_grams=0, built_at=now,
            )
        )  # fmt: skip
        session.flush()
        epochs.store_leaves(session, 1, leaves)
    epochs._leaves.clear()  # as after a restart
    with db.reading() as session:
        for pseudonym, cid, points, grams in leaves:
            citizen = session.get(Citizen, cid)
            assert citizen is not None
            got = epochs.proof(session, citizen, 31337, "0x" + "11" * 20)
            assert (got["pseudonym"], got["points"], got["grams"]) == (pseudonym, points, grams)
            leaf = leaf_hash(bytes.fromhex(pseudonym[2:]), points, grams)
            assert verify_proof(tree.root, leaf, [bytes.fromhex(h[2:]) for h in got["proof"]])
        outsider = session.get(Citizen, 208)
        assert outsider is not None
        with pytest.raises(NotFound):
            epochs.proof(session, outsider, 31337, "0x" + "11" * 20)


def test_act_columns__are_exactly_an_acts_row_and_its_id() -> None:
    """PostgreSQL's COPY writes ACT_COLUMNS of each row (SQLite inserts the row's own keys): a
    key the row gained and the list missed would be dropped on PostgreSQL alone."""
    act = ingest._Act(
        PointsPartner(id=1), {"quantity": "1"}, "r1", "metro", None, None, datetime.now(UTC), None
    )
    assert list(ingest.ACT_COLUMNS) == ["id", *act.row(None)]


# -- the ingestion's bulk writes -----------------------------------------------------------------


def test_ingest__bulk_writes_keep_awkward_text_and_link_postings_to_their_acts(db: Database) -> None:
    with db.transaction() as session:
        partner, _ = ingest.register_partner(session, SECRET, "Metro", ["metro"])
        citizen, _ = ingest.register_citizen(session)
        partner_id, citizen_public = partner.id, citizen.public_id
    moment = datetime.now(UTC).replace(microsecond=123456) - timedelta(hours=2)
    awkward = ["tab\there", "back\\slash", "new\nline", "地铁-卡\\N", "\\.", "plain"]
    records = [
        {
            "id": rid,
            "citizen": citizen_public,
            "scene": "metro",
            "quantity": "1.5",
            "occurred_at": (moment + timedelta(minutes=i)).isoformat(),
            "device": rid[::-1],
        }
        for i, rid in enumerate(awkward)
    ]
    records.append(
        {
            "id": "who\t?",
            "citizen": "ctz_nobody",
            "scene": "metro",
            "quantity": "1",
            "occurred_at": moment.isoformat(),
        }
    )
    with db.transaction() as session:
        p = session.get(PointsPartner, partner_id)
        assert p is not None
        outcomes = ingest.ingest(session, p, records)
    assert [o.status for o in outcomes] == ["accepted"] * len(awkward) + ["rejected"]
    with db.reading() as session:
        acts = {a.record_id: a for a in session.execute(select(PointsAct)).scalars()}
        postings = session.execute(select(LedgerPosting)).scalars().all()
        assert set(acts) == {*awkward, "who\t?"}
        for i, rid in enumerate(awkward):
            act = acts[rid]
            assert act.device == rid[::-1]
            stored = act.occurred_at  # SQLite gives it back without its zone: UTC, not local time
            assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == moment + timedelta(minutes=i)
            assert act.day == (moment + timedelta(minutes=i)).date()
            assert (act.points, act.grams, act.status, act.reason) == (7, 70, "accepted", None)
        rejected = acts["who\t?"]
        assert (rejected.citizen_id, rejected.device, rejected.reason) == (None, None, "unknown_citizen")
        # Two postings an accepted act, in its own transaction, summing to zero, pointing at it.
        assert len(postings) == 2 * len(awkward)
        by_act: dict[int | None, list[LedgerPosting]] = {}
        for posting in postings:
            by_act.setdefault(posting.act_id, []).append(posting)
        assert set(by_act) == {acts[rid].id for rid in awkward}
        for act_id, pair in by_act.items():
            assert {x.txn for x in pair} == {f"earn-act-{act_id}"}
            assert sum(x.points for x in pair) == 0 and sum(x.grams for x in pair) == 0
            assert sorted(x.points for x in pair) == [-7, 7]
    # Sent again, nothing more is written (the ids are found among the stored ones).
    with db.transaction() as session:
        p = session.get(PointsPartner, partner_id)
        assert p is not None
        again = ingest.ingest(session, p, records)
    assert [o.status for o in again] == ["duplicate"] * len(awkward) + ["rejected"]
    with db.reading() as session:
        assert session.execute(select(func.count()).select_from(LedgerPosting)).scalar_one() == 2 * len(
            awkward
        )


def test_ingest__an_empty_batch_writes_nothing(db: Database) -> None:
    with db.transaction() as session:
        partner, _ = ingest.register_partner(session, SECRET, "Metro", ["metro"])
        assert ingest.ingest(session, partner, []) == []
    with db.reading() as session:
        assert session.execute(select(func.count()).select_from(PointsAct)).scalar_one() == 0
