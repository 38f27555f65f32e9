"""The exchange's routes (R18, R21-R25): listings and the public order book, settlement, market
data, reference prices, bands and halts, the end-of-day statement, and each participant's
carbon-asset journal."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from web3 import Web3

from api.answers import keyed, respond
from api.deps import CurrentParticipant, IdempotencyKey, RuntimeDep, TokenId, requires
from api.responses import (
    BandsOut,
    DisclosureOut,
    HaltOut,
    JournalOut,
    ListingOut,
    ListingRequestOut,
    MarketDayOut,
    OperationOut,
    StatementResult,
    TradeInstructionOut,
    TradeOut,
    accepted,
    errors,
    page_errors,
)
from api.schemas import MAX_TOKEN_ID, HaltIn, ListingIn, ReferencePriceIn, StatementIn, TradeIn
from registry import journal, listings, market, trades
from registry.errors import InvalidRequest
from registry.models import Participant
from registry.retirements import RetirementInput

router = APIRouter(tags=["exchange"])
Exchange = Annotated[Participant, Depends(requires("exchange"))]
Supervisor = Annotated[Participant, Depends(requires("supervisor"))]
Registrar = Annotated[Participant, Depends(requires("registrar"))]
MarketOperator = Annotated[Participant, Depends(requires("registrar", "exchange", "supervisor"))]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_TOKEN_ID)]


# -- listings ------------------------------------------------------------------------------------


@router.post(
    "/v1/listings",
    status_code=201,
    response_model=ListingRequestOut,
    responses={**errors(400, 401, 404, 409, 422, 503), **accepted(ListingRequestOut)},
    summary="List credits for sale (signed with the seller's own key): they move into escrow",
)
def create_listing(
    body: ListingIn,
    request: Request,
    runtime: RuntimeDep,
    actor: CurrentParticipant,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        listings.create_command(
            runtime.commands,
            runtime.outbox,
            actor,
            batch_id=body.batch_id,
            amount_kg=body.kg,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/listings",
    response_model=list[ListingOut],
    responses=errors(422),
    summary="The order book the public sees: listings (open ones by default)",
)
def list_listings(
    runtime: RuntimeDep,
    state: Annotated[str | None, Query(pattern="^(open|cancelled|filled|all)$")] = "open",
    batch_id: Annotated[int | None, Query(ge=1, le=MAX_TOKEN_ID)] = None,
    seller: Annotated[str | None, Query(pattern="^0x[0-9a-fA-F]{40}$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return listings.listings(
            session,
            state=None if state == "all" else state,
            batch_id=batch_id,
            seller=Web3.to_checksum_address(seller) if seller else None,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/v1/listings/{listing_id}",
    response_model=ListingOut,
    responses=errors(404, 422),
    summary="A listing (public)",
)
def get_listing(listing_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return listings.listing_view(session, listings.get(session, listing_id))


@router.post(
    "/v1/listings/{listing_id}/cancellation",
    status_code=201,
    response_model=ListingOut,
    responses={**errors(400, 401, 403, 404, 409, 422, 503), **accepted(ListingOut)},
    summary="Cancel a listing (its seller, the exchange or a supervisor): what is left returns to the seller",
)
def cancel_listing(
    listing_id: TokenId,
    request: Request,
    runtime: RuntimeDep,
    actor: CurrentParticipant,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        listings.cancel_command(
            runtime.commands, runtime.outbox, actor, listing_id=listing_id, idempotency=keyed(request, key)
        )
    )


# -- trades --------------------------------------------------------------------------------------


@router.post(
    "/v1/trades",
    status_code=201,
    response_model=TradeInstructionOut,
    responses={**errors(400, 401, 403, 404, 409, 422, 503), **accepted(TradeInstructionOut)},
    summary="Settle a trade (the exchange): credits of a listing go to the buyer, once per reference",
)
def settle(
    body: TradeIn, request: Request, runtime: RuntimeDep, actor: Exchange, key: IdempotencyKey = None
) -> JSONResponse:
    retirement = None
    if body.retirement is not None:
        r = body.retirement
        retirement = RetirementInput(
            beneficiary=r.beneficiary,
            purpose=r.purpose,
            event_id=r.event_id,
            jurisdiction=r.jurisdiction,
            consumption_start=r.consumption_start,
            consumption_end=r.consumption_end,
            note=r.note,
        )
    instruction = trades.TradeInput(
        reference=body.reference,
        listing_id=body.listing_id,
        buyer=body.buyer,
        amount_kg=body.kg,
        price_fen_per_t=body.price_fen_per_t,
        buyer_fee_fen=body.buyer_fee_fen,
        seller_fee_fen=body.seller_fee_fen,
        retirement=retirement,
    )
    return respond(
        trades.settle_command(
            runtime.commands,
            runtime.outbox,
            actor,
            instruction,
            block_min_kg=runtime.settings.block_trade_min_kg,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/trade-instructions/{reference}",
    response_model=TradeInstructionOut,
    responses=errors(401, 403, 404, 422),
    summary="A settlement instruction by the exchange's reference (the exchange)",
)
def get_instruction(
    reference: Annotated[str, Path(min_length=1, max_length=100)],
    runtime: RuntimeDep,
    actor: Exchange,
) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return trades.instruction_by_reference(session, reference)


@router.get(
    "/v1/trades",
    response_model=list[TradeOut],
    responses=errors(422),
    summary="Settled trades (public), oldest first",
)
def list_trades(
    runtime: RuntimeDep,
    batch_id: Annotated[int | None, Query(ge=1, le=MAX_TOKEN_ID)] = None,
    listing_id: Annotated[int | None, Query(ge=1, le=MAX_TOKEN_ID)] = None,
    participant: Annotated[
        str | None, Query(pattern="^0x[0-9a-fA-F]{40}$", description="buyer or seller")
    ] = None,
    day: date | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return trades.trades(
            session,
            batch_id=batch_id,
            listing_id=listing_id,
            participant=Web3.to_checksum_address(participant) if participant else None,
            day=market.date_day(day) if day is not None else None,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/v1/trades/{trade_id}",
    response_model=TradeOut,
    responses=errors(404, 422),
    summary="A trade with its chain evidence (public)",
)
def get_trade(trade_id: TokenId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return trades.get_trade(session, trade_id)


# -- market data and rules -------------------------------------------------------------------------


@router.get(
    "/v1/market/days",
    response_model=list[MarketDayOut],
    responses=errors(400, 422),
    summary="Market data per project type and trading day: open, high, low, close, volume, turnover",
)
def market_days(
    runtime: RuntimeDep,
    project_type: Annotated[str | None, Query(max_length=40)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    kind = market.project_type(project_type) if project_type is not None else None
    last = market.date_day(end) if end is not None else market.today()
    first = market.date_day(start) if start is not None else last - 30
    if first > last:
        raise InvalidRequest("from is after to", field="from")
    with runtime.db.reading() as session:
        return market.market_days(session, kind, first, last)


@router.get(
    "/v1/market/bands",
    response_model=BandsOut,
    responses=errors(422),
    summary="Each project type's reference price, previous close, price band and halt on a trading day",
)
def bands(runtime: RuntimeDep, day: date | None = None) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return market.bands_view(session, market.date_day(day) if day is not None else market.today())


@router.post(
    "/v1/market/bands",
    status_code=201,
    response_model=BandsOut,
    responses={**errors(401, 403, 409, 503), **accepted(BandsOut)},
    summary="Post today's band of every project type on chain (the registrar, exchange or a supervisor)",
)
def post_bands(runtime: RuntimeDep, actor: MarketOperator) -> JSONResponse:
    return respond(
        market.post_bands_command(
            runtime.commands, runtime.outbox, actor, block_min_kg=runtime.settings.block_trade_min_kg
        )
    )


@router.post(
    "/v1/market/reference-prices",
    status_code=201,
    response_model=OperationOut,
    responses={**errors(400, 401, 403, 409, 422, 503), **accepted(OperationOut)},
    summary="Set a project type's reference price on chain (R22; the registrar)",
)
def set_reference_price(
    body: ReferencePriceIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Registrar,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return respond(
        market.set_reference_price_command(
            runtime.commands,
            runtime.outbox,
            actor,
            kind=market.project_type(body.project_type),
            price_fen=body.price_fen_per_t,
            idempotency=keyed(request, key, body),
        )
    )


@router.get(
    "/v1/market/halts",
    response_model=list[HaltOut],
    summary="Trading halts in force (public)",
)
def halts(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return market.halts_view(session)


@router.post(
    "/v1/market/halts",
    status_code=201,
    response_model=OperationOut,
    responses={**errors(400, 401, 403, 404, 409, 422, 503), **accepted(OperationOut)},
    summary="Halt or resume trading of a project type or a batch (R24; a supervisor)",
)
def set_halt(
    body: HaltIn, request: Request, runtime: RuntimeDep, actor: Supervisor, key: IdempotencyKey = None
) -> JSONResponse:
    return respond(
        market.set_halt_command(
            runtime.commands,
            runtime.outbox,
            actor,
            kind=market.project_type(body.project_type) if body.project_type is not None else None,
            batch_id=body.batch_id,
            halted_now=body.halted,
            reason=body.reason,
            idempotency=keyed(request, key, body),
        )
    )


# -- the exchange's statement and the journals -------------------------------------------------------


@router.post(
    "/v1/exchange/statements",
    status_code=201,
    response_model=StatementResult,
    responses=errors(400, 401, 403, 413, 422),
    summary="The exchange's end-of-day statement: its trades and escrow positions; the differences back",
)
def statement(body: StatementIn, runtime: RuntimeDep, actor: Exchange) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        return trades.compare_statement(
            session,
            actor,
            day=body.day,
            statement_trades=[
                trades.StatementTrade(t.reference, t.listing_id, t.buyer, t.amount_kg, t.price_fen_per_t)
                for t in body.trades
            ],
            escrow=[trades.StatementEscrow(e.listing_id, e.remaining_kg) for e in body.escrow],
        )


@router.get(
    "/v1/accounting/journal",
    response_model=JournalOut,
    responses={
        **page_errors(401),
        200: {
            "description": "The journal (JSON), or with `Accept: text/csv` one row per line",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
    summary="The participant's own carbon-asset journal (R25, 财会〔2019〕22号)",
)
def accounting_journal(request: Request, runtime: RuntimeDep, actor: CurrentParticipant) -> Any:
    with runtime.db.reading() as session:
        me = session.get(Participant, actor.id)
        assert me is not None
        if "text/csv" in request.headers.get("accept", ""):
            return Response(
                journal.journal_csv(session, me),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="journal-{me.public_id}.csv"'},
            )
        return journal.journal_view(session, me)


@router.get(
    "/v1/accounting/disclosure",
    response_model=DisclosureOut,
    responses=errors(401, 422),
    summary="The participant's yearly carbon-asset disclosure: opening, purchased, sold, retired, closing",
)
def accounting_disclosure(
    runtime: RuntimeDep, actor: CurrentParticipant, year: Annotated[int, Query(ge=2000, le=2200)]
) -> dict[str, Any]:
    with runtime.db.reading() as session:
        me = session.get(Participant, actor.id)
        assert me is not None
        return journal.disclosure_view(session, me, year)
