"""The database schema (SQLAlchemy 2).

Two kinds of table live here. Workflow tables (participants, methodologies and their committee
reviews, projects, documents, reviews, monitoring reports, verifications, idempotency records
and the chain-operation outbox) are written by the services. Index tables (batches, holdings,
transfers, retirements, chain events) mirror chain state and are written only by the indexer
from the contracts' events; ``tanhui reconcile`` proves them equal to the chain.

Carbon amounts are integer kilograms of CO2e (1 t = 1000 kg). Hashes are 0x-prefixed hex.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import false
from sqlalchemy.types import TypeEngine

from registry.states import (
    ClaimStatus,
    CreditRequestKind,
    Custody,
    MethodologyStatus,
    OperationStatus,
    ProjectStatus,
    Publication,
    ReportStatus,
    Standing,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Hash = String(66)
Address = String(42)


def State(enum: type[StrEnum], length: int) -> Enum:
    """A workflow state column: VARCHAR holding the enum's value, read back as the enum."""
    return Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


UINT64_MAX = 2**64 - 1


class Uint64(TypeDecorator[int]):
    """An amount the chain holds as ``uint64``: every value from 0 to 2**64-1, exactly.

    PostgreSQL: ``NUMERIC(20, 0)``. SQLite has no integer above 2**63-1, so the value is kept as
    20 zero-padded digits (text order is numeric order, so comparisons in SQL still hold).
    """

    impl = Numeric(20, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(20))
        return dialect.type_descriptor(Numeric(20, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = int(value)
        if not 0 <= value <= UINT64_MAX:
            raise ValueError(f"{value} is not a uint64")
        return f"{value:020d}" if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


# -- deployment binding -------------------------------------------------------------------------


class RegistryMeta(Base):
    """The chain and contracts this database indexes (one row)."""

    __tablename__ = "registry_meta"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(Address)
    credits_address: Mapped[str] = mapped_column(Address)
    # None only in a database bound before the exchange contract existed (it cannot be reopened).
    exchange_address: Mapped[str | None] = mapped_column(Address, nullable=True)
    deployed_block: Mapped[int] = mapped_column(BigInteger)
    indexed_block: Mapped[int] = mapped_column(BigInteger)
    # The hash of the chain's block at `indexed_block` when it was indexed: a chain that lost
    # or replaced that block (a restarted node, a reorganisation) no longer has it.
    indexed_block_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)
    registry_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    credits_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The deployment's signed transactions (0x-hex, in order), sent again to a chain that lost
    # them (chain.deploy.restore); None in a database bound before they were kept. About 100 kB
    # (the contracts' code): loaded only when read, not with every read of this row.
    deployment_txs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, deferred=True)


# -- participants ---------------------------------------------------------------------------


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # organisation | person
    address: Mapped[str] = mapped_column(Address, unique=True)
    custody: Mapped[Custody] = mapped_column(State(Custody, 20))
    keystore: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    chain_status: Mapped[Standing] = mapped_column(State(Standing, 20), default=Standing.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # Loaded on use (authentication loads them eagerly): most reads of a participant need none.
    roles: Mapped[list[ParticipantRole]] = relationship(
        back_populates="participant", cascade="all, delete-orphan"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class ParticipantRole(Base):
    __tablename__ = "participant_roles"
    __table_args__ = (UniqueConstraint("participant_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(30))

    participant: Mapped[Participant] = relationship(back_populates="roles")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# -- methodologies --------------------------------------------------------------------------


class Methodology(Base):
    __tablename__ = "methodologies"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(Hash)
    status: Mapped[MethodologyStatus] = mapped_column(State(MethodologyStatus, 20))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    chain_status: Mapped[Publication] = mapped_column(State(Publication, 20), default=Publication.NONE)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)
    # A methodology an enterprise proposed as a declarative spec (R3): the spec, normalised; its
    # content hash is over this. None for a methodology module of the code catalogue.
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    reviews: Mapped[list[MethodologyReview]] = relationship(
        back_populates="methodology", order_by="MethodologyReview.id", lazy="selectin"
    )


class MethodologyReview(Base):
    """One expert-committee member's decision on a methodology version (R4)."""

    __tablename__ = "methodology_reviews"
    __table_args__ = (UniqueConstraint("methodology_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    methodology_id: Mapped[int] = mapped_column(ForeignKey("methodologies.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    decision: Mapped[str] = mapped_column(String(20))  # approve | reject
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    methodology: Mapped[Methodology] = relationship(back_populates="reviews")


# -- projects -------------------------------------------------------------------------------


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    # The project's bytes32 id on chain (the column keeps its first name).
    onchain_id: Mapped[str] = mapped_column("chain_id_hash", Hash, unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    methodology_id: Mapped[int] = mapped_column(ForeignKey("methodologies.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProjectStatus] = mapped_column(State(ProjectStatus, 30))
    document_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)

    documents: Mapped[list[Document]] = relationship(order_by="Document.id", lazy="selectin")
    reviews: Mapped[list[ProjectReview]] = relationship(order_by="ProjectReview.id", lazy="selectin")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectReview(Base):
    __tablename__ = "project_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    decision: Mapped[str] = mapped_column(String(20))  # approve | reject | request_changes
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- monitoring and verification ------------------------------------------------------------


class MonitoringReport(Base):
    __tablename__ = "monitoring_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    quantification: Mapped[dict[str, Any]] = mapped_column(JSON)
    net_kg: Mapped[int] = mapped_column(BigInteger)
    report_hash: Mapped[str] = mapped_column(Hash, unique=True)
    status: Mapped[ReportStatus] = mapped_column(State(ReportStatus, 30))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    verifications: Mapped[list[Verification]] = relationship(order_by="Verification.id", lazy="selectin")


class Verification(Base):
    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_reports.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    decision: Mapped[str] = mapped_column(String(20))  # approve | reject | request_changes
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    record_operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)
    issue_operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)


# -- the chain-operation outbox -------------------------------------------------------------


class ChainAccount(Base):
    """The next nonce of each account the registry signs for; locked while a nonce is taken."""

    __tablename__ = "chain_accounts"

    address: Mapped[str] = mapped_column(Address, primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger)


class ChainOperation(Base):
    """One chain transaction the registry intends, signed before it is sent.

    signed -> sent -> confirmed | failed (``registry.states.OperationStatus``). A crash leaves it
    signed or sent; the relay resumes it and the pre-signed transaction (fixed nonce) can take
    effect at most once.
    """

    __tablename__ = "chain_operations"
    __table_args__ = (
        UniqueConstraint("sender", "nonce"),
        Index("ix_chain_operations_status", "status"),
        # A sender's operations not sent yet, below a nonce (see Relay.unsent_before).
        Index("ix_chain_operations_sender_status_nonce", "sender", "status", "nonce"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    sender: Mapped[str] = mapped_column(Address)
    nonce: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(Hash, unique=True)
    raw_tx: Mapped[str] = mapped_column(Text)
    depends_on_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)
    status: Mapped[OperationStatus] = mapped_column(State(OperationStatus, 20))
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("participant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(60))  # e.g. "credit_request:12"
    operation_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The first answer, once final: its outcome (registry.commands.Outcome) and body.
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CreditRequest(Base):
    """A transfer or a retirement a holder asked for, and its chain operation."""

    __tablename__ = "credit_requests"
    # What a holder's pending spends of a batch take (see spending.available).
    __table_args__ = (Index("ix_credit_requests_participant_id_batch_id", "participant_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CreditRequestKind] = mapped_column(State(CreditRequestKind, 20))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    batch_id: Mapped[int] = mapped_column(BigInteger)
    amount_kg: Mapped[int] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    operation_id: Mapped[int] = mapped_column(ForeignKey("chain_operations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- the index of chain state (written by the indexer only) -----------------------------------


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # the token id
    report_hash: Mapped[str] = mapped_column(Hash, unique=True)
    project_hash: Mapped[str] = mapped_column(Hash, index=True)
    recipient: Mapped[str] = mapped_column(Address)
    period_start: Mapped[int] = mapped_column(Uint64())
    period_end: Mapped[int] = mapped_column(Uint64())
    issued_kg: Mapped[int] = mapped_column(Uint64())
    retired_kg: Mapped[int] = mapped_column(Uint64(), default=0)
    invalidated_kg: Mapped[int] = mapped_column(Uint64(), default=0)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)


class FrozenAccount(Base):
    """An account a supervisor froze on chain (it neither sends, receives nor retires)."""

    __tablename__ = "frozen_accounts"

    address: Mapped[str] = mapped_column(Address, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)


class Holding(Base):
    __tablename__ = "holdings"

    address: Mapped[str] = mapped_column(Address, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    amount_kg: Mapped[int] = mapped_column(Uint64())


class Transfer(Base):
    __tablename__ = "transfers"
    # One TransferBatch event moves several batches: `item` is the batch's place in its event.
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, index=True)
    sender: Mapped[str] = mapped_column(Address)
    recipient: Mapped[str] = mapped_column(Address)
    amount_kg: Mapped[int] = mapped_column(Uint64())
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    item: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Retirement(Base):
    __tablename__ = "retirements"

    certificate_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    batch_id: Mapped[int] = mapped_column(BigInteger, index=True)
    holder: Mapped[str] = mapped_column(Address, index=True)
    amount_kg: Mapped[int] = mapped_column(Uint64())
    serial_first: Mapped[int] = mapped_column(Uint64())
    serial_last: Mapped[int] = mapped_column(Uint64())
    beneficiary: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(Hash, index=True)
    jurisdiction: Mapped[str] = mapped_column(Text)
    consumption_start: Mapped[int] = mapped_column(BigInteger)
    consumption_end: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    retired_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds of the block
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)


class Claim(Base):
    """A carbon-neutrality claim (R14, R15): its subject, its footprint, its verification and its
    closing on chain (registry/claims.py)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    claimant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    footprint_code: Mapped[str] = mapped_column(String(40))
    footprint_version: Mapped[int] = mapped_column(Integer)
    footprint_content_hash: Mapped[str] = mapped_column(Hash)
    buffer_bp: Mapped[int] = mapped_column(Integer)  # basis points on top of the footprint
    activity: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    footprint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    footprint_kg: Mapped[int | None] = mapped_column(Uint64(), nullable=True)
    required_kg: Mapped[int | None] = mapped_column(Uint64(), nullable=True)
    footprint_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)
    status: Mapped[ClaimStatus] = mapped_column(State(ClaimStatus, 20))
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), nullable=True)
    verification_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    onchain_id: Mapped[str] = mapped_column(Hash, unique=True)  # the retirements' eventId
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)
    # From the chain's ClaimClosed event (the index):
    closed_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    closed_tx: Mapped[str | None] = mapped_column(Hash, nullable=True)
    retired_at_close: Mapped[int | None] = mapped_column(Uint64(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BlockTime(Base):
    """The time of each block the index applied events of (unix seconds, from the chain)."""

    __tablename__ = "block_times"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class Listing(Base):
    """A listing on the exchange (TanhuiExchange), as indexed: its credits are in escrow while open."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # the chain's id
    seller: Mapped[str] = mapped_column(Address, index=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, index=True)
    project_type: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True)
    amount_kg: Mapped[int] = mapped_column(Uint64())
    remaining_kg: Mapped[int] = mapped_column(Uint64())
    listed_at: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)
    cancelled_by: Mapped[str | None] = mapped_column(Address, nullable=True)
    closed_tx: Mapped[str | None] = mapped_column(Hash, nullable=True)
    closed_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Trade(Base):
    """A trade the exchange settled on chain, as indexed."""

    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # the chain's id
    trade_ref: Mapped[str] = mapped_column(Hash, unique=True)
    listing_id: Mapped[int] = mapped_column(BigInteger, index=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, index=True)
    project_type: Mapped[int] = mapped_column(Integer)
    seller: Mapped[str] = mapped_column(Address, index=True)
    buyer: Mapped[str] = mapped_column(Address, index=True)
    amount_kg: Mapped[int] = mapped_column(Uint64())
    price_fen_per_t: Mapped[int] = mapped_column(Uint64())
    block_trade: Mapped[bool] = mapped_column(Boolean)
    certificate_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    settled_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds of the block
    day: Mapped[int] = mapped_column(Integer, index=True)  # the trading day (CST)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)


class MarketBand(Base):
    """A project type's price band for one trading day, as posted on chain."""

    __tablename__ = "market_bands"

    project_type: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    low: Mapped[int] = mapped_column(Uint64())
    high: Mapped[int] = mapped_column(Uint64())
    block_low: Mapped[int] = mapped_column(Uint64())
    block_high: Mapped[int] = mapped_column(Uint64())
    block_min_kg: Mapped[int] = mapped_column(Uint64())
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)


class MarketSetting(Base):
    """What the exchange contract says of a project type or methodology, as indexed: a reference
    price (`kind` "reference_price", key the project type), a methodology's project type
    ("methodology_type", key the methodology's bytes32 id), a halt ("type_halt" / "batch_halt",
    key the project type or batch id; value 1 while halted, with its reason)."""

    __tablename__ = "market_settings"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(66), primary_key=True)
    value: Mapped[int] = mapped_column(Uint64())
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    block_number: Mapped[int] = mapped_column(BigInteger)


class TradeInstruction(Base):
    """A settlement the exchange asked for, recorded before it is sent: the exchange's trade
    reference (settled once), what it asked, the fees it reports, and the chain operation."""

    __tablename__ = "trade_instructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    trade_ref: Mapped[str] = mapped_column(Hash, unique=True)  # bytes32 on chain
    body_hash: Mapped[str] = mapped_column(String(64))
    listing_id: Mapped[int] = mapped_column(BigInteger, index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    amount_kg: Mapped[int] = mapped_column(Uint64())
    price_fen_per_t: Mapped[int] = mapped_column(Uint64())
    buyer_fee_fen: Mapped[int] = mapped_column(BigInteger)
    seller_fee_fen: Mapped[int] = mapped_column(BigInteger)
    retirement: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    operation_id: Mapped[int] = mapped_column(ForeignKey("chain_operations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExchangeStatement(Base):
    """An end-of-day statement the exchange posted, with the differences the registry found."""

    __tablename__ = "exchange_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    differences: Mapped[list[Any]] = mapped_column(JSON)
    indexed_block: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Invalidation(Base):
    __tablename__ = "invalidations"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, index=True)
    holder: Mapped[str] = mapped_column(Address)
    amount_kg: Mapped[int] = mapped_column(Uint64())
    reason: Mapped[str] = mapped_column(Text)
    tx_hash: Mapped[str] = mapped_column(Hash)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)


class ChainEventRecord(Base):
    """Every event of the contracts, as indexed (the raw material of the index tables)."""

    __tablename__ = "chain_events"
    __table_args__ = (UniqueConstraint("block_number", "log_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    tx_hash: Mapped[str] = mapped_column(Hash, index=True)
    contract: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    block_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)


class ChainAnomaly(Base):
    """Something on chain the index could not take as it is: a log that does not decode, a value
    out of range, text that is not UTF-8 or holds NUL, an event that contradicts the index. It
    is recorded (and reported by reconcile) instead of stopping the indexer."""

    __tablename__ = "chain_anomalies"

    id: Mapped[int] = mapped_column(primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)
    event: Mapped[str] = mapped_column(String(60))
    # What was done: "skipped" (nothing of the event applied) or "applied" (applied, altered).
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


# -- public points (R6-R10, R17) ----------------------------------------------------------------


class PointsPartner(Base):
    """A data partner (a metro operator, a bike-share company, a utility...) reporting citizens'
    acts; its batches are signed with a key derived from the registry's secret, never stored."""

    __tablename__ = "points_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    scenes: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Citizen(Base):
    """A citizen of the points scheme: pseudonymous on chain (a salted pseudonym keys its leaf),
    its personal data only here."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    pseudonym: Mapped[str] = mapped_column(Hash, unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The name the citizen chose for the leaderboards (not unique), and its opt-out of them.
    display_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PointsAct(Base):
    """One record a partner reported: accepted (valued, with its ledger entry) or rejected with
    a reason code. A partner's record id counts once."""

    __tablename__ = "points_acts"
    __table_args__ = (UniqueConstraint("partner_id", "record_id"),)

    # partner_id and citizen_id name a partner and a citizen without a foreign key: the ingestion
    # locks both before it writes, and reconcile checks the references set-wise (migration 0015).
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str] = mapped_column(String(100))
    citizen_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scene: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[date] = mapped_column(Date)
    quantity: Mapped[str] = mapped_column(String(40))  # a Decimal as text
    device: Mapped[str | None] = mapped_column(String(100), nullable=True)
    grams: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))  # accepted | rejected
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


Index("ix_points_acts_citizen_scene_day", PointsAct.citizen_id, PointsAct.scene, PointsAct.day)


class LedgerPosting(Base):
    """One side of a points transaction: the postings of a transaction sum to zero (double
    entry); a citizen's balance is the sum of its account's postings, never a stored number."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # earn | redeem | expire | reverse
    account: Mapped[str] = mapped_column(String(40), index=True)  # citizen:<id> | scheme:issued | ...
    # citizen_id and act_id without foreign keys, as in points_acts (migration 0015)
    citizen_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    grams: Mapped[int] = mapped_column(BigInteger)
    act_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The campaign (registry.campaigns) whose extra points this posting carries, if any.
    campaign_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PointsEpoch(Base):
    """A day's Merkle root over every citizen's cumulative points and grams, anchored on chain."""

    __tablename__ = "points_epochs"

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, unique=True)
    root: Mapped[str] = mapped_column(Hash)
    leaf_count: Mapped[int] = mapped_column(BigInteger)
    total_points: Mapped[int] = mapped_column(BigInteger)
    total_grams: Mapped[int] = mapped_column(BigInteger)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("chain_operations.id"), nullable=True)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PointsEpochLeaves(Base):
    """An epoch's leaves, what each proof is cut from: one row per epoch holding three packed
    arrays of little-endian signed 64-bit integers, in the leaves' order (by pseudonym) — the
    citizens' ids, their points and their grams (registry/points/epochs.py packs and reads them).
    A row per leaf cost 6 s on SQLite and 16 s on PostgreSQL for a million citizens; one row
    costs a fraction of a second."""

    __tablename__ = "points_epoch_leaves"

    epoch: Mapped[int] = mapped_column(
        ForeignKey("points_epochs.epoch"), primary_key=True, autoincrement=False
    )
    leaf_count: Mapped[int] = mapped_column(BigInteger)
    citizen_ids: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    points: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    grams: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ReconcileRun(Base):
    """A run of the reconciliation (registry/reconcile.py): when, up to which block, whether
    the database and the chain agreed, and what differed. Written by ``tanhui reconcile`` and
    the supervisors' dashboard; the dashboard shows the last one."""

    __tablename__ = "reconcile_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ran_by: Mapped[str] = mapped_column(String(60))  # a participant's public id, or "cli"
    block_number: Mapped[int] = mapped_column(BigInteger)
    ok: Mapped[bool] = mapped_column(Boolean)
    checked: Mapped[dict[str, Any]] = mapped_column(JSON)
    differences: Mapped[list[Any]] = mapped_column(JSON)
    anomalies: Mapped[int] = mapped_column(Integer)
