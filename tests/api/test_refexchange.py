"""The reference exchange (api/refexchange.py) against the registry: price-time priority, the
book equal to the registry's trades, an agreed statement and a clean reconcile — in process over
the TestClient, and across processes on anvil with the registry killed (SIGKILL) mid-burst."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.refexchange import Mirror, ReferenceExchange, trading_day
from chain.localnode import free_port
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_cli_service import TANHUI, run, stop, wait_healthy
from tests.conftest import start_anvil

REFERENCE_FEN = 6_000  # band of listed trades: [5400, 6600]
ENERGY = "energy-substitution"


def _setup(api: Api, listings_t: list[str], buyers: int) -> dict[str, Any]:
    batch, seller, _ = api.issued_batch()
    exchange = api.participant(["exchange"])
    holders = [api.participant(["holder"]) for _ in range(buyers)]
    api.ok(
        "/v1/market/reference-prices",
        {"project_type": ENERGY, "price_fen_per_t": REFERENCE_FEN},
        api.operator,
    )
    listed = []
    for amount in listings_t:
        r = api.ok("/v1/listings", {"batch_id": batch, "amount_t": amount}, seller["token"])
        assert r["status"] == "confirmed", r
        listed.append(r["listing"]["listing_id"])
    return {"batch": batch, "seller": seller, "exchange": exchange, "buyers": holders, "listings": listed}


def _registry_trades(http: Any) -> dict[str, tuple[int, str, int, int]]:
    rows = http.get("/v1/trades", params={"limit": 1000}).json()
    return {
        r["reference"]: (
            r["listing_id"],
            r["buyer"],
            round(float(r["amount_t"]) * 1000),
            r["price_fen_per_t"],
        )
        for r in rows
    }


def _book(summary: dict[str, Any]) -> dict[str, tuple[int, str, int, int]]:
    return {
        s["reference"]: (s["listing_id"], s["buyer"], s["amount_kg"], s["price_fen_per_t"])
        for s in summary["settled"]
    }


class Flaky:
    """An httpx client whose settlements fail on the way: the first attempts of some references
    never reach the registry (a refused connection), others reach it and lose the answer."""

    def __init__(self, inner: Any, refused: set[str], lost: set[str]) -> None:
        self.inner, self.refused, self.lost = inner, refused, lost
        self.sent: Counter[str] = Counter()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.inner.request(method, url, **kwargs)  # type: ignore[no-any-return]

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        reference = (kwargs.get("json") or {}).get("reference")
        if url == "/v1/trades" and reference is not None:
            self.sent[reference] += 1
            if reference in self.refused and self.sent[reference] <= 2:
                raise httpx.ConnectError("connection refused")
            if reference in self.lost and self.sent[reference] == 1:
                self.inner.post(url, **kwargs)
                raise httpx.ReadError("connection reset")
        return self.inner.post(url, **kwargs)  # type: ignore[no-any-return]


def test_in_process__price_time_priority_book_equals_registry_statement_agreed(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    s = _setup(api, ["10", "20", "5", "5"], buyers=3)
    l1, l2, l3, l4 = s["listings"]
    a, b, c = (p["id"] for p in s["buyers"])
    flaky = Flaky(api.http, refused={"REFX-2"}, lost={"REFX-3"})
    ex = ReferenceExchange(flaky, s["exchange"]["token"], tmp_path / "refx", sleep=lambda _: None)  # type: ignore[arg-type]

    ex.offer(l1, 6_200)  # O1
    ex.offer(l2, 6_000)  # O2: the best ask, earliest at its price
    ex.offer(l3, 6_000)  # O3: the same price, later
    # A bid for 25 t up to 6100: all of O2 (20 t), then O3 (5 t); never O1 (6200).
    made = ex.bid(a, 25_000, 6_100)
    assert [(m.listing_id, m.amount_kg, m.price_fen_per_t, m.status) for m in made] == [
        (l2, 20_000, 6_000, "settled"),
        (l3, 5_000, 6_000, "settled"),
    ]
    assert ex.bid(b, 4_000, 5_500) == []  # rests: nothing at or below 5500
    made = ex.bid(c, 6_000, 6_300)  # crosses O1 at its ask
    assert [(m.listing_id, m.amount_kg, m.price_fen_per_t) for m in made] == [(l1, 6_000, 6_200)]
    assert ex.bid(b, 3_000, 5_800) == []  # rests, better than the 5500 bid
    assert ex.bid(c, 1_000, 5_000) == []  # rests, never crosses
    # A new offer of L1's last 4 t at 5600 meets the resting bids: the best (5800, 3 t) at its
    # limit; the 5500 bid does not cross.
    made = ex.offer(l1, 5_600)
    assert [(m.buyer, m.listing_id, m.amount_kg, m.price_fen_per_t) for m in made] == [(b, l1, 3_000, 5_800)]
    # Buy-and-retire: the last kilo-tonne of L1 at 5600, retired for the buyer at once.
    retire = {"beneficiary": "Chengdu Expo", "purpose": "event_neutrality", "event_id": "expo-refx"}
    made = ex.bid(a, 1_000, 6_600, project_type=ENERGY, retire=retire)
    assert [(m.listing_id, m.amount_kg, m.price_fen_per_t, m.status) for m in made] == [
        (l1, 1_000, 5_600, "settled")
    ]
    # Outside today's band: refused by the registry, the book reverts (the bid rests whole).
    ex.offer(l4, 6_800)
    made = ex.bid(c, 2_000, 7_000)
    assert [(m.status, m.code) for m in made] == [("rejected", "price_out_of_band")]
    assert ex.bids[made[0].bid_id].filled_kg == 0 and ex.offers[made[0].offer_id].filled_kg == 0

    summary = ex.summary()
    assert summary["references"] == ["REFX-1", "REFX-2", "REFX-3", "REFX-4", "REFX-5"]
    assert _book(summary) == {
        "REFX-1": (l2, a, 20_000, 6_000),
        "REFX-2": (l3, a, 5_000, 6_000),
        "REFX-3": (l1, c, 6_000, 6_200),
        "REFX-4": (l1, b, 3_000, 5_800),
        "REFX-5": (l1, a, 1_000, 5_600),
    }
    # The failures were retried with the same reference: each settled once.
    assert flaky.sent["REFX-2"] == 3 and flaky.sent["REFX-3"] == 2
    assert _registry_trades(api.http) == _book(summary)
    retired = api.get(f"/v1/trades/{ex.matches['REFX-5'].trade_id}")
    assert retired["certificate_id"] is not None

    # The seller cancels L4 at the registry: the exchange drops its offer from the feed.
    api.ok(f"/v1/listings/{l4}/cancellation", None, s["seller"]["token"])
    ex.sync()
    assert not ex.offers[made[0].offer_id].active and ex.available_kg(l4) == 0
    result = ex.end_of_day(trading_day())
    assert result["agreed"] is True, result["differences"]
    assert result["trades"] == 5

    # A restarted exchange reads the same book back from its journal.
    again = ReferenceExchange(api.http, s["exchange"]["token"], tmp_path / "refx")  # type: ignore[arg-type]
    assert again.recover() == []
    assert _book(again.summary()) == _book(summary)
    assert {k: (o.filled_kg, o.active) for k, o in again.offers.items()} == {
        k: (o.filled_kg, o.active) for k, o in ex.offers.items()
    }
    assert {k: b.filled_kg for k, b in again.bids.items()} == {k: b.filled_kg for k, b in ex.bids.items()}
    assert reconcile(runtime).ok


def test_in_process__a_match_recorded_but_never_sent_is_finished_after_a_restart(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    s = _setup(api, ["5"], buyers=1)
    [lid] = s["listings"]
    buyer = s["buyers"][0]["id"]
    state = tmp_path / "refx"

    class Crash(BaseException):
        pass

    ex = ReferenceExchange(api.http, s["exchange"]["token"], state)  # type: ignore[arg-type]
    ex.offer(lid, 6_000)

    def crash(match: Any) -> None:
        raise Crash

    ex._settle = crash  # type: ignore[method-assign]  # the process dies right after the journal
    with pytest.raises(Crash):
        ex.bid(buyer, 2_000, 6_000)
    assert api.get("/v1/trades") == []
    restarted = ReferenceExchange(api.http, s["exchange"]["token"], state)  # type: ignore[arg-type]
    assert [m.reference for m in restarted.recover()] == ["REFX-1"]
    assert restarted.matches["REFX-1"].status == "settled"
    assert restarted.available_kg(lid) == 3_000
    assert restarted.end_of_day()["agreed"] is True
    assert reconcile(runtime).ok


# -- across processes, on anvil, the registry killed mid-burst ------------------------------------


@pytest.mark.anvil
@pytest.mark.slow
def test_subprocess__registry_killed_mid_burst__settled_once_statement_and_reconcile_clean(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    node = start_anvil()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    data = tmp_path / "registry"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*TANHUI, "serve", "--data-dir", str(data), "--rpc-url", node.url, "--port", str(port)]

    def serve() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True, env=env
        )

    service = serve()
    exchange: subprocess.Popen[str] | None = None
    try:
        wait_healthy(url, service)
        token = (data / "operator.token").read_text().strip()
        with httpx.Client(base_url=url, timeout=60) as http:
            s = _setup(Api(http, token), ["20", "20", "20"], buyers=4)  # type: ignore[arg-type]
            l1, l2, l3 = s["listings"]
            buyers = [p["id"] for p in s["buyers"]]
            steps: list[dict[str, Any]] = [
                {"offer": {"listing_id": l1, "price_fen_per_t": 6_100}},
                {"offer": {"listing_id": l2, "price_fen_per_t": 5_900}},
                {"offer": {"listing_id": l3, "price_fen_per_t": 6_000}},
            ]
            steps += [
                {"bid": {"buyer": buyers[n % 4], "amount_kg": 2_500, "limit_price_fen_per_t": 6_200}}
                for n in range(20)
            ]
            script = tmp_path / "script.json"
            script.write_text(json.dumps({"steps": steps, "end_of_day": True}))
            state = tmp_path / "refx"
            refx = [
                "--url",
                url,
                "--token",
                s["exchange"]["token"],
                "--state",
                str(state),
                "--max-wait",
                "120",
            ]
            exchange = subprocess.Popen(
                [sys.executable, "-m", "api.refexchange", *refx, "run-script", str(script)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            journal = state / "journal.jsonl"
            deadline = time.monotonic() + 60
            while not (journal.exists() and journal.read_text().count('"type":"settled"') >= 6):
                assert exchange.poll() is None, exchange.communicate()
                assert time.monotonic() < deadline, "the burst did not start"
                time.sleep(0.05)
            service.kill()  # SIGKILL mid-burst
            service.wait(timeout=30)
            time.sleep(1.5)  # the exchange meets refused connections meanwhile
            service = serve()
            wait_healthy(url, service)
            out, err = exchange.communicate(timeout=120)
            assert exchange.returncode == 0, out + err
            summary = json.loads(out)
            assert summary["retries"] > 0 and "ConnectError" in err, err  # it met the outage

            references = summary["references"]
            assert summary["trades_settled"] == 20 and not summary["pending"] and not summary["rejected"]
            assert len(set(references)) == len(references) == 20
            # Price-time priority: the 5900 listing first, then 6000, and 10 t left at 6100.
            assert sum(t["amount_kg"] for t in summary["settled"] if t["listing_id"] == l2) == 20_000
            assert sum(t["amount_kg"] for t in summary["settled"] if t["listing_id"] == l3) == 20_000
            assert sum(t["amount_kg"] for t in summary["settled"] if t["listing_id"] == l1) == 10_000
            assert [t["price_fen_per_t"] for t in summary["settled"]] == sorted(
                t["price_fen_per_t"] for t in summary["settled"]
            )
            registry = _registry_trades(http)
            assert registry == _book(summary)  # each reference settled exactly once
            assert summary["statement"]["agreed"] is True, summary["statement"]
            assert summary["statement"]["differences"] == []
            assert http.get(f"/v1/listings/{l1}").json()["remaining_t"] == "10.000"

        deadline = time.monotonic() + 30
        while True:
            done = run("reconcile", "--data-dir", str(data), "--rpc-url", node.url, "--json", timeout=60)
            if done.returncode == 0:
                break
            assert time.monotonic() < deadline, done.stdout + done.stderr
            time.sleep(1)
    finally:
        if exchange is not None and exchange.poll() is None:
            exchange.kill()
            exchange.wait()
        if service.poll() is None:
            stop(service)
        node.stop()
    assert time.monotonic() - started < 90


def test_exchange_is_an_outside_institution() -> None:
    """It speaks HTTP only: no import of the registry's or the chain's modules."""
    source = Path(__file__).parents[2].joinpath("api", "refexchange.py").read_text()
    assert "import registry" not in source and "from registry" not in source
    assert "import chain" not in source and "from chain" not in source


def test_mirror__idempotent_by_seq_and_a_rewind_undoes_the_voided_entries() -> None:
    def entry(seq: int, kind: str, block: int, **payload: Any) -> dict[str, Any]:
        return {"seq": seq, "kind": kind, "payload": payload, "block_number": block, "log_index": 0}

    mirror = Mirror()
    listing = entry(1, "listing", 10, listing_id=1, seller="0xS", batch_id=1, project_type=1, amount_kg=5_000)
    trade = entry(
        2, "trade", 11, trade_ref="0xAA", listing_id=1, buyer="0xB", amount_kg=2_000, price_fen_per_t=1
    )
    for e in (listing, trade, trade, listing):  # a page read twice changes nothing
        mirror.apply(e)
    assert mirror.listings[1].remaining_kg == 3_000 and mirror.last_seq == 2
    mirror.apply(entry(3, "chain_rewound", 10, block_number=10, voids={"from_seq": 2, "to_seq": 2}))
    assert mirror.listings[1].remaining_kg == 5_000 and "0xaa" not in mirror.trades
    # The chain produces the trade again (a new seq), then the listing is cancelled.
    mirror.apply({**trade, "seq": 4})
    mirror.apply(entry(5, "listing_cancelled", 12, listing_id=1, by="0xS", returned_kg=3_000))
    assert mirror.listings[1].remaining_kg == 0 and not mirror.listings[1].open
