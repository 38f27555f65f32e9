"""The reference exchange (R18): an environmental exchange as an outside institution would run it
against the registry, speaking only the registry's public HTTP API and its feed.

It keeps its own order book — sell orders (a seller offers an open listing at an ask price) and
buy orders (a buyer's amount and limit price) — and matches them with price-time priority: the
best price first, then the earliest order; the trade is at the resting order's price; both sides
fill partially, and never beyond what its mirror of the listing's escrow says is left.

The mirror is built from the feed (``GET /v1/feed?after=N``), applied once per ``seq``; a
``chain_rewound`` entry voids the entries it names and the mirror is rebuilt without them.

Each match is written to the exchange's own journal (``journal.jsonl`` in its state directory)
*before* it is sent as ``POST /v1/trades`` under the exchange's reference (``REFX-<n>``). The
same reference with the same body is sent again after a network error, a 5xx or a 202 until the
answer is final: 201 (settled) or a refusal (a 4xx, recorded as rejected; the book forgets the
match). A restarted exchange reads its journal back and finishes the matches it had not heard the
end of, so nothing is settled twice and nothing is lost.

    python -m api.refexchange --url URL --token TOKEN --state DIR run-script FILE

runs a JSON script of offers and bids (and an optional end of day) and prints a JSON summary.
See docs/exchange.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from eth_utils.crypto import keccak

CST = timedelta(hours=8)
JOURNAL = "journal.jsonl"
#: Statuses after which the same instruction is simply sent again.
RETRY_STATUSES = frozenset({202, 408, 425, 429, 500, 502, 503, 504})


class ExchangeError(Exception):
    """The exchange cannot go on (bad configuration, the registry out of reach for too long)."""


def trading_day(at: datetime | None = None) -> date:
    """The trading day (China Standard Time) of `at` (default: now)."""
    moment = at if at is not None else datetime.now(UTC)
    return (moment.astimezone(UTC) + CST).date()


def trade_ref(reference: str) -> str:
    """The registry's on-chain form of a reference: keccak256 of its text (as the registry
    documents it), so the feed's trades can be matched to the exchange's references."""
    return "0x" + keccak(text=reference).hex()


# -- the book --------------------------------------------------------------------------------


@dataclass
class Offer:
    """A sell order: a listing offered at an ask price (up to `amount_kg`, or all that is left)."""

    order_id: str
    listing_id: int
    price_fen_per_t: int
    arrival: int
    placed_at: str
    amount_kg: int | None = None
    filled_kg: int = 0
    active: bool = True


@dataclass
class Bid:
    """A buy order."""

    order_id: str
    buyer: str
    amount_kg: int
    limit_fen_per_t: int
    arrival: int
    placed_at: str
    project_type: str | None = None
    retire: dict[str, Any] | None = None
    filled_kg: int = 0
    active: bool = True

    @property
    def left_kg(self) -> int:
        return self.amount_kg - self.filled_kg


@dataclass
class Match:
    """A match and the instruction that settles it."""

    reference: str
    offer_id: str
    bid_id: str
    listing_id: int
    buyer: str
    amount_kg: int
    price_fen_per_t: int
    body: dict[str, Any]
    status: str = "pending"  # pending, settled, rejected
    trade_id: int | None = None
    day: str | None = None
    code: str | None = None

    @property
    def trade_ref(self) -> str:
        return trade_ref(self.reference)


@dataclass
class MirroredListing:
    listing_id: int
    seller: str
    batch_id: int
    project_type: int
    amount_kg: int
    traded_kg: int = 0
    cancelled: bool = False

    @property
    def remaining_kg(self) -> int:
        return 0 if self.cancelled else self.amount_kg - self.traded_kg

    @property
    def open(self) -> bool:
        return not self.cancelled and self.remaining_kg > 0


@dataclass
class Mirror:
    """The registry as the feed tells it: listings, their escrow, and the trades."""

    last_seq: int = 0
    entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    voided: set[int] = field(default_factory=set)
    listings: dict[int, MirroredListing] = field(default_factory=dict)
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)  # by trade_ref

    def apply(self, entry: dict[str, Any]) -> None:
        seq = int(entry["seq"])
        if seq <= self.last_seq or seq in self.entries:
            return  # applied already: idempotent by seq
        self.entries[seq] = entry
        self.last_seq = seq
        if entry["kind"] == "chain_rewound":
            held = int(entry["payload"]["block_number"])
            voids = entry["payload"].get("voids") or {}
            low, high = int(voids.get("from_seq") or 0), int(voids.get("to_seq") or 0)
            for n, e in self.entries.items():
                if low <= n <= high and e["kind"] != "chain_rewound" and int(e["block_number"]) > held:
                    self.voided.add(n)
            self._rebuild()
        else:
            self._effect(entry)

    def _rebuild(self) -> None:
        self.listings.clear()
        self.trades.clear()
        for n in sorted(self.entries):
            if n not in self.voided and self.entries[n]["kind"] != "chain_rewound":
                self._effect(self.entries[n])

    def _effect(self, entry: dict[str, Any]) -> None:
        kind, p = entry["kind"], entry["payload"]
        if kind == "listing":
            lid = int(p["listing_id"])
            self.listings[lid] = MirroredListing(
                lid, str(p["seller"]), int(p["batch_id"]), int(p["project_type"]), int(p["amount_kg"])
            )
        elif kind == "listing_cancelled":
            listing = self.listings.get(int(p["listing_id"]))
            if listing is not None:
                listing.cancelled = True
        elif kind == "trade":
            ref = str(p["trade_ref"]).lower()
            if ref in self.trades:
                return
            self.trades[ref] = p
            listing = self.listings.get(int(p["listing_id"]))
            if listing is not None:
                listing.traded_kg += int(p["amount_kg"])


# -- the exchange ----------------------------------------------------------------------------


class ReferenceExchange:
    """The exchange's book, its mirror of the registry and its settlement journal.

    `client` is any ``httpx.Client`` whose base URL is the registry (a FastAPI TestClient works
    too); `token` is the API token of a participant with the ``exchange`` role."""

    def __init__(
        self,
        client: httpx.Client,
        token: str,
        state_dir: Path,
        *,
        prefix: str = "REFX",
        max_wait: float = 180.0,
        retry_delay: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.http = client
        self.token = token
        self.state_dir = state_dir
        self.prefix = prefix
        self.max_wait = max_wait
        self.retry_delay = retry_delay
        self.sleep = sleep
        self.log = log or (lambda message: None)
        self.offers: dict[str, Offer] = {}
        self.bids: dict[str, Bid] = {}
        self.matches: dict[str, Match] = {}
        self.excluded: set[tuple[str, str]] = set()
        self.project_types: dict[int, str] = {}  # listing id -> project type name
        self.mirror = Mirror()
        self.arrivals = 0
        self.retries = 0
        state_dir.mkdir(parents=True, exist_ok=True)
        self.journal_path = state_dir / JOURNAL
        self._replay()

    # -- the journal ---------------------------------------------------------------------------

    def _write(self, record: dict[str, Any]) -> None:
        """Appends one record and forces it to disk before anything is sent."""
        with self.journal_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _records(self) -> Iterator[dict[str, Any]]:
        if not self.journal_path.exists():
            return
        with self.journal_path.open(encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    return  # a torn last line (killed while writing): what precedes it counts

    def _replay(self) -> None:
        for r in self._records():
            t = r["type"]
            if t == "offer":
                self.offers[r["order_id"]] = Offer(
                    r["order_id"],
                    r["listing_id"],
                    r["price_fen_per_t"],
                    r["arrival"],
                    r["placed_at"],
                    r.get("amount_kg"),
                )
                self.arrivals = max(self.arrivals, r["arrival"])
                if r.get("project_type") is not None:
                    self.project_types[r["listing_id"]] = r["project_type"]
            elif t == "bid":
                self.bids[r["order_id"]] = Bid(
                    r["order_id"],
                    r["buyer"],
                    r["amount_kg"],
                    r["limit_fen_per_t"],
                    r["arrival"],
                    r["placed_at"],
                    r.get("project_type"),
                    r.get("retire"),
                )
                self.arrivals = max(self.arrivals, r["arrival"])
            elif t == "match":
                m = Match(
                    r["reference"],
                    r["offer_id"],
                    r["bid_id"],
                    r["listing_id"],
                    r["buyer"],
                    r["amount_kg"],
                    r["price_fen_per_t"],
                    r["body"],
                )
                self.matches[m.reference] = m
                self._fill(m, +1)
            elif t == "settled":
                m = self.matches[r["reference"]]
                m.status, m.trade_id, m.day = "settled", r["trade_id"], r["day"]
            elif t == "rejected":
                m = self.matches[r["reference"]]
                m.status, m.code = "rejected", r["code"]
                self._fill(m, -1)
                self.excluded.add((m.offer_id, m.bid_id))
            elif t == "dropped":
                order = self.offers.get(r["order_id"]) or self.bids.get(r["order_id"])
                if order is not None:
                    order.active = False

    def _fill(self, m: Match, sign: int) -> None:
        offer, bid = self.offers.get(m.offer_id), self.bids.get(m.bid_id)
        if offer is not None:
            offer.filled_kg += sign * m.amount_kg
        if bid is not None:
            bid.filled_kg += sign * m.amount_kg

    # -- talking to the registry -------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, repeated after network errors and 5xx answers until `max_wait` passes."""
        deadline = time.monotonic() + self.max_wait
        delay = self.retry_delay
        while True:
            try:
                response = self.http.request(method, path, **kwargs)
                if response.status_code < 500:
                    return response
                problem = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as e:
                problem = f"{type(e).__name__}: {e}"
            if time.monotonic() >= deadline:
                raise ExchangeError(f"{method} {path}: the registry did not answer ({problem})")
            self.retries += 1
            self.log(f"retrying {method} {path}: {problem}")
            self.sleep(delay)
            delay = min(delay * 2, 1.0)

    def sync(self) -> int:
        """Pulls the feed after the last applied seq, to its end; the new last seq."""
        while True:
            response = self._request("GET", "/v1/feed", params={"after": self.mirror.last_seq, "limit": 1000})
            if response.status_code != 200:
                raise ExchangeError(f"the feed answered {response.status_code}: {response.text[:200]}")
            page = response.json()
            for entry in page["entries"]:
                self.mirror.apply(entry)
            if not page["entries"] or self.mirror.last_seq >= int(page["last_seq"]):
                break
        self._drop_closed_offers()
        return self.mirror.last_seq

    def _drop_closed_offers(self) -> None:
        for offer in self.offers.values():
            listing = self.mirror.listings.get(offer.listing_id)
            if offer.active and listing is not None and listing.cancelled:
                offer.active = False
                self._write({"type": "dropped", "order_id": offer.order_id, "why": "listing_cancelled"})

    def _listing(self, listing_id: int, wait: float = 30.0) -> MirroredListing:
        """The mirrored listing, waiting for the feed to show it (the registry indexes it)."""
        deadline = time.monotonic() + wait
        while True:
            self.sync()
            found = self.mirror.listings.get(listing_id)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise ExchangeError(f"listing {listing_id} is not in the feed")
            self.sleep(0.1)

    # -- what is left of a listing -----------------------------------------------------------------

    def available_kg(self, listing_id: int) -> int:
        """What the exchange may still sell of a listing: the mirror's escrow less the matches it
        sent that the feed does not show yet (pending, or settled but not yet indexed)."""
        listing = self.mirror.listings.get(listing_id)
        if listing is None or not listing.open:
            return 0
        unseen = sum(
            m.amount_kg
            for m in self.matches.values()
            if m.listing_id == listing_id and m.status != "rejected" and m.trade_ref not in self.mirror.trades
        )
        return max(0, listing.remaining_kg - unseen)

    def _offer_left(self, offer: Offer) -> int:
        if not offer.active:
            return 0
        left = self.available_kg(offer.listing_id)
        if offer.amount_kg is not None:
            left = min(left, offer.amount_kg - offer.filled_kg)
        return max(0, left)

    # -- orders ------------------------------------------------------------------------------------

    def _arrival(self) -> tuple[int, str]:
        self.arrivals += 1
        return self.arrivals, datetime.now(UTC).isoformat(timespec="microseconds")

    def offer(
        self,
        listing_id: int,
        price_fen_per_t: int,
        *,
        amount_kg: int | None = None,
        order_id: str | None = None,
    ) -> list[Match]:
        """A seller offers listing `listing_id` at an ask price; matched at once against the
        resting bids. The matches it made (settled or rejected)."""
        if order_id is not None and order_id in self.offers:
            return []  # placed before (a script run again)
        if price_fen_per_t <= 0:
            raise ValueError("the ask price must be positive")
        self._listing(listing_id)
        kind = self._project_type_name(listing_id)
        arrival, at = self._arrival()
        offer = Offer(order_id or f"O{arrival}", listing_id, price_fen_per_t, arrival, at, amount_kg)
        self._write(
            {
                "type": "offer",
                "order_id": offer.order_id,
                "listing_id": listing_id,
                "price_fen_per_t": price_fen_per_t,
                "amount_kg": amount_kg,
                "arrival": arrival,
                "placed_at": at,
                "project_type": kind,
            }
        )
        self.offers[offer.order_id] = offer
        return self._match_offer(offer)

    def bid(
        self,
        buyer: str,
        amount_kg: int,
        limit_price_fen_per_t: int,
        project_type: str | None = None,
        retire: dict[str, Any] | None = None,
        *,
        order_id: str | None = None,
    ) -> list[Match]:
        """A buyer (participant id) bids for `amount_kg` at most at the limit price; matched at once
        against the resting offers. The matches it made (settled or rejected)."""
        if order_id is not None and order_id in self.bids:
            return []
        if amount_kg <= 0 or limit_price_fen_per_t <= 0:
            raise ValueError("the amount and the limit price must be positive")
        self.sync()
        arrival, at = self._arrival()
        bid = Bid(
            order_id or f"B{arrival}",
            buyer,
            amount_kg,
            limit_price_fen_per_t,
            arrival,
            at,
            project_type,
            retire,
        )
        self._write(
            {
                "type": "bid",
                "order_id": bid.order_id,
                "buyer": buyer,
                "amount_kg": amount_kg,
                "limit_fen_per_t": limit_price_fen_per_t,
                "arrival": arrival,
                "placed_at": at,
                "project_type": project_type,
                "retire": retire,
            }
        )
        self.bids[bid.order_id] = bid
        return self._match_bid(bid)

    def cancel(self, order_id: str) -> None:
        """Withdraws a resting order."""
        order = self.offers.get(order_id) or self.bids.get(order_id)
        if order is None:
            raise KeyError(order_id)
        order.active = False
        self._write({"type": "dropped", "order_id": order_id, "why": "cancelled"})

    def _project_type_name(self, listing_id: int) -> str:
        if listing_id not in self.project_types:
            response = self._request("GET", f"/v1/listings/{listing_id}")
            if response.status_code != 200:
                raise ExchangeError(f"listing {listing_id}: {response.status_code} {response.text[:200]}")
            self.project_types[listing_id] = str(response.json()["project_type"])
        return self.project_types[listing_id]

    def _fits(self, offer: Offer, bid: Bid) -> bool:
        if (offer.order_id, bid.order_id) in self.excluded or not bid.active:
            return False
        return bid.project_type is None or bid.project_type == self.project_types.get(offer.listing_id)

    # -- matching: price-time priority ----------------------------------------------------------

    def _match_bid(self, bid: Bid) -> list[Match]:
        """An incoming bid against the resting offers: the lowest ask first, then the earliest; at
        the ask."""
        made: list[Match] = []
        while bid.active and bid.left_kg > 0:
            candidates = [
                o
                for o in self.offers.values()
                if o.price_fen_per_t <= bid.limit_fen_per_t and self._fits(o, bid) and self._offer_left(o) > 0
            ]
            if not candidates:
                break
            best = min(candidates, key=lambda o: (o.price_fen_per_t, o.arrival))
            amount = min(bid.left_kg, self._offer_left(best))
            made.append(self._execute(best, bid, amount, best.price_fen_per_t))
        return made

    def _match_offer(self, offer: Offer) -> list[Match]:
        """An incoming offer against the resting bids: the highest limit first, then the earliest;
        at the bid's limit."""
        made: list[Match] = []
        while self._offer_left(offer) > 0:
            candidates = [
                b
                for b in self.bids.values()
                if b.limit_fen_per_t >= offer.price_fen_per_t and b.left_kg > 0 and self._fits(offer, b)
            ]
            if not candidates:
                break
            best = min(candidates, key=lambda b: (-b.limit_fen_per_t, b.arrival))
            amount = min(best.left_kg, self._offer_left(offer))
            made.append(self._execute(offer, best, amount, best.limit_fen_per_t))
        return made

    def _execute(self, offer: Offer, bid: Bid, amount_kg: int, price: int) -> Match:
        reference = f"{self.prefix}-{len(self.matches) + 1}"
        body: dict[str, Any] = {
            "reference": reference,
            "listing_id": offer.listing_id,
            "buyer": bid.buyer,
            "amount_kg": amount_kg,
            "price_fen_per_t": price,
        }
        if bid.retire is not None:
            body["retirement"] = bid.retire
        match = Match(
            reference, offer.order_id, bid.order_id, offer.listing_id, bid.buyer, amount_kg, price, body
        )
        # Recorded before it is sent: a crash after this line is finished by recover().
        self._write(
            {
                "type": "match",
                "reference": reference,
                "offer_id": offer.order_id,
                "bid_id": bid.order_id,
                "listing_id": offer.listing_id,
                "buyer": bid.buyer,
                "amount_kg": amount_kg,
                "price_fen_per_t": price,
                "body": body,
            }
        )
        self.matches[reference] = match
        self._fill(match, +1)
        self._settle(match)
        return match

    # -- settlement ------------------------------------------------------------------------------

    def _settle(self, match: Match) -> None:
        """Sends the instruction (the same reference, the same body) until its answer is final."""
        deadline = time.monotonic() + self.max_wait
        delay = self.retry_delay
        while True:
            try:
                response = self.http.post("/v1/trades", json=match.body, headers=self._headers())
                status = response.status_code
                problem = f"{status} {response.text[:200]}"
            except httpx.TransportError as e:
                status, problem = 0, f"{type(e).__name__}: {e}"
            if status == 201:
                answer = response.json()
                trade = answer.get("trade") or {}
                if answer.get("status") == "settled" and trade:
                    self._settled(match, int(trade["trade_id"]), str(trade["day"]))
                    return
                problem = f"201 without a trade: {answer.get('status')}"
            elif status in (401, 403):
                raise ExchangeError(f"the registry refused the exchange's token: {problem}")
            elif 400 <= status < 500 and status not in RETRY_STATUSES:
                error = response.json().get("error", {}) if response.content else {}
                self._rejected(match, str(error.get("code") or status), status)
                return
            if time.monotonic() >= deadline:
                raise ExchangeError(f"{match.reference} is not final after {self.max_wait:.0f} s ({problem})")
            self.retries += 1
            self.log(f"{match.reference}: again after {problem}")
            self.sleep(delay)
            delay = min(delay * 2, 1.0) if status != 202 else 0.2

    def _settled(self, match: Match, trade_id: int, day: str) -> None:
        self._write({"type": "settled", "reference": match.reference, "trade_id": trade_id, "day": day})
        match.status, match.trade_id, match.day = "settled", trade_id, day

    def _rejected(self, match: Match, code: str, status: int) -> None:
        self._write({"type": "rejected", "reference": match.reference, "code": code, "status": status})
        match.status, match.code = "rejected", code
        self._fill(match, -1)  # the book forgets the match
        self.excluded.add((match.offer_id, match.bid_id))
        if code in ("listing_not_open",):
            offer = self.offers.get(match.offer_id)
            if offer is not None and offer.active:
                offer.active = False
                self._write({"type": "dropped", "order_id": offer.order_id, "why": code})
        if code in ("exceeds_listing", "listing_not_open"):
            self.sync()

    def recover(self) -> list[Match]:
        """Finishes the matches the journal holds without an outcome (a restart after a crash)."""
        pending = [m for m in self.matches.values() if m.status == "pending"]
        for m in pending:
            self._settle(m)
        self.sync()
        return pending

    # -- end of day ------------------------------------------------------------------------------

    def statement(self, day: date) -> dict[str, Any]:
        """The end-of-day statement of trading day `day`: the exchange's trades settled that day
        and the escrow of every open listing its mirror knows."""
        self.sync()
        trades = [
            {
                "reference": m.reference,
                "listing_id": m.listing_id,
                "buyer": m.buyer,
                "amount_kg": m.amount_kg,
                "price_fen_per_t": m.price_fen_per_t,
            }
            for m in self.matches.values()
            if m.status == "settled" and m.day == day.isoformat()
        ]
        escrow = [
            {"listing_id": lid, "remaining_kg": listing.remaining_kg}
            for lid, listing in sorted(self.mirror.listings.items())
            if listing.open
        ]
        return {"day": day.isoformat(), "trades": trades, "escrow": escrow}

    def end_of_day(self, day: date | None = None, *, settle_wait: float = 30.0) -> dict[str, Any]:
        """Posts the statement of `day` (default: today, CST) and answers the registry's result.
        Waits (up to `settle_wait`) for the feed to show the exchange's settled trades first, so
        that its escrow positions include them."""
        the_day = day or trading_day()
        deadline = time.monotonic() + settle_wait
        while True:
            self.sync()
            unseen = [
                m
                for m in self.matches.values()
                if m.status == "settled" and m.trade_ref not in self.mirror.trades
            ]
            if not unseen or time.monotonic() >= deadline:
                break
            self.sleep(0.2)
        body = self.statement(the_day)
        response = self._request("POST", "/v1/exchange/statements", json=body, headers=self._headers())
        if response.status_code != 201:
            raise ExchangeError(f"the statement was refused: {response.status_code} {response.text[:300]}")
        result: dict[str, Any] = response.json()
        self._write({"type": "statement", "day": the_day.isoformat(), "agreed": result.get("agreed")})
        return result

    # -- reporting --------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        settled = [m for m in self.matches.values() if m.status == "settled"]
        return {
            "trades_settled": len(settled),
            "references": [m.reference for m in settled],
            "settled": [
                {
                    "reference": m.reference,
                    "trade_id": m.trade_id,
                    "listing_id": m.listing_id,
                    "buyer": m.buyer,
                    "amount_kg": m.amount_kg,
                    "price_fen_per_t": m.price_fen_per_t,
                    "day": m.day,
                    "offer": m.offer_id,
                    "bid": m.bid_id,
                }
                for m in settled
            ],
            "rejected": [
                {"reference": m.reference, "code": m.code}
                for m in self.matches.values()
                if m.status == "rejected"
            ],
            "pending": [m.reference for m in self.matches.values() if m.status == "pending"],
            "retries": self.retries,
            "feed_seq": self.mirror.last_seq,
        }


# -- the script runner and the command line ---------------------------------------------------------


def run_script(exchange: ReferenceExchange, script: dict[str, Any]) -> dict[str, Any]:
    """Runs a script: ``{"steps": [{"offer": {...}} | {"bid": {...}} | {"cancel": "ID"}, ...],
    "end_of_day": true | "YYYY-MM-DD" (optional)}``. Each step gets the order id ``S<n>`` (its
    index) unless it names one, so a script run again over the same state skips what it placed."""
    exchange.recover()
    exchange.sync()
    for n, step in enumerate(script.get("steps", [])):
        if "offer" in step:
            o = step["offer"]
            exchange.offer(
                int(o["listing_id"]),
                int(o["price_fen_per_t"]),
                amount_kg=o.get("amount_kg"),
                order_id=str(o.get("order_id") or f"S{n}"),
            )
        elif "bid" in step:
            b = step["bid"]
            exchange.bid(
                str(b["buyer"]),
                int(b["amount_kg"]),
                int(b["limit_price_fen_per_t"]),
                b.get("project_type"),
                b.get("retire"),
                order_id=str(b.get("order_id") or f"S{n}"),
            )
        elif "cancel" in step:
            exchange.cancel(str(step["cancel"]))
        else:
            raise ExchangeError(f"step {n}: give offer, bid or cancel")
    summary = exchange.summary()
    eod = script.get("end_of_day")
    if eod:
        day = trading_day() if eod is True else date.fromisoformat(str(eod))
        summary["statement"] = exchange.end_of_day(day)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.refexchange", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="The registry's base URL")
    parser.add_argument(
        "--token", default=os.environ.get("REFX_TOKEN"), help="The exchange's API token [env REFX_TOKEN]"
    )
    parser.add_argument("--state", required=True, type=Path, help="The exchange's state directory")
    parser.add_argument("--max-wait", type=float, default=180.0, help="Seconds to wait for the registry")
    commands = parser.add_subparsers(dest="command", required=True)
    script = commands.add_parser("run-script", help="Run a JSON script of offers and bids")
    script.add_argument("file", type=Path)
    commands.add_parser("end-of-day", help="Post today's statement")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token (or REFX_TOKEN)")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with httpx.Client(base_url=args.url, timeout=30) as client:
        exchange = ReferenceExchange(client, args.token, args.state, max_wait=args.max_wait, log=log)
        try:
            if args.command == "run-script":
                result = run_script(exchange, json.loads(args.file.read_text(encoding="utf-8")))
            else:
                result = exchange.end_of_day()
        except ExchangeError as e:
            print(f"error: {e}", file=sys.stderr)
            print(json.dumps(exchange.summary(), indent=2))
            return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
