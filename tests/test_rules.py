"""The management rules (docs/rules/*.md) point at the code, contract functions and tests that
enforce them; this test fails when a pointer goes stale.

The convention (docs/rules/README.md, "How to read the links"):

- A *reference* is an inline code span holding a repository path from the root, optionally
  followed by ``::`` and a symbol: `registry/projects.py::submit`,
  `contracts/src/TanhuiCredits.sol::withdrawReport`, `registry/states.py::ProjectStatus.SUBMITTED`.
  A code span counts as a reference when it is a path ending in a known extension.
- The file must exist. The symbol must be defined in it: in Python a module-level function,
  class or assigned name, or ``Class.member`` (a method, nested class or class attribute);
  in Solidity a ``function``, ``modifier``, ``event``, ``error``, ``contract``, ``interface``,
  ``library``, ``struct`` or ``enum`` of that name, or a ``constant``. Symbols are allowed only
  in ``.py`` and ``.sol`` files.
- A Markdown link to a relative target (``[text](../../registry/projects.py)``) must name an
  existing file; line anchors (``#L12``) are refused, because they go stale silently.
- Every numbered rule (a list item starting with ``**P-1.2**``) holds at least one reference,
  and rule numbers are unique.

It reads files only: no chain, no database, no import of the project.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "docs" / "rules"
DOCS = sorted(RULES_DIR.glob("*.md"))

EXTENSIONS = ("py", "sol", "md", "json", "toml", "txt", "sh")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REFERENCE = re.compile(
    r"^(?P<path>[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*\.(?:" + "|".join(EXTENSIONS) + r"))"
    r"(?:::(?P<symbol>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?))?$"
)
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
RULE = re.compile(r"^\s*[-*]\s+\*\*(?P<id>[A-Z]+-\d+(?:\.\d+)+)\*\*")
SOLIDITY_DEFINITION = re.compile(
    r"\b(?:function|modifier|event|error|contract|interface|library|struct|enum)\s+([A-Za-z_]\w*)"
    r"|\bconstant\s+([A-Za-z_]\w*)"
)


@dataclass(frozen=True)
class Reference:
    doc: str
    line: int
    path: str
    symbol: str | None

    def __str__(self) -> str:
        where = f"{self.path}::{self.symbol}" if self.symbol else self.path
        return f"{self.doc}:{self.line}: {where}"


def _lines(doc: Path) -> list[str]:
    return doc.read_text(encoding="utf-8").splitlines()


def references(doc: Path) -> list[Reference]:
    found = []
    for number, line in enumerate(_lines(doc), start=1):
        for span in CODE_SPAN.findall(line):
            match = REFERENCE.match(span.strip())
            if match:
                found.append(Reference(doc.name, number, match["path"], match["symbol"]))
    return found


def links(doc: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(_lines(doc), start=1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.\-]*:", target) or target.startswith("#"):
                continue  # an URL, or an anchor in the same document
            found.append((number, target))
    return found


def _python_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()

    def targets(node: ast.stmt) -> list[str]:
        if isinstance(node, ast.Assign):
            return [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            return [node.target.id]
        return []

    for node in tree.body:
        names.update(targets(node))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(f"{node.name}.{member.name}")
                for name in targets(member):
                    names.add(f"{node.name}.{name}")
    return names


@cache
def symbols(path: str) -> frozenset[str]:
    file = ROOT / path
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".py":
        return frozenset(_python_names(ast.parse(text, filename=str(file))))
    if file.suffix == ".sol":
        return frozenset(a or b for a, b in SOLIDITY_DEFINITION.findall(text))
    return frozenset()


ALL_REFERENCES = [ref for doc in DOCS for ref in references(doc)]
ALL_LINKS = [(doc, number, target) for doc in DOCS for number, target in links(doc)]


def test_rules__documents_exist_and_hold_references() -> None:
    assert (RULES_DIR / "README.md").is_file()
    assert len(DOCS) >= 2
    assert len(ALL_REFERENCES) > 50


@pytest.mark.parametrize("ref", ALL_REFERENCES, ids=str)
def test_reference__file_exists_and_defines_the_symbol(ref: Reference) -> None:
    file = ROOT / ref.path
    assert file.is_file(), f"{ref}: no file {ref.path} in the repository"
    if ref.symbol is None:
        return
    assert file.suffix in (".py", ".sol"), f"{ref}: symbols are checked only in .py and .sol files"
    assert ref.symbol in symbols(ref.path), f"{ref}: {ref.path} defines no {ref.symbol}"


@pytest.mark.parametrize(("doc", "line", "target"), ALL_LINKS, ids=lambda v: str(getattr(v, "name", v)))
def test_link__relative_target_exists(doc: Path, line: int, target: str) -> None:
    path, _, anchor = target.partition("#")
    assert not re.fullmatch(r"L\d+(-L?\d+)?", anchor), f"{doc.name}:{line}: line anchor in {target}"
    assert (doc.parent / path).resolve().exists(), f"{doc.name}:{line}: {target} does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_rules__each_numbered_rule_is_unique_and_cites_a_reference(doc: Path) -> None:
    rules: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _lines(doc):
        match = RULE.match(line)
        if match:
            assert match["id"] not in rules, f"{doc.name}: rule {match['id']} is numbered twice"
            current = rules[match["id"]] = [line]
        elif current is not None and line.strip() and line.startswith((" ", "\t")):
            current.append(line)  # the rule's continuation lines
        else:
            current = None
    for rule_id, text in rules.items():
        spans = CODE_SPAN.findall("\n".join(text))
        assert any(REFERENCE.match(s.strip()) for s in spans), (
            f"{doc.name}: rule {rule_id} cites no reference"
        )


def test_convention__the_parser_reads_references_as_documented() -> None:
    assert REFERENCE.match("registry/projects.py::submit")
    assert REFERENCE.match("registry/states.py::ProjectStatus.SUBMITTED")
    assert REFERENCE.match("contracts/src/TanhuiCredits.sol::withdrawReport")
    assert REFERENCE.match("README.md")
    assert not REFERENCE.match("POST /v1/projects")
    assert not REFERENCE.match("tanhui verify")
    assert "Quantification.conservative" in symbols("registry/methodologies/base.py")
    assert "MAX_REASON_BYTES" in symbols("contracts/src/TanhuiCredits.sol")
