"""The merchant alliance's mall (R17, R19): the registrar approves merchants, an approved merchant
lists items and confirms vouchers at its counter, a citizen (with its own token, as in
api/routers/points.py) redeems points for a one-time voucher. See registry/mall.py and
docs/mall.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import PublicId, RuntimeDep, SerialId, requires
from api.responses import Timestamp, errors
from api.routers.points import CurrentCitizen
from api.schemas import Body
from registry import mall as service
from registry.models import Participant

router = APIRouter(tags=["mall"])
Registrar = Annotated[Participant, Depends(requires("registrar"))]
Merchant = Annotated[Participant, Depends(requires("merchant"))]
Month = Annotated[
    str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (China Standard Time)")
]


# -- bodies (kept here: api/responses.py and api/schemas.py may take them over) ------------------


class MerchantIn(Body):
    participant_id: PublicId = Field(description="A participant with the merchant role")
    display_name: str = Field(min_length=1, max_length=service.MAX_NAME, description="Shown with its items")


class MerchantOut(BaseModel):
    """A merchant of the alliance."""

    id: int
    participant_id: str
    display_name: str
    status: str = Field(description="approved", examples=["approved"])
    approved_at: Timestamp


class ItemIn(Body):
    name: str = Field(min_length=1, max_length=service.MAX_NAME)
    description: str = Field(default="", max_length=service.MAX_DESCRIPTION)
    points_price: int = Field(ge=1, le=service.MAX_POINTS, strict=True, description="Points per item")
    stock: int = Field(ge=0, le=service.MAX_STOCK, strict=True, description="Items on offer")


class ItemPatch(Body):
    """What to change of an item; what is left out stays. `stock` is the stock left, not a change."""

    name: str | None = Field(default=None, min_length=1, max_length=service.MAX_NAME)
    description: str | None = Field(default=None, max_length=service.MAX_DESCRIPTION)
    points_price: int | None = Field(default=None, ge=1, le=service.MAX_POINTS, strict=True)
    stock: int | None = Field(default=None, ge=0, le=service.MAX_STOCK, strict=True)
    active: bool | None = Field(default=None, description="false withdraws the item from the mall")


class ItemOut(BaseModel):
    """An item of the mall, with its merchant's display name and the stock left."""

    id: int
    merchant_id: int
    merchant: str = Field(description="The merchant's display name")
    name: str
    description: str
    points_price: int
    stock: int = Field(description="Items left")
    active: bool
    updated_at: Timestamp


class RedemptionIn(Body):
    item_id: int = Field(ge=1, le=2**31 - 1, strict=True)


class VoucherOut(BaseModel):
    """A voucher as its citizen sees it (never its code again)."""

    id: int
    item_id: int
    item: str
    merchant_id: int
    merchant: str
    points: int
    status: str = Field(description="issued, confirmed or expired (its points refunded)", examples=["issued"])
    issued_at: Timestamp
    expires_at: Timestamp
    confirmed_at: Timestamp | None
    expired_at: Timestamp | None


class RedemptionOut(VoucherOut):
    """A redemption: the voucher, its one-time code (shown once) and the balance left."""

    code: str = Field(description="The one-time code to show at the merchant's counter: shown once")
    balance: int = Field(description="The citizen's balance after the redemption")


class ConfirmIn(Body):
    code: str = Field(min_length=1, max_length=40, description="The voucher's code, as the citizen shows it")


class ExpiryOut(BaseModel):
    """The vouchers that expired in this run (their points refunded)."""

    expired: list[VoucherOut]


class StatementLine(BaseModel):
    voucher_id: int
    item_id: int
    item: str
    points: int
    confirmed_at: Timestamp


class StatementOut(BaseModel):
    """The merchant's vouchers confirmed in a month (China Standard Time) and their totals."""

    merchant_id: int
    merchant: str
    month: str
    timezone: str = Field(examples=["+08:00"])
    from_: Timestamp = Field(alias="from", description="The month's start (as UTC)")
    until: Timestamp = Field(description="The next month's start (as UTC)")
    vouchers: list[StatementLine]
    count: int
    total_points: int


# -- routes ------------------------------------------------------------------------------------


@router.post(
    "/v1/mall/merchants",
    status_code=201,
    response_model=MerchantOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Approve a participant with the merchant role into the alliance (registrar)",
)
def approve_merchant(body: MerchantIn, runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        merchant = service.approve_merchant(session, actor, body.participant_id, body.display_name)
        return service.merchant_dict(merchant, body.participant_id)


@router.get(
    "/v1/mall/merchants",
    response_model=list[MerchantOut],
    summary="The alliance's approved merchants (public)",
)
def list_merchants(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.merchants(session)


@router.post(
    "/v1/mall/items",
    status_code=201,
    response_model=ItemOut,
    responses=errors(400, 401, 403, 422),
    summary="List an item for points (an approved merchant)",
)
def add_item(body: ItemIn, runtime: RuntimeDep, actor: Merchant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        item = service.add_item(
            session,
            actor,
            name=body.name,
            description=body.description,
            points_price=body.points_price,
            stock=body.stock,
        )
        return service.item_view(session, item.id)


@router.patch(
    "/v1/mall/items/{item_id}",
    response_model=ItemOut,
    responses=errors(400, 401, 403, 404, 422),
    summary="Change one's own item: price, stock left, name, description, or withdraw it "
    "(an approved merchant)",
)
def update_item(item_id: SerialId, body: ItemPatch, runtime: RuntimeDep, actor: Merchant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        service.update_item(session, actor, item_id, **body.model_dump(exclude_none=True))
        return service.item_view(session, item_id)


@router.get(
    "/v1/mall/items",
    response_model=list[ItemOut],
    summary="The mall's items on offer, with merchant, price and stock left (public)",
)
def list_items(runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.items(session)


@router.get(
    "/v1/mall/items/{item_id}",
    response_model=ItemOut,
    responses=errors(404, 422),
    summary="An item of the mall (public)",
)
def get_item(item_id: SerialId, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.item_view(session, item_id)


@router.post(
    "/v1/mall/redemptions",
    status_code=201,
    response_model=RedemptionOut,
    responses=errors(400, 401, 404, 409, 422),
    summary="Redeem points for an item: a one-time voucher code, shown once (the citizen's token)",
)
def redeem(body: RedemptionIn, runtime: RuntimeDep, citizen: CurrentCitizen) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        done = service.redeem(session, citizen.id, body.item_id)
        merchant = session.get(service.MallMerchant, done.voucher.merchant_id)
        assert merchant is not None
        return {
            **service.voucher_dict(done.voucher, merchant.display_name),
            "code": done.code,
            "balance": done.balance,
        }


@router.get(
    "/v1/mall/vouchers",
    response_model=list[VoucherOut],
    responses=errors(401),
    summary="The citizen's vouchers, newest first: status and expiry, never the code (the citizen's token)",
)
def my_vouchers(runtime: RuntimeDep, citizen: CurrentCitizen) -> list[dict[str, Any]]:
    with runtime.db.reading() as session:
        return service.vouchers_of(session, citizen)


@router.post(
    "/v1/mall/vouchers/confirm",
    response_model=VoucherOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Confirm a voucher at the merchant's counter, once (an approved merchant; its own vouchers)",
)
def confirm_voucher(body: ConfirmIn, runtime: RuntimeDep, actor: Merchant) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        voucher = service.confirm_voucher(session, actor, body.code)
        merchant = session.get(service.MallMerchant, voucher.merchant_id)
        assert merchant is not None
        return service.voucher_dict(voucher, merchant.display_name)


@router.post(
    "/v1/mall/vouchers/expiry",
    response_model=ExpiryOut,
    responses=errors(401, 403),
    summary="Expire the vouchers past their expiry and refund their points to the citizens (registrar)",
)
def expire_vouchers(runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    with runtime.db.transaction() as session:
        expired = service.expire_vouchers(session)
        rows = session.execute(select(service.MallMerchant.id, service.MallMerchant.display_name))
        names = {merchant_id: name for merchant_id, name in rows}
        return {"expired": [service.voucher_dict(v, names[v.merchant_id]) for v in expired]}


@router.get(
    "/v1/mall/statements/{month}",
    response_model=StatementOut,
    response_model_by_alias=True,
    responses=errors(400, 401, 403, 422),
    summary="The merchant's monthly statement of confirmed vouchers, months in China Standard Time "
    "(an approved merchant)",
)
def statement(month: Month, runtime: RuntimeDep, actor: Merchant) -> dict[str, Any]:
    with runtime.db.reading() as session:
        return service.statement(session, actor, month)
