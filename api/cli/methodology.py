"""``tanhui methodology check FILE``: what the registry would say of a declarative methodology
(R3), offline — every problem with its stable code, or the content hash that would go on chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import fail, new_typer, say
from registry.methodologies import declarative

methodology_app = new_typer(help="Declarative methodologies: check one before proposing it.")


@methodology_app.command("check")
def check(
    path: Annotated[Path, typer.Argument(metavar="FILE", help='The spec (JSON), or {"spec": ...}')],
) -> None:
    """Check a declarative methodology as the registry will when it is proposed: the shape, the
    formulas (parsed, never run as code), every factor's source, and that the worked example
    reproduces its figures. Exits 1 listing every problem, 0 with the content hash."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", code=2)
    except ValueError as e:
        fail(f"{path} is not JSON: {e}", code=2)
    if isinstance(document, dict) and set(document) == {"spec"}:
        document = document["spec"]
    problems = declarative.problems_of(document)
    if problems:
        lines = [f"{p.code} at {p.where or '<spec>'}: {p.message}" for p in problems]
        fail(f"{path}: {len(problems)} problem(s)\n  " + "\n  ".join(lines))
    spec = declarative.parse_spec(document)
    say(f"{spec.code} v{spec.version}: acceptable")
    say(f"content hash: 0x{declarative.spec_content_hash(spec).hex()}")
