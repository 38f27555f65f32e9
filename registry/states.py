"""Every workflow state of the registry, and the moves between them, in one place.

Each entity's status is a ``StrEnum`` (stored as its string value) and its allowed moves are a
table; services move an entity with :func:`move`, which refuses a move the table does not list
with :class:`~registry.errors.InvalidState`. The chain's own states (a participant's standing, a
project's registration) reach the index through the indexer, which moves the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from registry.errors import InvalidRequest, InvalidState


class Standing(StrEnum):
    """A participant's standing on chain, as the index knows it."""

    PENDING = "pending"  # its registration transaction is not confirmed yet
    ACTIVE = "active"
    SUSPENDED = "suspended"
    FAILED = "failed"  # its registration failed on chain


class Custody(StrEnum):
    """Who keeps a participant's chain key."""

    KEYSTORE = "keystore"  # the registry, encrypted
    SELF = "self"  # the participant itself
    OPERATOR = "operator"  # the registry operator's own key


class MethodologyStatus(StrEnum):
    """The expert committee's decision on a methodology version (R4)."""

    PROPOSED = "proposed"
    PUBLISHED = "published"
    REJECTED = "rejected"


class Publication(StrEnum):
    """A methodology version on chain."""

    NONE = "none"  # not decided (or rejected): nothing to publish
    PENDING = "pending"  # the publishing transaction is not confirmed yet
    PUBLISHED = "published"
    DEPRECATED = "deprecated"
    FAILED = "failed"


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"  # approved by the registrar; its registration is on its way to the chain
    REGISTERED = "registered"
    REGISTRATION_FAILED = "registration_failed"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    VERIFIED = "verified"  # approved; the record and the issuance are on their way to the chain
    ISSUED = "issued"
    ISSUE_FAILED = "issue_failed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # withdrawn by its verifier or a supervisor before issuance


class ClaimStatus(StrEnum):
    """A carbon-neutrality claim (R14, R15)."""

    REGISTERED = "registered"  # no footprint yet
    FOOTPRINTED = "footprinted"  # footprint computed, awaiting a verifier
    FOOTPRINT_REJECTED = "footprint_rejected"  # the verifier refused it: a new footprint is due
    VERIFIED = "verified"  # footprint verified; retirements against it until it closes
    CLOSING = "closing"  # the closing transaction is on its way to the chain
    NEUTRAL = "neutral"  # closed on chain: the retirements cover the footprint


class OperationStatus(StrEnum):
    """A chain operation of the outbox: signed -> sent -> confirmed | failed."""

    SIGNED = "signed"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class CreditRequestKind(StrEnum):
    TRANSFER = "transfer"
    RETIREMENT = "retirement"
    LISTING = "listing"


class ListingState(StrEnum):
    """A listing on the exchange, as the chain says (TanhuiExchange.ListingState)."""

    OPEN = "open"
    CANCELLED = "cancelled"
    FILLED = "filled"


#: Operations not final yet: the relay still has to send or confirm them.
PENDING_OPERATIONS = (OperationStatus.SIGNED, OperationStatus.SENT)
#: Reports that hold their period: no other report of the project may overlap it.
LIVE_REPORTS = (ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.ISSUED)
#: A project's status that a new document may be added in.
EDITABLE_PROJECTS = (ProjectStatus.DRAFT, ProjectStatus.CHANGES_REQUESTED)

#: The on-chain enum values of a participant's status (TanhuiRegistry.ParticipantStatus).
STANDING_ON_CHAIN = {1: Standing.ACTIVE, 2: Standing.SUSPENDED}
#: The on-chain enum values of a project's status (TanhuiRegistry.ProjectStatus).
PROJECT_ON_CHAIN = {1: ProjectStatus.REGISTERED, 2: ProjectStatus.SUSPENDED, 3: ProjectStatus.CLOSED}

_S = TypeVar("_S", bound=StrEnum)

TRANSITIONS: dict[type[StrEnum], dict[StrEnum, frozenset[StrEnum]]] = {
    Standing: {
        Standing.PENDING: frozenset({Standing.ACTIVE, Standing.SUSPENDED, Standing.FAILED}),
        Standing.ACTIVE: frozenset({Standing.SUSPENDED}),
        Standing.SUSPENDED: frozenset({Standing.ACTIVE}),
        Standing.FAILED: frozenset({Standing.ACTIVE, Standing.SUSPENDED}),
    },
    MethodologyStatus: {
        MethodologyStatus.PROPOSED: frozenset({MethodologyStatus.PUBLISHED, MethodologyStatus.REJECTED}),
    },
    Publication: {
        Publication.NONE: frozenset({Publication.PENDING, Publication.PUBLISHED}),
        Publication.PENDING: frozenset({Publication.PUBLISHED, Publication.FAILED}),
        Publication.PUBLISHED: frozenset({Publication.DEPRECATED}),
        Publication.FAILED: frozenset({Publication.PUBLISHED}),
    },
    ProjectStatus: {
        ProjectStatus.DRAFT: frozenset({ProjectStatus.SUBMITTED}),
        ProjectStatus.CHANGES_REQUESTED: frozenset({ProjectStatus.SUBMITTED}),
        ProjectStatus.SUBMITTED: frozenset(
            {ProjectStatus.APPROVED, ProjectStatus.REJECTED, ProjectStatus.CHANGES_REQUESTED}
        ),
        ProjectStatus.APPROVED: frozenset({ProjectStatus.REGISTERED, ProjectStatus.REGISTRATION_FAILED}),
        ProjectStatus.REGISTRATION_FAILED: frozenset({ProjectStatus.REGISTERED}),
        ProjectStatus.REGISTERED: frozenset({ProjectStatus.SUSPENDED, ProjectStatus.CLOSED}),
        ProjectStatus.SUSPENDED: frozenset({ProjectStatus.REGISTERED, ProjectStatus.CLOSED}),
    },
    ReportStatus: {
        ReportStatus.SUBMITTED: frozenset(
            {ReportStatus.VERIFIED, ReportStatus.REJECTED, ReportStatus.CHANGES_REQUESTED}
        ),
        ReportStatus.VERIFIED: frozenset(
            {ReportStatus.ISSUED, ReportStatus.ISSUE_FAILED, ReportStatus.WITHDRAWN}
        ),
        ReportStatus.ISSUE_FAILED: frozenset({ReportStatus.ISSUED, ReportStatus.WITHDRAWN}),
    },
    ClaimStatus: {
        ClaimStatus.REGISTERED: frozenset({ClaimStatus.FOOTPRINTED}),
        ClaimStatus.FOOTPRINTED: frozenset({ClaimStatus.VERIFIED, ClaimStatus.FOOTPRINT_REJECTED}),
        ClaimStatus.FOOTPRINT_REJECTED: frozenset({ClaimStatus.FOOTPRINTED}),
        ClaimStatus.VERIFIED: frozenset({ClaimStatus.CLOSING, ClaimStatus.NEUTRAL}),
        ClaimStatus.CLOSING: frozenset({ClaimStatus.NEUTRAL, ClaimStatus.VERIFIED}),
    },
    OperationStatus: {
        OperationStatus.SIGNED: frozenset(
            {OperationStatus.SENT, OperationStatus.CONFIRMED, OperationStatus.FAILED}
        ),
        OperationStatus.SENT: frozenset({OperationStatus.CONFIRMED, OperationStatus.FAILED}),
    },
}


def decided(decision: str, outcomes: Mapping[str, _S], reason: str, *, what: str) -> _S:
    """The state a reviewer's `decision` leads to (one of `outcomes`), given a non-empty
    `reason`; `what` names the act in the error ("a review", "a verification")."""
    if decision not in outcomes:
        raise InvalidRequest(f"decision must be {' or '.join(outcomes)}", field="decision")
    if not reason.strip():
        raise InvalidRequest(f"{what} needs a reason", field="reason")
    return outcomes[decision]


def can_move(current: StrEnum, to: StrEnum) -> bool:
    """Whether the table allows `current` -> `to` (staying in a state is always allowed)."""
    if current == to:
        return True
    return to in TRANSITIONS[type(to)].get(current, frozenset())


def move(current: StrEnum, to: _S, *, subject: str) -> _S:
    """`to`, if the table allows the move from `current`; else InvalidState naming `subject`."""
    if not can_move(current, to):
        raise InvalidState(f"{subject} is {current}; it cannot become {to}", status=str(current))
    return to
