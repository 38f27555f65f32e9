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
    """The node could not be reached or answered with a transport error."""


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
    nonce is still free."""


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

    def __init__(self, name: str, arguments: dict[str, Any] | None = None, *, tx_hash: str | None = None) -> None:
        self.name = name
        self.arguments = dict(arguments or {})
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.arguments.items())
        super().__init__(f"{name}({shown})")

    @classmethod
    def create(cls, name: str, arguments: dict[str, Any] | None = None, *, tx_hash: str | None = None) -> ContractRevert:
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
    pass


class AccessControlEnforcedDefaultAdminDelay(AccessControlError):
    pass


class AccessControlEnforcedDefaultAdminRules(AccessControlError):
    pass


class AccessControlInvalidDefaultAdmin(AccessControlError):
    pass


class AccessControlUnauthorizedAccount(AccessControlError):
    pass


class CreditsAccountFrozen(CreditsError):
    pass


class CreditsAlreadyFrozen(CreditsError):
    pass


class CreditsBatchFrozen(CreditsError):
    pass


class CreditsEmptyBeneficiary(CreditsError):
    pass


class CreditsEmptyReason(CreditsError):
    pass


class CreditsInsufficientBalance(CreditsError):
    pass


class CreditsInvalidConsumptionPeriod(CreditsError):
    pass


class CreditsNotFrozen(CreditsError):
    pass


class CreditsPeriodOverlaps(CreditsError):
    pass


class CreditsProjectNotRegistered(CreditsError):
    pass


class CreditsReportAlreadyIssued(CreditsError):
    pass


class CreditsReportNotVerified(CreditsError):
    pass


class CreditsUnknownBatch(CreditsError):
    pass


class CreditsUnknownCertificate(CreditsError):
    pass


class CreditsUnregisteredAccount(CreditsError):
    pass


class CreditsZeroAmount(CreditsError):
    pass


class ERC1155InsufficientBalance(ERC1155Error):
    pass


class ERC1155InvalidApprover(ERC1155Error):
    pass


class ERC1155InvalidArrayLength(ERC1155Error):
    pass


class ERC1155InvalidOperator(ERC1155Error):
    pass


class ERC1155InvalidReceiver(ERC1155Error):
    pass


class ERC1155InvalidSender(ERC1155Error):
    pass


class ERC1155MissingApprovalForAll(ERC1155Error):
    pass


class EnforcedPause(PausableError):
    pass


class ExpectedPause(PausableError):
    pass


class RegistryInvalidKind(RegistryError):
    pass


class RegistryInvalidParticipantStatus(RegistryError):
    pass


class RegistryInvalidPeriod(RegistryError):
    pass


class RegistryInvalidProjectStatus(RegistryError):
    pass


class RegistryMethodologyExists(RegistryError):
    pass


class RegistryMethodologyNotPublished(RegistryError):
    pass


class RegistryParticipantExists(RegistryError):
    pass


class RegistryParticipantNotActive(RegistryError):
    pass


class RegistryProjectExists(RegistryError):
    pass


class RegistryProjectNotRegistered(RegistryError):
    pass


class RegistryReportExists(RegistryError):
    pass


class RegistryUnknownMethodology(RegistryError):
    pass


class RegistryUnknownParticipant(RegistryError):
    pass


class RegistryUnknownProject(RegistryError):
    pass


class RegistryZeroAddress(RegistryError):
    pass


class RegistryZeroAmount(RegistryError):
    pass


class RegistryZeroHash(RegistryError):
    pass


class RegistryZeroId(RegistryError):
    pass


class SafeCastOverflowedUintDowncast(ContractRevert):
    pass
