"""Typed errors of the chain layer.

Every failure of the chain layer is a :class:`ChainError`. A transaction or call that the
contracts refuse raises a :class:`ContractRevert` subclass named after the Solidity custom
error, carrying its arguments by name::

    try:
        credits.retire(...)
    except errors.CreditsInsufficientBalance as err:
        err.arguments["balance"], err.arguments["needed"]

The classes below mirror the custom errors of the compiled ABIs one for one (a test checks
this); a revert whose selector is not known raises the base :class:`ContractRevert`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ChainError(Exception):
    """Root of every error raised by the chain layer."""


class CompileError(ChainError):
    """The contracts could not be compiled (no compiler, or the compiler refused them)."""


class ChainUnavailable(ChainError):
    """The node could not be reached or answered with a transport error. The message names the
    node and a short reason: ``cannot reach the chain at http://127.0.0.1:1: connection refused``."""


class NoSigner(ChainError):
    """No key was configured and the node offers no unlocked account."""


class DeploymentNotFound(ChainError):
    """No deployment of the contracts is recorded for this chain."""


class TransactionFailed(ChainError):
    """A transaction failed without a decodable reason (out of gas, dropped, timed out)."""

    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class TransactionReverted(TransactionFailed):
    """Mined with status 0 and no decodable reason (out of gas, or a revert the replay on the
    previous block's state did not reproduce). Final: its nonce is used."""


class TransactionRefused(TransactionFailed):
    """The node did not accept the transaction (funds, fees, nonce): it was not mined and its
    nonce is still free, unless the subclass says otherwise."""


class NonceTaken(TransactionRefused):
    """The transaction's nonce was already used by a mined transaction. Its nonce is NOT free:
    the same call must be signed again with a new nonce."""


class FeeTooLow(TransactionRefused):
    """The node does not take the transaction at its fees (underpriced, below the block's base
    fee, or outside the node's fee cap). Its nonce is still free: sign again with current fees."""


class InsufficientFunds(TransactionRefused):
    """The sender cannot pay gas * price + value. Its nonce is still free."""


class ReceiptTimeout(TransactionFailed):
    """No receipt (with the configured confirmations) within the timeout: the outcome is unknown."""


class ContractRevert(ChainError):
    """A contract refused a call or transaction with a revert.

    ``name`` is the Solidity error's name, ``arguments`` its arguments by name, ``tx_hash`` the
    mined transaction when the revert happened on chain (None when it was caught before sending).
    """

    by_name: ClassVar[dict[str, type[ContractRevert]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ContractRevert.by_name[cls.__name__] = cls

    def __init__(
        self, name: str, arguments: dict[str, Any] | None = None, *, tx_hash: str | None = None
    ) -> None:
        self.name = name
        self.arguments = dict(arguments or {})
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.arguments.items())
        super().__init__(f"{name}({shown})")

    @classmethod
    def create(
        cls, name: str, arguments: dict[str, Any] | None = None, *, tx_hash: str | None = None
    ) -> ContractRevert:
        """The instance of the class named `name`, or of :class:`ContractRevert` if there is none."""
        klass = cls.by_name.get(name, ContractRevert)
        return klass(name, arguments, tx_hash=tx_hash)


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


class RevertedWithReason(ContractRevert):
    """A `require(cond, "reason")` or `revert("reason")`: ``arguments["reason"]``."""


class Panicked(ContractRevert):
    """A Solidity panic (assert, overflow, division by zero): ``arguments["code"]``."""


class AccessControlError(ContractRevert):
    """Errors of OpenZeppelin's access control."""


class PausableError(ContractRevert):
    """Errors of OpenZeppelin's pause."""


class ERC1155Error(ContractRevert):
    """Errors of OpenZeppelin's ERC-1155 (ERC-6093)."""


class RegistryError(ContractRevert):
    """Errors of TanhuiRegistry."""


class CreditsError(ContractRevert):
    """Errors of TanhuiCredits."""


class AccessControlBadConfirmation(AccessControlError):
    """AccessControlBadConfirmation()"""


class AccessControlEnforcedDefaultAdminDelay(AccessControlError):
    """AccessControlEnforcedDefaultAdminDelay(uint48 schedule)"""


class AccessControlEnforcedDefaultAdminRules(AccessControlError):
    """AccessControlEnforcedDefaultAdminRules()"""


class AccessControlInvalidDefaultAdmin(AccessControlError):
    """AccessControlInvalidDefaultAdmin(address defaultAdmin)"""


class AccessControlUnauthorizedAccount(AccessControlError):
    """AccessControlUnauthorizedAccount(address account, bytes32 neededRole)"""


class CreditsAccountFrozen(CreditsError):
    """CreditsAccountFrozen(address account)"""


class CreditsAlreadyFrozen(CreditsError):
    """CreditsAlreadyFrozen()"""


class CreditsBatchFrozen(CreditsError):
    """CreditsBatchFrozen(uint256 batchId)"""


class CreditsClaimClosed(CreditsError):
    """CreditsClaimClosed(bytes32 eventId)"""


class CreditsClaimNotCovered(CreditsError):
    """CreditsClaimNotCovered(bytes32 eventId, uint64 retiredKg, uint64 requiredKg)"""


class CreditsClaimTooLarge(CreditsError):
    """CreditsClaimTooLarge(uint64 requiredKg, uint64 max)"""


class CreditsEmptyBeneficiary(CreditsError):
    """CreditsEmptyBeneficiary()"""


class CreditsEmptyReason(CreditsError):
    """CreditsEmptyReason()"""


class CreditsInsufficientBalance(CreditsError):
    """CreditsInsufficientBalance(address holder, uint256 batchId, uint256 balance, uint256 needed)"""


class CreditsInvalidConsumptionPeriod(CreditsError):
    """CreditsInvalidConsumptionPeriod(uint40 consumptionStart, uint40 consumptionEnd)"""


class CreditsNotAContract(CreditsError):
    """CreditsNotAContract(address account)"""


class CreditsNotFrozen(CreditsError):
    """CreditsNotFrozen()"""


class CreditsPeriodOverlaps(CreditsError):
    """CreditsPeriodOverlaps(bytes32 projectId, uint64 periodStart, uint64 periodEnd, uint64 issuedStart, uint64 issuedEnd)"""  # noqa: E501


class CreditsProjectNotRegistered(CreditsError):
    """CreditsProjectNotRegistered(bytes32 projectId)"""


class CreditsReportAlreadyIssued(CreditsError):
    """CreditsReportAlreadyIssued(bytes32 reportHash, uint256 batchId)"""


class CreditsReportNotVerified(CreditsError):
    """CreditsReportNotVerified(bytes32 reportHash)"""


class CreditsReportWithdrawn(CreditsError):
    """CreditsReportWithdrawn(bytes32 reportHash)"""


class CreditsRequiredBelowFootprint(CreditsError):
    """CreditsRequiredBelowFootprint(uint64 footprintKg, uint64 requiredKg)"""


class CreditsTextTooLong(CreditsError):
    """CreditsTextTooLong(string field, uint256 length, uint256 max)"""


class CreditsUnknownBatch(CreditsError):
    """CreditsUnknownBatch(uint256 batchId)"""


class CreditsUnknownCertificate(CreditsError):
    """CreditsUnknownCertificate(uint256 certificateId)"""


class CreditsUnregisteredAccount(CreditsError):
    """CreditsUnregisteredAccount(address account)"""


class CreditsVerifierNotActive(CreditsError):
    """CreditsVerifierNotActive(bytes32 reportHash, address verifier)"""


class CreditsZeroAmount(CreditsError):
    """CreditsZeroAmount()"""


class CreditsZeroEventId(CreditsError):
    """CreditsZeroEventId()"""


class CreditsZeroFootprint(CreditsError):
    """CreditsZeroFootprint()"""


class CreditsOnlyMarket(CreditsError):
    """CreditsOnlyMarket(address caller)"""


class CreditsMarketAlreadySet(CreditsError):
    """CreditsMarketAlreadySet(address market)"""


class CreditsEscrowed(CreditsError):
    """CreditsEscrowed(uint256 batchId)"""


class ExchangeError(ContractRevert):
    """Errors of TanhuiExchange."""


class ExchangeZeroAmount(ExchangeError):
    """ExchangeZeroAmount()"""


class ExchangeZeroPrice(ExchangeError):
    """ExchangeZeroPrice()"""


class ExchangeZeroTradeRef(ExchangeError):
    """ExchangeZeroTradeRef()"""


class ExchangeInvalidProjectType(ExchangeError):
    """ExchangeInvalidProjectType(uint8 projectType)"""


class ExchangeUnknownProjectType(ExchangeError):
    """ExchangeUnknownProjectType(bytes32 methodologyId)"""


class ExchangeListingNotOpen(ExchangeError):
    """ExchangeListingNotOpen(uint256 listingId, uint8 state)"""


class ExchangeAmountExceedsListing(ExchangeError):
    """ExchangeAmountExceedsListing(uint256 listingId, uint64 remaining, uint64 amount)"""


class ExchangeBuyerIsSeller(ExchangeError):
    """ExchangeBuyerIsSeller(address buyer)"""


class ExchangeSellerFrozen(ExchangeError):
    """ExchangeSellerFrozen(address seller)"""


class ExchangeTradeRefUsed(ExchangeError):
    """ExchangeTradeRefUsed(bytes32 tradeRef, uint256 tradeId)"""


class ExchangeTradingHalted(ExchangeError):
    """ExchangeTradingHalted(uint8 projectType, uint256 batchId)"""


class ExchangeNoBand(ExchangeError):
    """ExchangeNoBand(uint8 projectType, uint32 day)"""


class ExchangePriceOutOfBand(ExchangeError):
    """ExchangePriceOutOfBand(uint64 priceFenPerTonne, uint64 low, uint64 high)"""


class ExchangeInvalidBand(ExchangeError):
    """ExchangeInvalidBand()"""


class ExchangePastDay(ExchangeError):
    """ExchangePastDay(uint32 day, uint32 today)"""


class ExchangeHaltUnchanged(ExchangeError):
    """ExchangeHaltUnchanged()"""


class ExchangeEmptyReason(ExchangeError):
    """ExchangeEmptyReason()"""


class ExchangeReasonTooLong(ExchangeError):
    """ExchangeReasonTooLong(uint256 length, uint256 max)"""


class ExchangeUnexpectedTransfer(ExchangeError):
    """ExchangeUnexpectedTransfer(address operator)"""


class ERC1155InsufficientBalance(ERC1155Error):
    """ERC1155InsufficientBalance(address sender, uint256 balance, uint256 needed, uint256 tokenId)"""


class ERC1155InvalidApprover(ERC1155Error):
    """ERC1155InvalidApprover(address approver)"""


class ERC1155InvalidArrayLength(ERC1155Error):
    """ERC1155InvalidArrayLength(uint256 idsLength, uint256 valuesLength)"""


class ERC1155InvalidOperator(ERC1155Error):
    """ERC1155InvalidOperator(address operator)"""


class ERC1155InvalidReceiver(ERC1155Error):
    """ERC1155InvalidReceiver(address receiver)"""


class ERC1155InvalidSender(ERC1155Error):
    """ERC1155InvalidSender(address sender)"""


class ERC1155MissingApprovalForAll(ERC1155Error):
    """ERC1155MissingApprovalForAll(address operator, address owner)"""


class EnforcedPause(PausableError):
    """EnforcedPause()"""


class ExpectedPause(PausableError):
    """ExpectedPause()"""


class RegistryAmountTooLarge(RegistryError):
    """RegistryAmountTooLarge(uint64 amount, uint64 max)"""


class RegistryConflictingRoles(RegistryError):
    """RegistryConflictingRoles(address account, bytes32 held, bytes32 wanted)"""


class RegistryEmptyPointsEpoch(RegistryError):
    """RegistryEmptyPointsEpoch(uint64 epoch)"""


class RegistryInvalidKind(RegistryError):
    """RegistryInvalidKind(uint8 kind)"""


class RegistryInvalidReason(RegistryError):
    """RegistryInvalidReason(uint256 length, uint256 max)"""


class RegistryInvalidParticipantStatus(RegistryError):
    """RegistryInvalidParticipantStatus(address account, uint8 status)"""


class RegistryInvalidPeriod(RegistryError):
    """RegistryInvalidPeriod(uint64 periodStart, uint64 periodEnd)"""


class RegistryInvalidProjectStatus(RegistryError):
    """RegistryInvalidProjectStatus(bytes32 projectId, uint8 from, uint8 to)"""


class RegistryInvalidValidity(RegistryError):
    """RegistryInvalidValidity(uint40 validFrom, uint40 validUntil)"""


class RegistryMethodologyExists(RegistryError):
    """RegistryMethodologyExists(bytes32 methodologyId, uint32 version)"""


class RegistryMethodologyNotPublished(RegistryError):
    """RegistryMethodologyNotPublished(bytes32 methodologyId, uint32 version, uint8 status)"""


class RegistryParticipantExists(RegistryError):
    """RegistryParticipantExists(address account)"""


class RegistryParticipantNotActive(RegistryError):
    """RegistryParticipantNotActive(address account, uint8 status)"""


class RegistryPointsEpochNotNext(RegistryError):
    """RegistryPointsEpochNotNext(uint64 epoch, uint64 expected)"""


class RegistryPointsEpochTooLarge(RegistryError):
    """RegistryPointsEpochTooLarge(uint64 leafCount, uint64 max)"""


class RegistryProjectExists(RegistryError):
    """RegistryProjectExists(bytes32 projectId)"""


class RegistryProjectNotRegistered(RegistryError):
    """RegistryProjectNotRegistered(bytes32 projectId, uint8 status)"""


class RegistryReportExists(RegistryError):
    """RegistryReportExists(bytes32 reportHash)"""


class RegistrySceneNotCertified(RegistryError):
    """RegistrySceneNotCertified(bytes32 sceneId)"""


class RegistryRoleGrantNotDelayed(RegistryError):
    """RegistryRoleGrantNotDelayed(bytes32 role)"""


class RegistryRoleGrantNotReady(RegistryError):
    """RegistryRoleGrantNotReady(bytes32 role, address account, uint48 readyAt)"""


class RegistryRoleGrantNotScheduled(RegistryError):
    """RegistryRoleGrantNotScheduled(bytes32 role, address account)"""


class RegistryUnknownMethodology(RegistryError):
    """RegistryUnknownMethodology(bytes32 methodologyId, uint32 version)"""


class RegistryUnknownParticipant(RegistryError):
    """RegistryUnknownParticipant(address account)"""


class RegistryUnknownProject(RegistryError):
    """RegistryUnknownProject(bytes32 projectId)"""


class RegistryVerifierIsOwner(RegistryError):
    """RegistryVerifierIsOwner(bytes32 projectId, address verifier)"""


class RegistryZeroAddress(RegistryError):
    """RegistryZeroAddress()"""


class RegistryZeroAmount(RegistryError):
    """RegistryZeroAmount()"""


class RegistryZeroHash(RegistryError):
    """RegistryZeroHash()"""


class RegistryZeroId(RegistryError):
    """RegistryZeroId()"""


class SafeCastOverflowedUintDowncast(ContractRevert):
    """SafeCastOverflowedUintDowncast(uint8 bits, uint256 value)"""
