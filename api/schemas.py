"""Request bodies of the API (responses are the services' views). Unknown fields are refused;
amounts are integers of kilograms (or a decimal string of tonnes), never floats."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from registry.amounts import MAX_KG, TONNES_FORMAT, TONNES_PATTERN, parse_tonnes

# The largest ids the database can look up: serial keys (methodologies, chain operations, credit
# requests) are 32-bit integers on PostgreSQL; token ids (batches, certificates) 64-bit ones.
MAX_SERIAL_ID = 2**31 - 1
MAX_TOKEN_ID = 2**63 - 1


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL characters: refuse them here, not as a database error.
        if _has_nul(value):
            raise ValueError("text must not contain NUL (U+0000) characters")
        return value


class ParticipantIn(Body):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["organisation", "person"]
    roles: list[
        Literal[
            "registrar",
            "committee",
            "verifier",
            "project_owner",
            "holder",
            "supervisor",
            "exchange",
            "event_organiser",
            "merchant",
            "association",
        ]
    ] = Field(min_length=1)
    address: str | None = Field(default=None, description="The participant's own address (it keeps its key)")


class MethodologyIn(Body):
    code: str = Field(min_length=1, max_length=40)
    version: StrictInt = Field(ge=1, le=MAX_SERIAL_ID)


class DeclarativeMethodologyIn(Body):
    """A declarative methodology (R3): its spec, checked by the registry (not by this schema, so
    that every problem comes back with its stable code). See docs/methodologies/README.md."""

    spec: dict[str, Any] = Field(
        description="The methodology document (docs/methodologies/declarative-example.json)"
    )


class ReviewIn(Body):
    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=4000)


class ProjectReviewIn(Body):
    decision: Literal["approve", "reject", "request_changes"]
    reason: str = Field(min_length=1, max_length=4000)


class ProjectIn(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    location: str = Field(default="", max_length=200)
    methodology: MethodologyIn


class DocumentIn(Body):
    filename: str = Field(min_length=1, max_length=200)
    content_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str = Field(min_length=1)


class ReportIn(Body):
    period_start: date
    period_end: date
    data: dict[str, Any]


class AmountIn(Body):
    amount_kg: StrictInt | None = Field(default=None, gt=0, le=MAX_KG)
    # Taken as sent (not stripped like the other strings): " 1" is refused, not read as "1".
    amount_t: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=False),
            Field(json_schema_extra={"pattern": TONNES_PATTERN}),  # documented; parse_tonnes checks
        ]
        | None
    ) = Field(default=None, description=TONNES_FORMAT[0].upper() + TONNES_FORMAT[1:])

    @field_validator("amount_t")
    @classmethod
    def _tonnes(cls, value: str | None) -> str | None:
        # Checked as a field, so that an error names amount_t.
        if value is not None and parse_tonnes(value) == 0:
            raise ValueError("the amount must be positive")
        return value

    @model_validator(mode="after")
    def _one_amount(self) -> AmountIn:
        if (self.amount_kg is None) == (self.amount_t is None):
            raise ValueError("give exactly one of amount_kg and amount_t")
        if self.amount_t is not None:
            self.amount_kg = parse_tonnes(self.amount_t)
            self.amount_t = None
        return self

    @property
    def kg(self) -> int:
        assert self.amount_kg is not None
        return self.amount_kg


class TransferIn(AmountIn):
    batch_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    to: str = Field(min_length=1, max_length=40, description="The recipient participant's id")


class RetirementIn(AmountIn):
    batch_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    beneficiary: str = Field(min_length=1, max_length=200)
    purpose: Literal[
        "event_neutrality",
        "voluntary",
        "compliance",
        "organisation_neutrality",
        "personal_neutrality",
        "other",
    ]
    event_id: str | None = Field(default=None, max_length=200)
    jurisdiction: str = Field(default="", max_length=64)
    consumption_start: date | None = None
    consumption_end: date | None = None
    note: str = Field(default="", max_length=1000)


class ReasonIn(Body):
    """An action that needs only its reason (a supervisory action, a withdrawal)."""

    reason: str = Field(min_length=1, max_length=1000)


# -- neutrality claims (R14, R15) -------------------------------------------------------------


class FootprintMethodologyRef(Body):
    code: str = Field(min_length=1, max_length=40, examples=["TH-FP-EVT-001"])
    version: StrictInt = Field(ge=1, le=MAX_SERIAL_ID)


class ClaimIn(Body):
    kind: Literal["event", "organisation", "fleet", "route", "scene", "person"]
    subject: str = Field(
        min_length=1, max_length=200, description="What the claim is about, e.g. the event's name"
    )
    period_start: date
    period_end: date
    footprint_methodology: FootprintMethodologyRef
    buffer_pct: Annotated[str, Field(pattern=r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$")] = Field(
        default="0",
        description="Credits to retire on top of the footprint, in percent (0 to 100, two decimals at most)",
    )


class ActivityIn(Body):
    activity: dict[str, Any] = Field(description="The activity data, in the footprint methodology's schema")


class FootprintCalculationIn(Body):
    footprint_methodology: FootprintMethodologyRef
    period_start: date
    period_end: date
    activity: dict[str, Any]


# -- public points (R6-R10, R17) --------------------------------------------------------------


class PartnerIn(Body):
    name: str = Field(min_length=1, max_length=200)
    scenes: list[str] = Field(min_length=1, max_length=20, description="The scenes it reports, e.g. metro")


class EpochCloseIn(Body):
    day: date = Field(description="The day to close (a past day, after the last epoch's)")


# -- the exchange (R18, R21-R25) --------------------------------------------------------------

ProjectTypeName = Literal["energy-substitution", "resource-saving", "ecological"]
PriceFen = Annotated[StrictInt, Field(gt=0, le=2**48 - 1, description="Fen (0.01 yuan) per tonne")]


class ListingIn(AmountIn):
    batch_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)


class TradeRetirementIn(Body):
    """Buy-and-retire: the buyer retires what it bought in the settling transaction."""

    beneficiary: str = Field(min_length=1, max_length=200)
    purpose: Literal[
        "event_neutrality",
        "voluntary",
        "compliance",
        "organisation_neutrality",
        "personal_neutrality",
        "other",
    ]
    event_id: str | None = Field(default=None, max_length=200)
    jurisdiction: str = Field(default="", max_length=64)
    consumption_start: date | None = None
    consumption_end: date | None = None
    note: str = Field(default="", max_length=1000)


class TradeIn(AmountIn):
    reference: str = Field(
        min_length=1, max_length=100, description="The exchange's own trade reference (settled once)"
    )
    listing_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    buyer: str = Field(min_length=1, max_length=40, description="The buyer's participant id")
    price_fen_per_t: PriceFen
    buyer_fee_fen: StrictInt = Field(default=0, ge=0, le=10**12, description="The buyer's fee (fen)")
    seller_fee_fen: StrictInt = Field(default=0, ge=0, le=10**12, description="The seller's fee (fen)")
    retirement: TradeRetirementIn | None = None


class ReferencePriceIn(Body):
    project_type: ProjectTypeName
    price_fen_per_t: PriceFen


class HaltIn(Body):
    project_type: ProjectTypeName | None = None
    batch_id: StrictInt | None = Field(default=None, gt=0, le=MAX_TOKEN_ID)
    halted: bool
    reason: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_scope(self) -> HaltIn:
        if (self.project_type is None) == (self.batch_id is None):
            raise ValueError("give exactly one of project_type and batch_id")
        return self


class StatementTradeIn(Body):
    reference: str = Field(min_length=1, max_length=100)
    listing_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    buyer: str = Field(min_length=1, max_length=40)
    amount_kg: StrictInt = Field(gt=0, le=MAX_KG)
    price_fen_per_t: PriceFen


class StatementEscrowIn(Body):
    listing_id: StrictInt = Field(gt=0, le=MAX_TOKEN_ID)
    remaining_kg: StrictInt = Field(ge=0, le=MAX_KG)


class StatementIn(Body):
    """The exchange's end-of-day statement: its trades of the day and the escrow it believes in."""

    day: date
    trades: list[StatementTradeIn] = Field(max_length=100_000)
    escrow: list[StatementEscrowIn] = Field(max_length=100_000)


# -- transactions signed by their holders (self-custody) -------------------------------------------


#: What each action of a draft needs (besides `action`), and may have.
DRAFT_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "transfer": (frozenset({"batch_id", "amount_kg", "to"}), frozenset()),
    "retire": (
        frozenset({"batch_id", "amount_kg", "beneficiary", "purpose"}),
        frozenset({"event_id", "jurisdiction", "consumption_start", "consumption_end", "note"}),
    ),
    "list": (frozenset({"batch_id", "amount_kg"}), frozenset()),
    "cancel_listing": (frozenset({"listing_id"}), frozenset()),
}


class DraftIn(Body):
    """What a holder that keeps its own key wants to sign: a transfer, a retirement or a listing
    (with the fields of its own route), or the cancellation of its listing."""

    action: Literal["transfer", "retire", "list", "cancel_listing"]
    batch_id: StrictInt | None = Field(default=None, gt=0, le=MAX_TOKEN_ID)
    amount_kg: StrictInt | None = Field(default=None, gt=0, le=MAX_KG)
    amount_t: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=False),
            Field(json_schema_extra={"pattern": TONNES_PATTERN}),
        ]
        | None
    ) = Field(default=None, description=TONNES_FORMAT[0].upper() + TONNES_FORMAT[1:])
    to: str | None = Field(default=None, min_length=1, max_length=40, description="A transfer's recipient")
    listing_id: StrictInt | None = Field(default=None, gt=0, le=MAX_TOKEN_ID)
    beneficiary: str | None = Field(default=None, min_length=1, max_length=200)
    purpose: (
        Literal[
            "event_neutrality",
            "voluntary",
            "compliance",
            "organisation_neutrality",
            "personal_neutrality",
            "other",
        ]
        | None
    ) = None
    event_id: str | None = Field(default=None, max_length=200)
    jurisdiction: str | None = Field(default=None, max_length=64)
    consumption_start: date | None = None
    consumption_end: date | None = None
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("amount_t")
    @classmethod
    def _tonnes(cls, value: str | None) -> str | None:
        if value is not None and parse_tonnes(value) == 0:
            raise ValueError("the amount must be positive")
        return value

    @model_validator(mode="after")
    def _fields_of_the_action(self) -> DraftIn:
        if self.amount_kg is not None and self.amount_t is not None:
            raise ValueError("give one of amount_kg and amount_t, not both")
        if self.amount_t is not None:
            self.amount_kg = parse_tonnes(self.amount_t)
            self.amount_t = None
        needed, optional = DRAFT_FIELDS[self.action]
        given = {
            name for name in type(self).model_fields if name != "action" and getattr(self, name) is not None
        }
        missing = sorted(needed - given)
        if missing:
            raise ValueError(f"a {self.action} draft needs {', '.join(missing)}")
        extra = sorted(given - needed - optional)
        if extra:
            raise ValueError(f"a {self.action} draft takes no {', '.join(extra)}")
        return self


class TransactionIn(Body):
    raw: str = Field(
        min_length=4,
        max_length=2 + 2 * 16_384,
        pattern=r"^0x[0-9a-fA-F]+$",
        description="The raw signed transaction, 0x-hex (`tanhui wallet sign` prints it)",
    )
