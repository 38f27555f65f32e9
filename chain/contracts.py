"""Typed access to the deployed Tanhui contracts: roles, enums, views and write calls.

Write methods return a :class:`ContractCall` (the encoded call, nothing sent); the caller signs
and sends it through the :class:`~chain.client.ChainClient` (directly, or through the registry's
outbox). Views return frozen dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from chain.abi import ContractCall as ContractCall  # defined with the ABI helpers, public here
from chain.abi import canonical_type, selector
from chain.client import ChainClient
from chain.errors import DeploymentNotFound

ROLE_NAMES = ("registrar", "verifier", "issuer", "exchange", "supervisor", "pauser")
# Granted only after an announced delay (`schedule_role_grant`, then `grant_role` once
# `role_grant_delay()` has passed); the deployment grants them to the operator at once. The
# verifier role is granted at once, but never to an account holding the admin, registrar or
# issuer role (nor those to a verifier).
OPERATOR_ROLES = ("registrar", "issuer", "exchange", "supervisor", "pauser")
ADMIN_ROLE = bytes(32)


def role_id(name: str) -> bytes:
    """The on-chain id of a role: keccak256("tanhui.role.<name>"), or 0x00 for "admin"."""
    if name == "admin":
        return ADMIN_ROLE
    if name not in ROLE_NAMES:
        raise ValueError(f"unknown role {name!r}; roles are admin, {', '.join(ROLE_NAMES)}")
    return keccak(text=f"tanhui.role.{name}")


class ParticipantKind(IntEnum):
    NONE = 0
    ORGANISATION = 1
    PERSON = 2


class ParticipantStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2


class MethodologyStatus(IntEnum):
    NONE = 0
    PUBLISHED = 1
    DEPRECATED = 2


class ProjectStatus(IntEnum):
    NONE = 0
    REGISTERED = 1
    SUSPENDED = 2
    CLOSED = 3


class RetirementPurpose(IntEnum):
    EVENT_NEUTRALITY = 0
    VOLUNTARY = 1
    COMPLIANCE = 2
    ORGANISATION_NEUTRALITY = 3
    PERSONAL_NEUTRALITY = 4
    OTHER = 5


@dataclass(frozen=True)
class RetirementDetails:
    """What a holder states when retiring: for whom, why, for which event, where, for which
    consumption period (unix seconds, 0/0 when none), and a note."""

    beneficiary: str
    purpose: RetirementPurpose
    event_id: bytes = bytes(32)
    jurisdiction: str = ""
    consumption_start: int = 0
    consumption_end: int = 0
    note: str = ""

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.beneficiary,
            int(self.purpose),
            self.event_id,
            self.jurisdiction,
            self.consumption_start,
            self.consumption_end,
            self.note,
        )

    @classmethod
    def from_tuple(cls, value: Any) -> RetirementDetails:
        if isinstance(value, dict):
            value = (
                value["beneficiary"],
                value["purpose"],
                value["eventId"],
                value["jurisdiction"],
                value["consumptionStart"],
                value["consumptionEnd"],
                value["note"],
            )
        beneficiary, purpose, event_id, jurisdiction, start, end, note = value
        return cls(
            beneficiary, RetirementPurpose(purpose), bytes(event_id), jurisdiction, int(start), int(end), note
        )


@dataclass(frozen=True)
class BatchInfo:
    batch_id: int
    report_hash: bytes
    project_id: bytes
    methodology_id: bytes
    methodology_version: int
    period_start: int
    period_end: int
    verifier: ChecksumAddress
    issued_at: int
    issued: int
    retired: int
    invalidated: int
    frozen: bool

    @property
    def held(self) -> int:
        """Credits still in holders' accounts: issued - retired - invalidated."""
        return self.issued - self.retired - self.invalidated


@dataclass(frozen=True)
class RetirementRecord:
    """A retirement certificate as the contract stores it."""

    certificate_id: int
    holder: ChecksumAddress
    batch_id: int
    block_number: int
    purpose: RetirementPurpose
    serial_first: int
    serial_last: int
    retired_at: int
    consumption_start: int
    consumption_end: int

    @property
    def amount(self) -> int:
        return self.serial_last - self.serial_first + 1


@dataclass(frozen=True)
class EventAccount:
    """An event's carbon-neutrality account (R14), as the credits contract keeps it: the credits
    retired against the event and, once the issuer closed its claim, the verified footprint, the
    amount required to be neutral (footprint plus buffer), the footprint's hash, and when (unix
    seconds) and in which block it was closed (the block of the ClaimClosed event; 0 while open).
    ``retired_kg`` no longer changes once the claim is closed."""

    event_id: bytes
    retired_kg: int
    footprint_kg: int
    required_kg: int
    closed_at: int
    closed_block: int
    footprint_hash: bytes

    @property
    def closed(self) -> bool:
        return self.closed_at != 0

    @property
    def neutral(self) -> bool:
        """Whether the claim is closed, which the contract allows only when covered."""
        return self.closed and self.retired_kg >= self.required_kg


@dataclass(frozen=True)
class PointsEpoch:
    """A day's points epoch (R17) as the registry stores it: the root of the tree over every
    citizen's cumulative points and grams (see :mod:`chain.points`), its leaf count and totals,
    and when (unix seconds) and in which block it was anchored. All zero for an epoch not
    anchored."""

    epoch: int
    root: bytes
    leaf_count: int
    total_points: int
    total_grams: int
    anchored_at: int
    anchored_block: int

    @property
    def anchored(self) -> bool:
        return self.anchored_at != 0


@dataclass(frozen=True)
class SceneCertificate:
    """A certified low-carbon scene's certificate as the registry stores it (R2, R5, R9): the
    keccak-256 of the certificate's canonical JSON, its validity ``[valid_from, valid_until)``
    (unix seconds), when it was anchored and when revoked (0: not). All zero if none."""

    scene_id: bytes
    certificate_hash: bytes
    valid_from: int
    valid_until: int
    certified_at: int
    revoked_at: int

    @property
    def certified(self) -> bool:
        return self.certified_at != 0

    def in_force(self, moment: int) -> bool:
        """Whether the certificate is anchored, not revoked and valid at unix time `moment`."""
        return self.certified and self.revoked_at == 0 and self.valid_from <= moment < self.valid_until


class ListingState(IntEnum):
    NONE = 0
    OPEN = 1
    CANCELLED = 2
    FILLED = 3


#: China Standard Time's offset from UTC, in seconds: trading days are CST calendar days.
CST_OFFSET = 8 * 3600


@dataclass(frozen=True)
class Band:
    """A project type's price band for one trading day, in fen per tonne: listed trades within
    [low, high]; trades of at least `block_min_kg` (0: none are block trades) within
    [block_low, block_high]. All zero: no band posted."""

    low: int
    high: int
    block_low: int
    block_high: int
    block_min_kg: int

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.low, self.high, self.block_low, self.block_high, self.block_min_kg)

    @property
    def posted(self) -> bool:
        return self.low != 0


@dataclass(frozen=True)
class Settlement:
    """The exchange's instruction: trade `trade_ref` delivers `amount` kg of listing
    `listing_id` to `buyer` at `price_fen_per_tonne`."""

    trade_ref: bytes
    listing_id: int
    buyer: str
    amount: int
    price_fen_per_tonne: int


@dataclass(frozen=True)
class ListingInfo:
    listing_id: int
    seller: ChecksumAddress
    batch_id: int
    project_type: int
    state: ListingState
    amount: int
    remaining: int
    listed_at: int


@dataclass(frozen=True)
class TradeInfo:
    trade_id: int
    trade_ref: bytes
    listing_id: int
    buyer: ChecksumAddress
    settled_at: int
    amount: int
    price_fen_per_tonne: int
    certificate_id: int
    block_trade: bool


@dataclass(frozen=True)
class Deployment:
    """Where the contracts of one chain live."""

    chain_id: int
    contracts: dict[str, ChecksumAddress]
    block_number: int
    deployer: ChecksumAddress
    admin_delay: int
    extra: dict[str, Any] = field(default_factory=dict)
    # The deployment's signed transactions (0x-hex), in the order they were sent: a chain that
    # lost them (an embedded chain restarted from an old or unreadable state) can be sent them
    # again (chain.deploy.restore). Empty for a deployment recorded before they were kept.
    transactions: tuple[str, ...] = ()

    @property
    def registry(self) -> ChecksumAddress:
        return self.contracts["TanhuiRegistry"]

    @property
    def credits(self) -> ChecksumAddress:
        return self.contracts["TanhuiCredits"]

    @property
    def exchange(self) -> ChecksumAddress:
        return self.contracts["TanhuiExchange"]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            chain_id=int(data["chain_id"]),
            contracts={k: Web3.to_checksum_address(v) for k, v in data["contracts"].items()},
            block_number=int(data["block_number"]),
            deployer=Web3.to_checksum_address(data["deployer"]),
            admin_delay=int(data.get("admin_delay", 0)),
            extra=dict(data.get("extra", {})),
            transactions=tuple(str(raw) for raw in data.get("transactions", ())),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DeploymentNotFound(f"no deployment file {path}") from None


@dataclass(frozen=True)
class DecodedCall:
    """What transaction data calls: the contract's name, the function's name and its arguments
    (by parameter name, as web3 decodes them: addresses checksummed, tuples as tuples)."""

    contract: str
    function: str
    args: dict[str, Any]


def _plan(abi: Any, function: str) -> tuple[bytes, list[str]] | tuple[()]:
    """The selector and input types of the one function of `abi` named `function`; () when
    there are several (or none: web3 then names the error)."""
    items = [i for i in abi if i.get("type") == "function" and i.get("name") == function]
    if len(items) != 1:
        return ()
    return selector(items[0]), [canonical_type(p) for p in items[0]["inputs"]]


class Tanhui:
    """The deployed contracts on one chain."""

    def __init__(self, client: ChainClient, deployment: Deployment) -> None:
        self.client = client
        self.deployment = deployment
        self.registry = client.contract("TanhuiRegistry", deployment.registry)
        self.credits = client.contract("TanhuiCredits", deployment.credits)
        self.exchange = client.contract(
            "TanhuiExchange", deployment.contracts.get("TanhuiExchange", deployment.credits)
        )
        # Per (address, function): its selector and input types, or () when the name is
        # overloaded (see _encode).
        self._plans: dict[tuple[str, str], tuple[bytes, list[str]] | tuple[()]] = {}

    def is_live(self) -> bool:
        """Whether the three contracts have code on this chain and point at each other."""
        if "TanhuiExchange" not in self.deployment.contracts:
            return False
        for contract in (self.registry, self.credits, self.exchange):
            if not self.client.has_code(contract.address):
                return False
        return bool(
            self.client.call(self.credits.functions.registry()) == self.registry.address
            and self.client.call(self.credits.functions.market()) == self.exchange.address
        )

    def decode(self, to: str, data: bytes) -> DecodedCall:
        """The function of one of the three contracts that `data` sent to `to` calls, with its
        arguments. Raises ValueError for another address, or data that calls none of its
        functions (an unknown selector, or arguments that do not decode)."""
        contracts = {c.address: (name, c) for name, c in self._by_name().items()}
        found = contracts.get(Web3.to_checksum_address(to))
        if found is None:
            raise ValueError(f"{to} is not one of the registry's contracts")
        name, contract = found
        try:
            function, args = contract.decode_function_input(HexBytes(data))
        except Exception as err:  # data from anyone (eth-abi raises DecodingError, OverflowError, ...)
            raise ValueError(f"the data calls no function of {name}: {err}") from None
        return DecodedCall(contract=name, function=str(function.fn_name), args=dict(args))

    def _by_name(self) -> dict[str, Contract]:
        return {
            "TanhuiRegistry": self.registry,
            "TanhuiCredits": self.credits,
            "TanhuiExchange": self.exchange,
        }

    def _encode(self, contract: Contract, function: str, *args: Any) -> ContractCall:
        """The call's data: the function's selector and its arguments encoded by eth_abi (web3's
        `encode_abi` looks the function up among every ABI item, hashing each, on every call);
        an overloaded name, or arguments eth_abi takes only after web3's normalising, go
        through web3."""
        plan = self._plans.get((contract.address, function))
        if plan is None:
            plan = self._plans[(contract.address, function)] = _plan(contract.abi, function)
        data = None
        if plan:
            try:
                data = plan[0] + abi_encode(plan[1], args)
            except (EncodingError, TypeError, ValueError):
                pass  # web3's to normalise (or to refuse, as it did)
        if data is None:
            data = bytes(HexBytes(contract.encode_abi(function, args=list(args))))
        return ContractCall(to=contract.address, data=data, function=function)

    # -- roles -------------------------------------------------------------------------------

    def has_role(self, role: str, account: str) -> bool:
        return bool(
            self.client.call(
                self.registry.functions.hasRole(role_id(role), Web3.to_checksum_address(account))
            )
        )

    def grant_role(self, role: str, account: str) -> ContractCall:
        """Grants `role`: the verifier at once; an operator role only once its scheduled grant is
        ready (else the contract refuses with RegistryRoleGrantNotReady)."""
        return self._encode(self.registry, "grantRole", role_id(role), Web3.to_checksum_address(account))

    def schedule_role_grant(self, role: str, account: str) -> ContractCall:
        """Announces the grant of an operator role; `grant_role` completes it after the delay."""
        return self._encode(
            self.registry, "scheduleRoleGrant", role_id(role), Web3.to_checksum_address(account)
        )

    def cancel_role_grant(self, role: str, account: str) -> ContractCall:
        return self._encode(
            self.registry, "cancelRoleGrant", role_id(role), Web3.to_checksum_address(account)
        )

    def role_grant_delay(self) -> int:
        """Seconds between scheduling a grant of an operator role and granting it."""
        return int(self.client.call(self.registry.functions.roleGrantDelay()))

    def role_grant_ready_at(self, role: str, account: str) -> int:
        """When a scheduled grant can be completed (unix seconds), or 0 if none is scheduled."""
        return int(
            self.client.call(
                self.registry.functions.roleGrantReadyAt(role_id(role), Web3.to_checksum_address(account))
            )
        )

    # -- registry writes ---------------------------------------------------------------------

    def register_participant(self, account: str, kind: ParticipantKind) -> ContractCall:
        return self._encode(
            self.registry, "registerParticipant", Web3.to_checksum_address(account), int(kind)
        )

    def set_participant_status(self, account: str, status: ParticipantStatus) -> ContractCall:
        return self._encode(
            self.registry, "setParticipantStatus", Web3.to_checksum_address(account), int(status)
        )

    def publish_methodology(self, methodology_id: bytes, version: int, content_hash: bytes) -> ContractCall:
        return self._encode(self.registry, "publishMethodology", methodology_id, version, content_hash)

    def register_project(
        self, project_id: bytes, owner: str, methodology_id: bytes, version: int, document_hash: bytes
    ) -> ContractCall:
        return self._encode(
            self.registry,
            "registerProject",
            project_id,
            Web3.to_checksum_address(owner),
            methodology_id,
            version,
            document_hash,
        )

    def update_project_documents(self, project_id: bytes, document_hash: bytes) -> ContractCall:
        return self._encode(self.registry, "updateProjectDocuments", project_id, document_hash)

    def record_verified_report(
        self, report_hash: bytes, project_id: bytes, period_start: int, period_end: int, amount: int
    ) -> ContractCall:
        return self._encode(
            self.registry, "recordVerifiedReport", report_hash, project_id, period_start, period_end, amount
        )

    def anchor_points_epoch(
        self, epoch: int, root: bytes, leaf_count: int, total_points: int, total_grams: int
    ) -> ContractCall:
        """Anchors the root of points epoch `epoch` (issuer role; the last anchored epoch + 1,
        from 1; non-zero root; 1 to 2**48 - 1 leaves). Refusals: RegistryPointsEpochNotNext,
        RegistryZeroHash, RegistryEmptyPointsEpoch, RegistryPointsEpochTooLarge."""
        return self._encode(
            self.registry, "anchorPointsEpoch", epoch, root, leaf_count, total_points, total_grams
        )

    def certify_scene(
        self, scene_id: bytes, certificate_hash: bytes, valid_from: int, valid_until: int
    ) -> ContractCall:
        """Anchors (or replaces) scene `scene_id`'s certificate (registrar role; non-zero id and
        hash; valid_from < valid_until, uint40). Refusals: RegistryZeroId, RegistryZeroHash,
        RegistryInvalidValidity."""
        return self._encode(
            self.registry, "certifyScene", scene_id, certificate_hash, valid_from, valid_until
        )

    def revoke_scene(self, scene_id: bytes, reason: str) -> ContractCall:
        """Revokes scene `scene_id`'s certificate in force (registrar role; reason 1 to 4000
        bytes). Refusals: RegistrySceneNotCertified, RegistryInvalidReason."""
        return self._encode(self.registry, "revokeScene", scene_id, reason)

    # -- credits writes ----------------------------------------------------------------------

    def issue(self, report_hash: bytes) -> ContractCall:
        return self._encode(self.credits, "issue", report_hash)

    def withdraw_report(self, report_hash: bytes, reason: str) -> ContractCall:
        """Withdraws a verified, unissued report for good (by its verifier or a supervisor)."""
        return self._encode(self.credits, "withdrawReport", report_hash, reason)

    def transfer(self, sender: str, recipient: str, batch_id: int, amount: int) -> ContractCall:
        return self._encode(
            self.credits,
            "safeTransferFrom",
            Web3.to_checksum_address(sender),
            Web3.to_checksum_address(recipient),
            batch_id,
            amount,
            b"",
        )

    def retire(self, batch_id: int, amount: int, details: RetirementDetails) -> ContractCall:
        """WARNING: retiring credits is permanent."""
        return self._encode(self.credits, "retire", batch_id, amount, details.as_tuple())

    def close_claim(
        self, event_id: bytes, footprint_kg: int, required_kg: int, footprint_hash: bytes
    ) -> ContractCall:
        """Closes the carbon-neutrality claim of `event_id` (issuer role): the credits retired
        against the event must cover `required_kg` (the footprint plus the claimant's buffer, at
        least `footprint_kg`). Nothing more is retired against the event afterwards."""
        return self._encode(self.credits, "closeClaim", event_id, footprint_kg, required_kg, footprint_hash)

    def invalidate(self, holder: str, batch_id: int, amount: int, reason: str) -> ContractCall:
        return self._encode(
            self.credits, "invalidate", Web3.to_checksum_address(holder), batch_id, amount, reason
        )

    def set_account_frozen(self, account: str, frozen: bool, reason: str) -> ContractCall:
        return self._encode(
            self.credits, "setAccountFrozen", Web3.to_checksum_address(account), frozen, reason
        )

    def set_batch_frozen(self, batch_id: int, frozen: bool, reason: str) -> ContractCall:
        return self._encode(self.credits, "setBatchFrozen", batch_id, frozen, reason)

    def set_registry_contract(self, account: str, allowed: bool) -> ContractCall:
        """Allowlists (or delists) a contract of the scheme that holders may approve as operator."""
        return self._encode(self.credits, "setRegistryContract", Web3.to_checksum_address(account), allowed)

    # -- exchange writes ---------------------------------------------------------------------

    def list_credits(self, batch_id: int, amount: int) -> ContractCall:
        """Lists `amount` kg of the sender's credits of `batch_id`: they move into escrow."""
        return self._encode(self.exchange, "list", batch_id, amount)

    def cancel_listing(self, listing_id: int) -> ContractCall:
        return self._encode(self.exchange, "cancel", listing_id)

    def settle(self, s: Settlement, details: RetirementDetails | None) -> ContractCall:
        """Settles a trade (exchange role); with `details`, the buyer retires what it bought."""
        chosen = details or RetirementDetails(beneficiary="", purpose=RetirementPurpose.VOLUNTARY)
        return self._encode(
            self.exchange,
            "settle",
            (
                s.trade_ref,
                s.listing_id,
                Web3.to_checksum_address(s.buyer),
                s.amount,
                s.price_fen_per_tonne,
                details is not None,
            ),
            chosen.as_tuple(),
        )

    def post_band(self, project_type: int, day: int, band: Band) -> ContractCall:
        return self._encode(self.exchange, "postBand", project_type, day, band.as_tuple())

    def set_reference_price(self, project_type: int, price_fen_per_tonne: int) -> ContractCall:
        return self._encode(self.exchange, "setReferencePrice", project_type, price_fen_per_tonne)

    def set_methodology_type(self, methodology_id: bytes, project_type: int) -> ContractCall:
        return self._encode(self.exchange, "setMethodologyType", methodology_id, project_type)

    def set_type_halted(self, project_type: int, halted: bool, reason: str) -> ContractCall:
        return self._encode(self.exchange, "setTypeHalted", project_type, halted, reason)

    def set_batch_halted(self, batch_id: int, halted: bool, reason: str) -> ContractCall:
        return self._encode(self.exchange, "setBatchHalted", batch_id, halted, reason)

    def pause_calls(self) -> list[ContractCall]:
        """Pausing the scheme pauses both contracts."""
        return [self._encode(self.registry, "pause"), self._encode(self.credits, "pause")]

    def unpause_calls(self) -> list[ContractCall]:
        return [self._encode(self.registry, "unpause"), self._encode(self.credits, "unpause")]

    # -- views -------------------------------------------------------------------------------

    def is_active_participant(self, account: str) -> bool:
        return bool(
            self.client.call(self.registry.functions.isActiveParticipant(Web3.to_checksum_address(account)))
        )

    def participant(
        self, account: str, *, block: int | str = "latest"
    ) -> tuple[ParticipantKind, ParticipantStatus, int]:
        kind, status, registered_at = self.client.call(
            self.registry.functions.participant(Web3.to_checksum_address(account)), block=block
        )
        return ParticipantKind(kind), ParticipantStatus(status), int(registered_at)

    def methodology(self, methodology_id: bytes, version: int) -> tuple[bytes, MethodologyStatus, int]:
        content_hash, status, published_at = self.client.call(
            self.registry.functions.methodology(methodology_id, version)
        )
        return bytes(content_hash), MethodologyStatus(status), int(published_at)

    def project(self, project_id: bytes) -> dict[str, Any]:
        owner, status, version, registered_at, methodology_id, document_hash = self.client.call(
            self.registry.functions.project(project_id)
        )
        return {
            "owner": owner,
            "status": ProjectStatus(status),
            "methodology_version": int(version),
            "registered_at": int(registered_at),
            "methodology_id": bytes(methodology_id),
            "document_hash": bytes(document_hash),
        }

    def report(self, report_hash: bytes) -> dict[str, Any]:
        project_id, verifier, start, end, amount, version, verified_at = self.client.call(
            self.registry.functions.report(report_hash)
        )
        return {
            "project_id": bytes(project_id),
            "verifier": verifier,
            "period_start": int(start),
            "period_end": int(end),
            "amount": int(amount),
            "methodology_version": int(version),
            "verified_at": int(verified_at),
        }

    def points_epoch(self, epoch: int, *, block: int | str = "latest") -> PointsEpoch:
        """Points epoch `epoch`; all zero (``anchored`` False) if it was not anchored."""
        e = self.client.call(self.registry.functions.pointsEpoch(epoch), block=block)
        return PointsEpoch(
            epoch=epoch,
            root=bytes(e[0]),
            leaf_count=int(e[1]),
            total_points=int(e[2]),
            total_grams=int(e[3]),
            anchored_at=int(e[4]),
            anchored_block=int(e[5]),
        )

    def scene_certificate(self, scene_id: bytes, *, block: int | str = "latest") -> SceneCertificate:
        """Scene `scene_id`'s last certificate; all zero (``certified`` False) if none."""
        c = self.client.call(self.registry.functions.sceneCertificate(scene_id), block=block)
        return SceneCertificate(
            scene_id=scene_id,
            certificate_hash=bytes(c[0]),
            valid_from=int(c[1]),
            valid_until=int(c[2]),
            certified_at=int(c[3]),
            revoked_at=int(c[4]),
        )

    def last_points_epoch(self, *, block: int | str = "latest") -> int:
        """The last anchored points epoch; 0 before the first."""
        return int(self.client.call(self.registry.functions.lastPointsEpoch(), block=block))

    def verify_points(
        self,
        epoch: int,
        pseudonym: bytes,
        points: int,
        grams: int,
        proof: list[bytes],
        *,
        block: int | str = "latest",
    ) -> bool:
        """Whether the contract accepts `proof` of (`pseudonym`, `points`, `grams`) in epoch
        `epoch`; False for an epoch not anchored. :func:`chain.points.verify` decides the same
        offline against :attr:`PointsEpoch.root`."""
        return bool(
            self.client.call(
                self.registry.functions.verifyPoints(epoch, pseudonym, points, grams, list(proof)),
                block=block,
            )
        )

    def batch(self, batch_id: int, *, block: int | str = "latest") -> BatchInfo:
        b = self.client.call(self.credits.functions.batch(batch_id), block=block)
        return BatchInfo(
            batch_id=batch_id,
            report_hash=bytes(b[0]),
            project_id=bytes(b[1]),
            methodology_id=bytes(b[2]),
            methodology_version=int(b[3]),
            period_start=int(b[4]),
            period_end=int(b[5]),
            verifier=Web3.to_checksum_address(b[6]),
            issued_at=int(b[7]),
            issued=int(b[8]),
            retired=int(b[9]),
            invalidated=int(b[10]),
            frozen=bool(b[11]),
        )

    def retirement(self, certificate_id: int, *, block: int | str = "latest") -> RetirementRecord:
        r = self.client.call(self.credits.functions.retirement(certificate_id), block=block)
        return RetirementRecord(
            certificate_id=certificate_id,
            holder=Web3.to_checksum_address(r[0]),
            batch_id=int(r[1]),
            block_number=int(r[2]),
            purpose=RetirementPurpose(r[3]),
            serial_first=int(r[4]),
            serial_last=int(r[5]),
            retired_at=int(r[6]),
            consumption_start=int(r[7]),
            consumption_end=int(r[8]),
        )

    def event_account(self, event_id: bytes, *, block: int | str = "latest") -> EventAccount:
        """The event's account; all zero for an event nothing was retired against."""
        a = self.client.call(self.credits.functions.eventAccount(event_id), block=block)
        return EventAccount(
            event_id=bytes(event_id),
            retired_kg=int(a[0]),
            footprint_kg=int(a[1]),
            required_kg=int(a[2]),
            closed_at=int(a[3]),
            closed_block=int(a[4]),
            footprint_hash=bytes(a[5]),
        )

    def balance_of(self, account: str, batch_id: int, *, block: int | str = "latest") -> int:
        return int(
            self.client.call(
                self.credits.functions.balanceOf(Web3.to_checksum_address(account), batch_id), block=block
            )
        )

    def batch_count(self, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.credits.functions.batchCount(), block=block))

    def certificate_count(self, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.credits.functions.certificateCount(), block=block))

    def is_paused_each(self, *, block: int | str = "latest") -> dict[str, bool]:
        """Whether each contract is paused: ``{"registry": ..., "credits": ...}``."""
        return {
            "registry": bool(self.client.call(self.registry.functions.paused(), block=block)),
            "credits": bool(self.client.call(self.credits.functions.paused(), block=block)),
        }

    def is_paused(self) -> bool:
        """Whether either contract is paused."""
        return any(self.is_paused_each().values())

    def is_report_withdrawn(self, report_hash: bytes, *, block: int | str = "latest") -> bool:
        return bool(self.client.call(self.credits.functions.isReportWithdrawn(report_hash), block=block))

    def is_registry_contract(self, account: str, *, block: int | str = "latest") -> bool:
        return bool(
            self.client.call(
                self.credits.functions.isRegistryContract(Web3.to_checksum_address(account)), block=block
            )
        )

    def is_account_frozen(self, account: str, *, block: int | str = "latest") -> bool:
        return bool(
            self.client.call(
                self.credits.functions.isAccountFrozen(Web3.to_checksum_address(account)), block=block
            )
        )

    # -- exchange views ----------------------------------------------------------------------

    def listing(self, listing_id: int, *, block: int | str = "latest") -> ListingInfo:
        raw = self.client.call(self.exchange.functions.listing(listing_id), block=block)
        return ListingInfo(
            listing_id=listing_id,
            seller=Web3.to_checksum_address(raw[0]),
            batch_id=int(raw[1]),
            project_type=int(raw[2]),
            state=ListingState(int(raw[3])),
            amount=int(raw[4]),
            remaining=int(raw[5]),
            listed_at=int(raw[6]),
        )

    def trade(self, trade_id: int, *, block: int | str = "latest") -> TradeInfo:
        raw = self.client.call(self.exchange.functions.trade(trade_id), block=block)
        return TradeInfo(
            trade_id=trade_id,
            trade_ref=bytes(raw[0]),
            listing_id=int(raw[1]),
            buyer=Web3.to_checksum_address(raw[2]),
            settled_at=int(raw[3]),
            amount=int(raw[4]),
            price_fen_per_tonne=int(raw[5]),
            certificate_id=int(raw[6]),
            block_trade=bool(raw[7]),
        )

    def trade_of(self, trade_ref: bytes, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.exchange.functions.tradeOf(trade_ref), block=block))

    def band(self, project_type: int, day: int, *, block: int | str = "latest") -> Band:
        raw = self.client.call(self.exchange.functions.band(project_type, day), block=block)
        return Band(*(int(v) for v in raw))

    def reference_price(self, project_type: int, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.exchange.functions.referencePrice(project_type), block=block))

    def methodology_type(self, methodology_id: bytes, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.exchange.functions.methodologyType(methodology_id), block=block))

    def is_type_halted(self, project_type: int, *, block: int | str = "latest") -> bool:
        return bool(self.client.call(self.exchange.functions.isTypeHalted(project_type), block=block))

    def is_batch_halted(self, batch_id: int, *, block: int | str = "latest") -> bool:
        return bool(self.client.call(self.exchange.functions.isBatchHalted(batch_id), block=block))

    def listing_count(self, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.exchange.functions.listingCount(), block=block))

    def trade_count(self, *, block: int | str = "latest") -> int:
        return int(self.client.call(self.exchange.functions.tradeCount(), block=block))


def trading_day(timestamp: int) -> int:
    """The exchange's trading day of unix time `timestamp`: days since 1970-01-01 in China
    Standard Time (UTC+8), as ``TanhuiExchange.tradingDay``."""
    return (timestamp + CST_OFFSET) // 86_400
