"""Checking an exchange trade from the chain alone: no database, no API.

The trade comes from ``TanhuiExchange.trade(tradeId)`` (the exchange is the credits contract's
``market()``), its listing and seller from ``listing(listingId)``, its batch from the credits
contract, and the settling transaction from the ``TradeSettled`` event of the trade id (a log
query on its indexed topic). A buy-and-retire trade names its certificate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from web3 import Web3

from chain.client import ChainClient
from chain.contracts import Deployment, Tanhui
from chain.errors import ChainError
from chain.events import decoder_for, fetch_events

ZERO = "0x0000000000000000000000000000000000000000"


class TradeNotFound(ChainError):
    """The exchange contract has no trade of that id."""


@dataclass(frozen=True)
class TradeEvidence:
    chain_id: int
    exchange: str
    trade_id: int
    trade_ref: str
    listing_id: int
    batch_id: int
    project_type: int
    seller: str
    buyer: str
    amount_kg: int
    price_fen_per_tonne: int
    block_trade: bool
    certificate_id: int
    settled_at: int
    tx_hash: str | None
    block_number: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verify_trade(
    client: ChainClient, credits_address: str, trade_id: int, *, from_block: int = 0
) -> TradeEvidence:
    """The chain's record of trade `trade_id`; raises :class:`TradeNotFound` for a trade the
    exchange contract does not have."""
    credits = client.contract("TanhuiCredits", credits_address)
    registry_address = Web3.to_checksum_address(client.call(credits.functions.registry()))
    exchange_address = Web3.to_checksum_address(client.call(credits.functions.market()))
    if int(exchange_address, 16) == 0:
        raise TradeNotFound(f"the credits contract {credits_address} has no exchange")
    deployment = Deployment(
        chain_id=client.chain_id,
        contracts={
            "TanhuiRegistry": registry_address,
            "TanhuiCredits": credits.address,
            "TanhuiExchange": exchange_address,
        },
        block_number=0,
        deployer=Web3.to_checksum_address(ZERO),
        admin_delay=0,
    )
    tanhui = Tanhui(client, deployment)
    head = client.block_number()
    trade = tanhui.trade(trade_id, block=head)
    if trade.settled_at == 0:
        raise TradeNotFound(f"no trade {trade_id}")
    listing = tanhui.listing(trade.listing_id, block=head)
    decoder = decoder_for(client, deployment)
    topics: list[Any] = [decoder.topic("TradeSettled"), trade_id.to_bytes(32, "big")]
    events = fetch_events(client, deployment, from_block, head, decoder=decoder, topics=topics)
    settled = next((e for e in events if e.name == "TradeSettled"), None)
    return TradeEvidence(
        chain_id=client.chain_id,
        exchange=exchange_address,
        trade_id=trade_id,
        trade_ref="0x" + trade.trade_ref.hex(),
        listing_id=trade.listing_id,
        batch_id=listing.batch_id,
        project_type=listing.project_type,
        seller=listing.seller,
        buyer=trade.buyer,
        amount_kg=trade.amount,
        price_fen_per_tonne=trade.price_fen_per_tonne,
        block_trade=trade.block_trade,
        certificate_id=trade.certificate_id,
        settled_at=trade.settled_at,
        tx_hash=settled.tx_hash if settled is not None else None,
        block_number=settled.block_number if settled is not None else None,
    )
