"""Domain errors: one root, a stable code and HTTP status each, and context in the message.

The API turns them into ``{"error": {"code": ..., "message": ..., "details": ...}}`` with the
status below; the CLI prints the message and exits non-zero.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RegistryError(Exception):
    code: ClassVar[str] = "registry_error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(RegistryError):
    code = "invalid_request"
    status = 400


class Unauthenticated(RegistryError):
    code = "unauthenticated"
    status = 401


class Forbidden(RegistryError):
    code = "forbidden"
    status = 403


class NotFound(RegistryError):
    code = "not_found"
    status = 404


class Conflict(RegistryError):
    code = "conflict"
    status = 409


class InvalidState(Conflict):
    """The resource is not in a state that allows the action (e.g. reviewing a draft)."""

    code = "invalid_state"


class AlreadyExists(Conflict):
    code = "already_exists"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


class PeriodOverlaps(Conflict):
    """The period overlaps one already verified or issued for the project."""

    code = "period_overlaps_issued"


class PeriodOverlapsPending(Conflict):
    """The period overlaps a report of the project still awaiting verification."""

    code = "period_overlaps_pending"


class RecipientNotRegistered(Conflict):
    code = "recipient_not_registered"


class Frozen(Conflict):
    code = "frozen"


class Paused(Conflict):
    code = "paused"


class SelfCustody(Conflict):
    """The participant holds its own key: it signs its own transfers and retirements."""

    code = "self_custody"


class NotCovered(Conflict):
    """A claim closes only when the credits retired against it cover its footprint and buffer."""

    code = "not_covered"


class ClaimClosed(Conflict):
    """No retirement against a claim that is closed (or closing)."""

    code = "claim_closed"


class ListingNotOpen(Conflict):
    """The listing was cancelled or filled, or is being cancelled."""

    code = "listing_not_open"


class ExceedsListing(Conflict):
    """More than is left in the listing (less what pending settlements take)."""

    code = "exceeds_listing"


class BuyerIsSeller(Conflict):
    code = "buyer_is_seller"


class PriceOutOfBand(Conflict):
    """A price outside the trading day's band of the project type."""

    code = "price_out_of_band"


class TradingHalted(Conflict):
    """A supervisor halted trading of the project type or the batch."""

    code = "trading_halted"


class TradingDayClosing(Conflict):
    """The trading day closes within seconds: a settlement now could be mined on the next one."""

    code = "trading_day_closing"


class NoReferencePrice(Conflict):
    """No band can be computed: the project type has no reference price and no trades."""

    code = "no_reference_price"


class TradeReferenceReused(Conflict):
    """The exchange's trade reference was used with another instruction."""

    code = "trade_reference_reused"


class SettlementPending(Conflict):
    """A settlement of the listing is still pending: it cannot be cancelled now."""

    code = "settlement_pending"


class NonceUnexpected(Conflict):
    """A transaction signed by its holder (``POST /v1/transactions``) with a nonce other than the
    one the registry expects next for that account (``expected`` in the details)."""

    code = "nonce_unexpected"


class TransactionPending(Conflict):
    """A holder that keeps its own key has a transaction the registry is still relaying: the next
    one waits for it (its nonce follows it)."""

    code = "transaction_pending"


class AlreadySubmitted(Conflict):
    """The same signed transaction is being recorded by another request."""

    code = "already_submitted"


class TransactionInvalid(RegistryError):
    """A signed transaction the registry will not relay: not a transaction, another chain, not
    a Tanhui contract, a value, a function its sender may not call through the registry, a
    gas limit or fee that cannot work, or a call other than the one its arguments describe."""

    code = "transaction_invalid"
    status = 400


class Unprocessable(RegistryError):
    code = "unprocessable"
    status = 422


class MonitoringDataInvalid(Unprocessable):
    code = "monitoring_data_invalid"


class ActivityDataInvalid(Unprocessable):
    """The activity data of a footprint do not fit its footprint methodology."""

    code = "activity_data_invalid"


class NoReduction(Unprocessable):
    code = "no_reduction"


class MethodologyProposalInvalid(Unprocessable):
    """A declarative methodology that cannot be accepted; ``problems`` lists every reason, each
    with a stable code (``unknown_variable``, ``division_by_zero``, ``factor_without_source``,
    ``example_not_reproduced``, ... — ``registry.methodologies.declarative.PROBLEM_CODES``)."""

    code = "methodology_proposal_invalid"


class MethodologyUnavailable(Unprocessable):
    code = "methodology_unavailable"


class ChainRejected(RegistryError):
    """The chain refused an operation for a reason no domain check caught."""

    code = "chain_rejected"
    status = 409


class ChainOffline(RegistryError):
    """The chain could not be reached (the chain layer's ``ChainUnavailable``, as a domain error)."""

    code = "chain_unavailable"
    status = 503


_CHAIN_TO_DOMAIN: dict[str, type[RegistryError]] = {
    "CreditsInsufficientBalance": InsufficientBalance,
    "ERC1155InsufficientBalance": InsufficientBalance,
    "CreditsUnregisteredAccount": RecipientNotRegistered,
    "CreditsAccountFrozen": Frozen,
    "CreditsBatchFrozen": Frozen,
    "EnforcedPause": Paused,
    "CreditsPeriodOverlaps": PeriodOverlaps,
    "CreditsReportAlreadyIssued": AlreadyExists,
    "RegistryReportExists": AlreadyExists,
    "RegistryProjectExists": AlreadyExists,
    "RegistryParticipantExists": AlreadyExists,
    "RegistryMethodologyExists": AlreadyExists,
    "ExchangeListingNotOpen": ListingNotOpen,
    "ExchangeAmountExceedsListing": ExceedsListing,
    "ExchangeBuyerIsSeller": BuyerIsSeller,
    "ExchangeSellerFrozen": Frozen,
    "ExchangePriceOutOfBand": PriceOutOfBand,
    "ExchangeNoBand": PriceOutOfBand,
    "ExchangeTradingHalted": TradingHalted,
    "ExchangeTradeRefUsed": TradeReferenceReused,
}


def from_chain(err: Exception) -> RegistryError:
    """The domain error for a chain-layer error (a typed revert, or an unreachable node)."""
    from chain import errors as chain_errors

    if isinstance(err, chain_errors.ChainUnavailable):
        return ChainOffline(str(err))
    if isinstance(err, chain_errors.ContractRevert):
        klass = _CHAIN_TO_DOMAIN.get(err.name, ChainRejected)
        return klass(f"the chain refused it: {err}", chain_error=err.name)
    return ChainRejected(f"the chain refused it: {err}")
