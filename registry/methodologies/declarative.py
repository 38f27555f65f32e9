"""Declarative methodologies (R3): a methodology proposed as a JSON document, not as code.

An enterprise proposes a methodology without any change to the registry's code: a JSON document
(``MethodologySpec``) with the monitoring-data schema (``inputs``, with units and bounds), the
factors with their sources, the formula as a list of named ``steps`` whose expressions use the
inputs, the factors, earlier steps and the period variables ``period_days`` / ``period_years``,
cross-field ``checks``, and a worked example that must reproduce.

The expression language is tiny and checked against a strict whitelist of syntax-tree nodes
before anything is evaluated: decimal literals (written ``12`` or ``0.1564``; never floats),
names, ``+ - * /``, unary ``-``, parentheses and ``min(a, b, ...)`` / ``max(a, b, ...)``;
comparisons (``< <= > >= == !=``) and ``and`` / ``or`` / ``not`` only in checks. Python's ``ast``
module parses the text (parsing executes nothing); the accepted tree is translated into a small
tree of our own, which is interpreted with ``Decimal`` in ``base.CONTEXT``. Nothing is ever
passed to ``eval``/``exec``/``compile``.

Every step is rounded to six decimal places with ``Steps.add`` and the rounded value is what the
later steps use, exactly as in the coded methodologies; the result is
``Quantification.conservative(baseline, project, leakage, steps)``.

``check_spec`` lists every problem of a proposal (stable ``code``s, see ``PROBLEM_CODES``) for the
committee; ``DeclarativeMethodology(spec)`` builds a ``Methodology`` usable wherever a coded one
is. Its content hash is keccak-256 over the length-prefixed parts ``tanhui/declarative-methodology/1``
and the canonical JSON of the spec (sorted keys, no whitespace, UTF-8).
"""

from __future__ import annotations

import ast
import datetime
import json
import keyword
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DivisionByZero, InvalidOperation, localcontext
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, cast

from eth_utils.crypto import keccak
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
    model_validator,
)

from .base import (
    CATEGORIES,
    CONTEXT,
    EmissionFactor,
    FactorSet,
    Methodology,
    MethodologyInputError,
    MonitoringInput,
    MonitoringPeriod,
    Quantification,
    Steps,
    _errors_from,
    q,
)

#: Domain tag of the content-hash encoding of a declarative methodology; bump it if the encoding
#: or the meaning of the expression language ever changes.
HASH_TAG = b"tanhui/declarative-methodology/1"

MAX_EXPRESSION_CHARS = 500
MAX_EXPRESSION_NODES = 200
MAX_EXPRESSION_DEPTH = 32
MAX_LITERAL_DIGITS = 30
MAX_CALL_ARGUMENTS = 20
MAX_INPUTS = 50
MAX_FACTORS = 50
MAX_STEPS = 100
MAX_CHECKS = 50
#: Largest magnitude of a factor value or an input bound.
MAX_MAGNITUDE = Decimal("1e18")

PERIOD_VARIABLES = ("period_days", "period_years")
FUNCTIONS = ("min", "max")
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

PROBLEM_CODES = (
    "bad_spec",
    "bad_expression",
    "unknown_variable",
    "duplicate_name",
    "unknown_category",
    "factor_without_source",
    "example_invalid",
    "division_by_zero",
    "overflow",
    "negative_leakage",
    "example_not_reproduced",
    "no_reduction",
)

_NAME_RE = re.compile(NAME_PATTERN)
_DECIMAL_TEXT_RE = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,2})?")
_LITERAL_RE = re.compile(r"[0-9]+(\.[0-9]+)?")


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------


def _decimal_text(text: str) -> str:
    if not _DECIMAL_TEXT_RE.fullmatch(text):
        raise ValueError('must be a decimal number written as a string, e.g. "0.1564" or "1e10"')
    if abs(Decimal(text)) > MAX_MAGNITUDE:
        raise ValueError(f"magnitude above {MAX_MAGNITUDE}")
    return text


def _not_keyword(name: str) -> str:
    if keyword.iskeyword(name):
        raise ValueError(f"{name!r} is a reserved word")
    return name


Name = Annotated[StrictStr, Field(pattern=NAME_PATTERN), AfterValidator(_not_keyword)]
DecimalText = Annotated[StrictStr, Field(max_length=40), AfterValidator(_decimal_text)]
Unit = Annotated[StrictStr, Field(max_length=64)]
Label = Annotated[StrictStr, Field(min_length=1, max_length=200)]
LongText = Annotated[StrictStr, Field(max_length=2000)]
#: The hard bound of the document; the expression compiler enforces ``MAX_EXPRESSION_CHARS``
#: (reported as ``bad_expression``).
ExpressionText = Annotated[StrictStr, Field(max_length=4 * MAX_EXPRESSION_CHARS)]
Kilograms = Annotated[StrictInt, Field(ge=-(10**18), le=10**18)]


class _SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_SpecModel):
    """One field of the monitoring data: a decimal number with its unit and bounds (inclusive)."""

    name: Name
    unit: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    description: Annotated[StrictStr, Field(min_length=1, max_length=1000)]
    minimum: DecimalText
    maximum: DecimalText
    integer: StrictBool = False

    @model_validator(mode="after")
    def _bounds_ordered(self) -> InputSpec:
        if Decimal(self.minimum) > Decimal(self.maximum):
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        return self


class FactorSpec(_SpecModel):
    """A published factor. ``source`` and ``unit`` must not be blank (``factor_without_source``)."""

    key: Name
    value: DecimalText
    unit: Unit
    source: LongText
    note: LongText = ""


class StepSpec(_SpecModel):
    """A named intermediate value, recorded in the audit trail under ``label``."""

    name: Name
    label: Label
    expression: ExpressionText
    unit: Unit = ""


class CheckSpec(_SpecModel):
    """A cross-field condition on the monitoring data; when false, ``field`` gets ``message``.

    Checks may use inputs, factors and the period variables. Checks without period variables run
    when the data are parsed, the others when they are quantified."""

    field: Name
    expression: ExpressionText
    message: Annotated[StrictStr, Field(min_length=1, max_length=500)]


class WorkedExampleSpec(_SpecModel):
    """Monitoring data for one period and the whole-kilogram figures they must give."""

    period_start: datetime.date
    period_end: datetime.date
    inputs: Annotated[dict[Name, StrictStr | StrictInt], Field(max_length=MAX_INPUTS)]
    baseline_kg: Kilograms
    project_kg: Kilograms
    leakage_kg: Kilograms
    net_kg: Kilograms

    @model_validator(mode="after")
    def _period_ordered(self) -> WorkedExampleSpec:
        if self.period_end < self.period_start:
            raise ValueError(f"period_end {self.period_end} is before period_start {self.period_start}")
        return self


class MethodologySpec(_SpecModel):
    """A declarative methodology version (see the module docstring)."""

    code: Annotated[StrictStr, Field(pattern=r"^[A-Z][A-Z0-9]{0,7}(-[A-Z0-9]{1,8}){1,3}$")]
    version: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    title: Label
    title_zh: Label
    category: Annotated[StrictStr, Field(max_length=64)]
    requirements: Annotated[
        tuple[Annotated[StrictStr, Field(pattern=r"^R[0-9]{1,3}$")], ...], Field(max_length=20)
    ] = ()
    description: Annotated[StrictStr, Field(min_length=1, max_length=10_000)]
    inputs: Annotated[tuple[InputSpec, ...], Field(min_length=1, max_length=MAX_INPUTS)]
    factors: Annotated[tuple[FactorSpec, ...], Field(max_length=MAX_FACTORS)] = ()
    steps: Annotated[tuple[StepSpec, ...], Field(max_length=MAX_STEPS)] = ()
    baseline: ExpressionText
    project: ExpressionText
    leakage: ExpressionText = "0"
    checks: Annotated[tuple[CheckSpec, ...], Field(max_length=MAX_CHECKS)] = ()
    worked_example: WorkedExampleSpec


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalProblem:
    """One problem of a proposed methodology: a stable ``code`` (see ``PROBLEM_CODES``), a
    human-readable ``message`` and ``where``, the dotted path into the document ("" for all)."""

    code: str
    message: str
    where: str


class InvalidMethodologySpec(ValueError):
    """The document is not an acceptable methodology; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[ProposalProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.code} at {p.where or '<spec>'}: {p.message}" for p in self.problems))


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def parse_spec(raw: Mapping[str, Any]) -> MethodologySpec:
    """Validates the shape of a document; raises ``InvalidMethodologySpec`` (``bad_spec``)."""
    if not isinstance(raw, Mapping):
        raise InvalidMethodologySpec([ProposalProblem("bad_spec", "a methodology is a JSON object", "")])
    try:
        return MethodologySpec.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidMethodologySpec(
            [
                ProposalProblem("bad_spec", str(err.get("msg", "invalid")), _path(err.get("loc", ())))
                for err in exc.errors(include_url=False)
            ]
        ) from None


def problems_of(raw: Mapping[str, Any]) -> list[ProposalProblem]:
    """Every problem of a proposed document: its shape (``bad_spec``), then ``check_spec``."""
    try:
        spec = parse_spec(raw)
    except InvalidMethodologySpec as exc:
        return exc.problems
    return check_spec(spec)


# --------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------


class ExpressionError(ValueError):
    """The text is not an acceptable expression (``bad_expression``)."""


@dataclass(frozen=True)
class _Num:
    value: Decimal


@dataclass(frozen=True)
class _Var:
    name: str


@dataclass(frozen=True)
class _Neg:
    operand: _Node


@dataclass(frozen=True)
class _Arith:
    op: Callable[[Decimal, Decimal], Decimal]
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Call:
    function: Callable[[Sequence[Decimal]], Decimal]
    args: tuple[_Node, ...]


@dataclass(frozen=True)
class _Compare:
    left: _Node
    ops: tuple[Callable[[Decimal, Decimal], bool], ...]
    rights: tuple[_Node, ...]


@dataclass(frozen=True)
class _Logic:
    is_and: bool
    operands: tuple[_Node, ...]


@dataclass(frozen=True)
class _Not:
    operand: _Node


_Node = _Num | _Var | _Neg | _Arith | _Call | _Compare | _Logic | _Not

_ARITH: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Decimal, Decimal], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCTIONS: dict[str, Callable[[Sequence[Decimal]], Decimal]] = {"min": min, "max": max}
_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[i])",
    ast.Lambda: "lambda",
    ast.IfExp: "conditional expressions (a if c else b)",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "starred arguments",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}
_OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Pow: "** (power)",
    ast.FloorDiv: "// (floor division)",
    ast.Mod: "% (modulo)",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.UAdd: "unary +",
    ast.Invert: "~",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its tree and the variables it uses (in order of use)."""

    text: str
    tree: _Node
    names: tuple[str, ...]
    boolean: bool

    def evaluate_number(self, env: Mapping[str, Decimal]) -> Decimal:
        """The value; the caller sets the decimal context. Decimal exceptions propagate."""
        return _number(self.tree, env)

    def evaluate_condition(self, env: Mapping[str, Decimal]) -> bool:
        return _condition(self.tree, env)


class _Compiler:
    def __init__(self, text: str, allow_conditions: bool) -> None:
        self.text = text
        self.allow_conditions = allow_conditions
        self.names: list[str] = []

    def convert(self, node: ast.AST, depth: int) -> tuple[_Node, bool]:
        """The tree for ``node`` and whether it is a condition (True) or a number (False)."""
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(f"nested more than {MAX_EXPRESSION_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self._literal(node), False
        if isinstance(node, ast.Name):
            return self._name(node), False
        if isinstance(node, ast.BinOp):
            arith = _ARITH.get(type(node.op))
            if arith is None:
                raise ExpressionError(f"operator {_describe(node.op)} is not allowed")
            left = self.number(node.left, depth + 1)
            right = self.number(node.right, depth + 1)
            return _Arith(arith, left, right), False
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return _Neg(self.number(node.operand, depth + 1)), False
            if isinstance(node.op, ast.Not):
                self._require_conditions("not")
                return _Not(self.condition(node.operand, depth + 1)), True
            raise ExpressionError(f"operator {_describe(node.op)} is not allowed")
        if isinstance(node, ast.Call):
            return self._call(node, depth), False
        if isinstance(node, ast.Compare):
            self._require_conditions("comparisons")
            ops: list[Callable[[Decimal, Decimal], bool]] = []
            for op in node.ops:
                compare = _COMPARE.get(type(op))
                if compare is None:
                    raise ExpressionError(f"operator {_describe(op)} is not allowed")
                ops.append(compare)
            left = self.number(node.left, depth + 1)
            rights = tuple(self.number(c, depth + 1) for c in node.comparators)
            return _Compare(left, tuple(ops), rights), True
        if isinstance(node, ast.BoolOp):
            self._require_conditions("and/or")
            operands = tuple(self.condition(v, depth + 1) for v in node.values)
            return _Logic(isinstance(node.op, ast.And), operands), True
        raise ExpressionError(f"{_describe(node)}: not allowed")

    def number(self, node: ast.AST, depth: int) -> _Node:
        tree, is_condition = self.convert(node, depth)
        if is_condition:
            raise ExpressionError("a condition (comparison, and/or/not) cannot be used as a number")
        return tree

    def condition(self, node: ast.AST, depth: int) -> _Node:
        tree, is_condition = self.convert(node, depth)
        if not is_condition:
            raise ExpressionError("a condition (a comparison such as a <= b) is needed here, not a number")
        return tree

    def _require_conditions(self, what: str) -> None:
        if not self.allow_conditions:
            raise ExpressionError(f"{what} are only allowed in checks")

    def _literal(self, node: ast.Constant) -> _Num:
        if isinstance(node.value, str | bytes):
            raise ExpressionError("string literals are not allowed")
        source = self.text[node.col_offset : node.end_col_offset or node.col_offset]
        if not _LITERAL_RE.fullmatch(source):
            raise ExpressionError(
                f"only plain decimal literals such as 12 or 0.1564 are allowed, not {source!r}"
            )
        digits = len(source.replace(".", ""))
        if digits > MAX_LITERAL_DIGITS:
            raise ExpressionError(f"numeric literal of {digits} digits; at most {MAX_LITERAL_DIGITS}")
        # From the source text, never from the float Python parsed.
        return _Num(Decimal(source))

    def _name(self, node: ast.Name) -> _Var:
        if not _NAME_RE.fullmatch(node.id):
            raise ExpressionError(f"{node.id!r} is not a valid variable name (lower-case, digits, _)")
        if node.id in _FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: write {node.id}(a, b)")
        if node.id not in self.names:
            self.names.append(node.id)
        return _Var(node.id)

    def _call(self, node: ast.Call, depth: int) -> _Call:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            called = node.func.id if isinstance(node.func, ast.Name) else _describe(node.func)
            raise ExpressionError(f"call of {called!r} is not allowed; the only functions are min and max")
        if node.keywords:
            raise ExpressionError("keyword arguments are not allowed")
        args = tuple(self.number(a, depth + 1) for a in node.args)
        if not 2 <= len(args) <= MAX_CALL_ARGUMENTS:
            raise ExpressionError(f"{node.func.id} takes 2 to {MAX_CALL_ARGUMENTS} arguments")
        return _Call(_FUNCTIONS[node.func.id], args)


def _describe(node: ast.AST) -> str:
    for kind, text in {**_FORBIDDEN, **_OPERATOR_SYMBOLS}.items():
        if isinstance(node, kind):
            return text
    return type(node).__name__


def compile_expression(text: str, *, condition: bool = False) -> Expression:
    """Checks ``text`` against the whitelist and returns it compiled; raises ``ExpressionError``.

    ``condition`` selects a check (comparisons and and/or/not allowed, result a condition)
    rather than a number. Nothing is evaluated here."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"{len(text)} characters long; at most {MAX_EXPRESSION_CHARS}")
    if not text.strip():
        raise ExpressionError("empty expression")
    for ch in text:
        # Printable ASCII only: no line breaks, no look-alike letters; column offsets are then
        # character offsets, which the literal parsing relies on. No "#": a comment would show
        # the committee text that is not the formula.
        if not (" " <= ch <= "~") or ch == "#":
            raise ExpressionError(f"character {ch!r} is not allowed")
    try:
        parsed = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        message = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise ExpressionError(f"syntax error: {message}") from None
    nodes = sum(1 for _ in ast.walk(parsed))  # iterative, safe on deep trees
    if nodes > MAX_EXPRESSION_NODES:
        raise ExpressionError(f"{nodes} syntax nodes; at most {MAX_EXPRESSION_NODES}")
    compiler = _Compiler(text.strip(), allow_conditions=condition)
    tree = compiler.condition(parsed.body, 1) if condition else compiler.number(parsed.body, 1)
    if condition and not isinstance(tree, _Compare | _Logic | _Not):
        raise ExpressionError("a check must be a condition, e.g. a <= b")
    return Expression(text=text, tree=tree, names=tuple(compiler.names), boolean=condition)


def _number(node: _Node, env: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Var):
        return env[node.name]
    if isinstance(node, _Neg):
        return -_number(node.operand, env)
    if isinstance(node, _Arith):
        return node.op(_number(node.left, env), _number(node.right, env))
    if isinstance(node, _Call):
        return node.function([_number(a, env) for a in node.args])
    raise TypeError(f"not a number: {node!r}")  # excluded by the compiler


def _condition(node: _Node, env: Mapping[str, Decimal]) -> bool:
    if isinstance(node, _Compare):
        left = _number(node.left, env)
        for op, right_node in zip(node.ops, node.rights, strict=True):
            right = _number(right_node, env)
            if not op(left, right):
                return False
            left = right
        return True
    if isinstance(node, _Logic):
        if node.is_and:
            return all(_condition(o, env) for o in node.operands)
        return any(_condition(o, env) for o in node.operands)
    if isinstance(node, _Not):
        return not _condition(node.operand, env)
    raise TypeError(f"not a condition: {node!r}")  # excluded by the compiler


# --------------------------------------------------------------------------------------------
# The engine: compiled spec, input model, evaluation
# --------------------------------------------------------------------------------------------


class _EvaluationFailure(Exception):
    def __init__(self, code: str, where: str, what: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.where = where
        self.what = what
        self.message = message


def _arithmetic_failure(exc: ArithmeticError) -> tuple[str, str]:
    if isinstance(exc, DivisionByZero | InvalidOperation):
        # 0/0 raises InvalidOperation; inputs and factors are finite, so the grammar has no other
        # invalid operation (quantizing a huge value is handled by ``_record``).
        return "division_by_zero", "division by zero"
    return "overflow", f"arithmetic overflow ({type(exc).__name__})"


@dataclass(frozen=True)
class _Engine:
    spec: MethodologySpec
    steps: tuple[tuple[StepSpec, Expression], ...]
    baseline: Expression
    project: Expression
    leakage: Expression
    checks: tuple[tuple[CheckSpec, Expression], ...]
    factors: Mapping[str, Decimal]
    input_model: type[MonitoringInput]

    def parse(self, raw: Mapping[str, Any]) -> MonitoringInput:
        if not isinstance(raw, Mapping):
            raise MethodologyInputError.single("", "monitoring data must be an object")
        try:
            return self.input_model.model_validate(dict(raw))
        except ValidationError as exc:
            raise MethodologyInputError(_errors_from(exc)) from None

    def inputs_of(self, data: MonitoringInput) -> dict[str, Decimal]:
        return {i.name: cast(Decimal, getattr(data, i.name)) for i in self.spec.inputs}

    def period_check_errors(self, data: MonitoringInput, period: MonitoringPeriod) -> list[tuple[str, str]]:
        env = {**self.factors, **self.inputs_of(data), **_period_env(period)}
        return _failed_checks([c for c in self.checks if _uses_period(c[1])], env)

    def evaluate(
        self, data: MonitoringInput, period: MonitoringPeriod
    ) -> tuple[Decimal, Decimal, Decimal, Steps]:
        """Exact (six-place) baseline, project and leakage and the audit trail; raises
        ``_EvaluationFailure`` on a division by zero or an overflow."""
        s = Steps()
        with localcontext(CONTEXT):
            s.note("monitoring period", f"{period.start} to {period.end} ({period.days} days)")
            env: dict[str, Decimal] = {**self.factors, **self.inputs_of(data)}
            env["period_days"] = s.add("period_days = days in the period", Decimal(period.days), "d")
            env["period_years"] = s.add("period_years = period_days / 365", period.years, "a")
            for index, (step, expr) in enumerate(self.steps):
                value = self._run(expr, env, f"steps[{index}].expression", f"step {step.name!r}")
                env[step.name] = _record(
                    s, f"{step.name}: {step.label}", value, step.unit, f"steps[{index}].expression"
                )
            totals: list[Decimal] = []
            for part, label in (
                ("baseline", "baseline emissions"),
                ("project", "project emissions"),
                ("leakage", "leakage"),
            ):
                expr = cast(Expression, getattr(self, part))
                totals.append(_record(s, label, self._run(expr, env, part, part), "kg CO2e", part))
            baseline, project, leakage = totals
            if leakage < 0:  # leakage adds emissions; a negative one would raise the net
                message = f"leakage is {leakage} kg CO2e; it cannot be negative"
                raise _EvaluationFailure("negative_leakage", "leakage", "leakage", message)
            _record(s, "net reduction (exact)", baseline - project - leakage, "kg CO2e", "")
        return baseline, project, leakage, s

    @staticmethod
    def _run(expr: Expression, env: Mapping[str, Decimal], where: str, what: str) -> Decimal:
        try:
            return expr.evaluate_number(env)
        except ArithmeticError as exc:
            code, text = _arithmetic_failure(exc)
            raise _EvaluationFailure(code, where, what, f"{what} ({expr.text}): {text}") from None

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        problems = self.period_check_errors(data, period)
        if problems:
            raise MethodologyInputError([{"field": f, "message": m} for f, m in problems])
        try:
            baseline, project, leakage, s = self.evaluate(data, period)
        except _EvaluationFailure as failure:
            raise MethodologyInputError.single(
                "", f"the monitoring data cannot be quantified: {failure.message}"
            ) from None
        return Quantification.conservative(baseline, project, leakage, s.items())


def _record(s: Steps, label: str, value: Decimal, unit: str, where: str) -> Decimal:
    """``s.add``, turning a value too large to hold six decimal places at the context's precision
    (quantize raises InvalidOperation) into an ``overflow`` failure."""
    try:
        return s.add(label, value, unit)
    except ArithmeticError:
        message = f"{label}: value too large ({value:.6E})"
        raise _EvaluationFailure("overflow", where, label, message) from None


def _uses_period(expr: Expression) -> bool:
    return any(n in PERIOD_VARIABLES for n in expr.names)


def _period_env(period: MonitoringPeriod) -> dict[str, Decimal]:
    with localcontext(CONTEXT):
        return {"period_days": Decimal(period.days), "period_years": q(period.years)}


def _failed_checks(
    checks: Sequence[tuple[CheckSpec, Expression]], env: Mapping[str, Decimal]
) -> list[tuple[str, str]]:
    failed: list[tuple[str, str]] = []
    with localcontext(CONTEXT):
        for check, expr in checks:
            try:
                ok = expr.evaluate_condition(env)
            except ArithmeticError as exc:
                failed.append(
                    (
                        check.field,
                        f"{check.message} (the check cannot be evaluated: {_arithmetic_failure(exc)[1]})",
                    )
                )
                continue
            if not ok:
                failed.append((check.field, check.message))
    return failed


def _reject_float(value: Any) -> Any:
    if isinstance(value, float | bool):
        raise ValueError('give the number as a string or an integer, e.g. "12.5"; floats are not accepted')
    return value


def _whole_number(value: Decimal) -> Decimal:
    if value != value.to_integral_value():
        raise ValueError("must be a whole number")
    return value


def _input_model(
    spec: MethodologySpec, checks: Sequence[tuple[CheckSpec, Expression]]
) -> type[MonitoringInput]:
    names = [i.name for i in spec.inputs]
    factors = {f.key: Decimal(f.value) for f in spec.factors}
    on_parse = [c for c in checks if not _uses_period(c[1])]

    class DeclarativeInput(MonitoringInput):
        def consistency_errors(self) -> list[tuple[str, str]]:
            env = {**factors, **{n: cast(Decimal, getattr(self, n)) for n in names}}
            return _failed_checks(on_parse, env)

    fields: dict[str, Any] = {}
    for item in spec.inputs:
        annotated: Any = (
            Annotated[Decimal, BeforeValidator(_reject_float), AfterValidator(_whole_number)]
            if item.integer
            else Annotated[Decimal, BeforeValidator(_reject_float)]
        )
        fields[item.name] = (
            annotated,
            Field(
                ge=Decimal(item.minimum),
                le=Decimal(item.maximum),
                allow_inf_nan=False,
                description=f"{item.description} ({item.unit})",
                json_schema_extra={"unit": item.unit},
            ),
        )
    model_name = re.sub(r"[^A-Za-z0-9]", "_", f"{spec.code}_v{spec.version}_Input")
    return create_model(model_name, __base__=DeclarativeInput, **fields)


def _reserved_reason(name: str) -> str | None:
    if name in PERIOD_VARIABLES:
        return "is a period variable"
    if name in FUNCTIONS:
        return "is a function"
    if name.startswith("model_") or hasattr(MonitoringInput, name):
        return "is an attribute of the monitoring-data model"
    return None


def _compile_spec(spec: MethodologySpec) -> tuple[_Engine | None, list[ProposalProblem]]:
    """Static checks. The engine is None when names or expressions are unusable."""
    problems: list[ProposalProblem] = []
    blocking = False

    def problem(code: str, message: str, where: str) -> None:
        problems.append(ProposalProblem(code, message, where))

    if spec.category not in CATEGORIES:
        problem("unknown_category", f"{spec.category!r} is not one of {sorted(CATEGORIES)}", "category")

    declared: dict[str, str] = {}
    entries = [
        *((i.name, f"inputs[{n}].name") for n, i in enumerate(spec.inputs)),
        *((f.key, f"factors[{n}].key") for n, f in enumerate(spec.factors)),
        *((s.name, f"steps[{n}].name") for n, s in enumerate(spec.steps)),
    ]
    for name, where in entries:
        reason = _reserved_reason(name)
        if reason:
            problem("duplicate_name", f"{name!r} {reason}; choose another name", where)
            blocking = True
        elif name in declared:
            problem("duplicate_name", f"{name!r} is already used at {declared[name]}", where)
            blocking = True
        else:
            declared[name] = where

    for n, f in enumerate(spec.factors):
        for attr in ("source", "unit"):
            if not getattr(f, attr).strip():
                problem("factor_without_source", f"factor {f.key!r} has no {attr}", f"factors[{n}].{attr}")

    input_names = [i.name for i in spec.inputs]
    factor_names = [f.key for f in spec.factors]
    step_index = {s.name: n for n, s in enumerate(spec.steps)}

    def compile_at(text: str, where: str, known: set[str], *, condition: bool = False) -> Expression | None:
        nonlocal blocking
        try:
            expr = compile_expression(text, condition=condition)
        except ExpressionError as exc:
            problem("bad_expression", str(exc), where)
            blocking = True
            return None
        for name in expr.names:
            if name in known:
                continue
            blocking = True
            if where.startswith("checks") and name in step_index:
                message = f"{name!r} is a step; checks may use inputs, factors and period variables only"
            elif name in step_index:
                position = step_index[name]
                message = (
                    f"{name!r} is defined later (steps[{position}]); a step may only use earlier steps"
                    if where != f"steps[{position}].expression"
                    else f"step {name!r} refers to itself"
                )
            else:
                message = f"unknown variable {name!r}"
            problem("unknown_variable", message, where)
        return expr

    known = {*input_names, *factor_names, *PERIOD_VARIABLES}
    steps: list[tuple[StepSpec, Expression]] = []
    for n, step in enumerate(spec.steps):
        expr = compile_at(step.expression, f"steps[{n}].expression", known)
        if expr is not None:
            steps.append((step, expr))
        known.add(step.name)
    totals = [compile_at(getattr(spec, part), part, known) for part in ("baseline", "project", "leakage")]

    check_known = {*input_names, *factor_names, *PERIOD_VARIABLES}
    checks: list[tuple[CheckSpec, Expression]] = []
    for n, check in enumerate(spec.checks):
        if check.field not in input_names:
            problem("unknown_variable", f"check field {check.field!r} is not an input", f"checks[{n}].field")
            blocking = True
        expr = compile_at(check.expression, f"checks[{n}].expression", check_known, condition=True)
        if expr is not None:
            checks.append((check, expr))

    if blocking:
        return None, problems
    baseline, project, leakage = (cast(Expression, t) for t in totals)
    engine = _Engine(
        spec=spec,
        steps=tuple(steps),
        baseline=baseline,
        project=project,
        leakage=leakage,
        checks=tuple(checks),
        factors=MappingProxyType({f.key: Decimal(f.value) for f in spec.factors}),
        input_model=_input_model(spec, checks),
    )
    return engine, problems


def _example_problems(engine: _Engine) -> list[ProposalProblem]:
    example = engine.spec.worked_example
    period = MonitoringPeriod(example.period_start, example.period_end)
    try:
        data = engine.parse(example.inputs)
    except MethodologyInputError as exc:
        return [
            ProposalProblem(
                "example_invalid",
                e["message"],
                "worked_example.inputs" + (f".{e['field']}" if e["field"] else ""),
            )
            for e in exc.errors
        ]
    failed = engine.period_check_errors(data, period)
    if failed:
        return [ProposalProblem("example_invalid", m, f"worked_example.inputs.{f}") for f, m in failed]
    try:
        baseline, project, leakage, _ = engine.evaluate(data, period)
    except _EvaluationFailure as failure:
        return [
            ProposalProblem(failure.code, f"evaluating the worked example: {failure.message}", failure.where)
        ]
    computed = {
        "baseline_kg": int(baseline.to_integral_value(rounding=ROUND_FLOOR)),
        "project_kg": int(project.to_integral_value(rounding=ROUND_CEILING)),
        "leakage_kg": int(leakage.to_integral_value(rounding=ROUND_CEILING)),
    }
    computed["net_kg"] = computed["baseline_kg"] - computed["project_kg"] - computed["leakage_kg"]
    problems: list[ProposalProblem] = []
    if computed["net_kg"] <= 0:
        problems.append(
            ProposalProblem(
                "no_reduction",
                f"the worked example gives no reduction: baseline {computed['baseline_kg']} kg"
                f" - project {computed['project_kg']} kg - leakage {computed['leakage_kg']} kg"
                f" = {computed['net_kg']} kg CO2e",
                "worked_example",
            )
        )
    for key, value in computed.items():
        expected = getattr(example, key)
        if expected != value:
            problems.append(
                ProposalProblem(
                    "example_not_reproduced",
                    f"the worked example states {expected} kg but the formula gives {value} kg",
                    f"worked_example.{key}",
                )
            )
    return problems


def check_spec(spec: MethodologySpec) -> list[ProposalProblem]:
    """Every problem of a parsed spec; empty when it can be built into a methodology."""
    engine, problems = _compile_spec(spec)
    if engine is not None:
        problems.extend(_example_problems(engine))
    return problems


# --------------------------------------------------------------------------------------------
# Hash and the Methodology
# --------------------------------------------------------------------------------------------


def canonical_json(spec: MethodologySpec) -> bytes:
    """The spec as JSON with sorted keys and no whitespace, UTF-8; defaults are written out."""
    return json.dumps(
        spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def spec_content_hash(spec: MethodologySpec) -> bytes:
    """keccak-256 over the tag ``HASH_TAG`` and ``canonical_json(spec)``, each preceded by its
    length as an 8-byte big-endian integer."""
    parts = (HASH_TAG, canonical_json(spec))
    return bytes(keccak(b"".join(len(p).to_bytes(8, "big") + p for p in parts)))


class DeclarativeMethodology(Methodology, abstract=True):
    """A methodology built from a ``MethodologySpec``; ``DeclarativeMethodology(spec)`` checks the
    spec (``InvalidMethodologySpec`` listing every problem) and returns an instance of a class
    made for it, whose class attributes (``code``, ``version``, ``Input``, ...) are the spec's,
    exactly like a coded methodology's."""

    spec: ClassVar[MethodologySpec]
    _engine: ClassVar[_Engine]

    def __new__(cls, spec: MethodologySpec) -> DeclarativeMethodology:
        if not isinstance(spec, MethodologySpec):
            raise TypeError(f"expected a MethodologySpec, got {type(spec).__name__}")
        engine, problems = _compile_spec(spec)
        if engine is not None:
            problems.extend(_example_problems(engine))
        if engine is None or problems:
            raise InvalidMethodologySpec(problems)
        namespace: dict[str, Any] = {
            "__module__": __name__,
            "__doc__": spec.title,
            "code": spec.code,
            "version": spec.version,
            "title": spec.title,
            "title_zh": spec.title_zh,
            "category": spec.category,
            "requirements": tuple(spec.requirements),
            "Input": engine.input_model,
            "spec": spec,
            "_engine": engine,
        }
        name = re.sub(r"[^A-Za-z0-9]", "_", f"Declarative_{spec.code}_v{spec.version}")
        made = cast(type[DeclarativeMethodology], type(name, (DeclarativeMethodology,), namespace))
        return object.__new__(made)

    def __init__(self, spec: MethodologySpec) -> None:  # the spec was consumed by __new__
        self.factors = FactorSet(
            version=f"{self.code}/{self.version} (declarative)",
            factors=MappingProxyType(
                {
                    f.key: EmissionFactor(f.key, Decimal(f.value), f.unit, f.source, f.note)
                    for f in self.spec.factors
                }
            ),
        )

    @classmethod
    def from_document(cls, raw: Mapping[str, Any]) -> DeclarativeMethodology:
        """Parses and checks a JSON document; ``InvalidMethodologySpec`` lists every problem."""
        problems = problems_of(raw)
        if problems:
            raise InvalidMethodologySpec(problems)
        return cls(parse_spec(raw))

    def quantify(self, data: MonitoringInput, period: MonitoringPeriod) -> Quantification:
        return self._engine.quantify(self._data(data), period)

    def content_hash(self) -> bytes:
        return spec_content_hash(self.spec)

    def describe(self) -> dict[str, Any]:
        description = super().describe()
        description["declarative"] = True
        description["spec"] = self.spec.model_dump(mode="json")
        return description
