"""What the command groups share: settings from options, error exits, JSON output, the common
options, and opening the chain and the registry runtime."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from chain import localnode
from chain.errors import ChainError
from registry.settings import Settings, SettingsError

if TYPE_CHECKING:
    from chain.client import ChainClient
    from registry.runtime import Runtime

# Into a file or a pipe, tables get one line per row (hashes and addresses stay whole); on a
# terminal, its width.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", metavar="DIR", help="Where state lives [env TANHUI_DATA_DIR; default ./.tanhui]"
    ),
]
RpcUrl = Annotated[
    str | None, typer.Option("--rpc-url", metavar="URL", help="A JSON-RPC node [env TANHUI_RPC_URL]")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy URL [env TANHUI_DATABASE_URL; default SQLite in the data dir]",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object")]

# Plurals that are not the singular plus "s".
_SINGULAR = {"batches": "batch", "differences": "difference", "anomalies": "anomaly"}


def new_typer(**kwargs: Any) -> typer.Typer:
    """A Typer app whose help shows text as written: no Rich markup, which would swallow the
    bracketed hints such as ``[env TANHUI_DATA_DIR; default ./.tanhui]``."""
    return typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None, **kwargs)


def settings_from(**overrides: Any) -> Settings:
    """The settings from the environment, overridden by the options that were given."""
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in e.errors()
        )
        fail(f"invalid settings: {problems}")
    except ValueError as e:
        fail(f"invalid settings: {e}")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` on stderr, on one line as given, and exit with `code`."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def say(line: str) -> None:
    """Print a line on stdout as given (no markup, no wrapping)."""
    out.print(line, markup=False, soft_wrap=True)


def note(line: str) -> None:
    """Print a line on stderr as given: news that is not the command's output."""
    err.print(line, markup=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def count(n: int, noun: str) -> str:
    """``1 batch``, ``2 batches``: `noun` is the plural."""
    if n != 1:
        return f"{n} {noun}"
    return f"{n} {_SINGULAR.get(noun, noun.removesuffix('s'))}"


def connect_chain(settings: Settings) -> ChainClient:
    """The chain client for the settings: the RPC URL given, else the local chain of the data
    directory (started if it is not running). Exits with the chain layer's message when the
    chain cannot be reached."""
    from chain.client import ChainClient

    try:
        url = settings.rpc_url
        if url is None:
            url = localnode.start(settings.data_dir).url
        return ChainClient.connect(url, confirmations=settings.confirmations)
    except ChainError as e:
        fail(str(e))


def open_runtime(settings: Settings, **kwargs: Any) -> Runtime:
    """The registry runtime (``Runtime.open(settings, client, **kwargs)``); exits with the
    message of whatever refuses it (chain, settings, database binding)."""
    from registry.errors import RegistryError
    from registry.runtime import Runtime

    client = connect_chain(settings)
    try:
        return Runtime.open(settings, client, **kwargs)
    except (ChainError, SettingsError, RegistryError) as e:
        fail(str(e))


class Terminated(BaseException):
    """SIGTERM, raised in the main thread by :func:`unwinding_on_sigterm` (a BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` swallows it)."""


@contextmanager
def unwinding_on_sigterm() -> Iterator[None]:
    """Runs the block so that SIGTERM unwinds it (its ``finally`` blocks run: the local chain is
    stopped, the database closed) before the process dies of the signal, as it would have.

    Without this, SIGTERM kills Python at once; and uvicorn, which handles SIGTERM itself
    (a graceful shutdown), re-raises it when it returns, to the handler it found: the default,
    which kills the process before the caller's ``finally`` runs. A second SIGTERM while
    unwinding is ignored (SIGKILL is the way to hurry it).
    """
    received = False

    def on_sigterm(signum: int, frame: object) -> None:
        nonlocal received
        if not received:
            received = True
            raise Terminated

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    except Terminated:
        pass
    finally:
        restored = signal.SIG_DFL if received or previous is None else previous
        signal.signal(signal.SIGTERM, restored)
    if received:
        sys.stdout.flush()
        sys.stderr.flush()
        signal.raise_signal(signal.SIGTERM)


@contextmanager
def local_chain_held(settings: Settings, command: str, tell: Callable[[str], None] = note) -> Iterator[bool]:
    """Runs `command` (e.g. ``"tanhui serve"``) on the data directory's local chain when no RPC URL
    is given. A chain that is not running is started and held: stopped (its state saved) when
    the block ends, however it ends. A chain held by a process that ended without stopping it
    (``kill -9``) is adopted, `tell` says so, and held likewise. A chain started by
    ``tanhui chain up``, or held by another running process, is used and left running. Yields
    whether this process holds the chain (and so stops it)."""
    if settings.rpc_url is not None:
        yield False
        return
    me = os.getpid()
    held = False
    try:
        try:
            running = localnode.status(settings.data_dir)
            if running is None:
                localnode.start(settings.data_dir, started_by=command, owner=me)
                held = True
            elif localnode.orphaned(running):
                held = localnode.hand_over(settings.data_dir, me) is not None
                tell(
                    f"adopting the local chain at {running.url} (anvil pid {running.pid}) left running by "
                    f"`{running.started_by}` (pid {running.owner_pid}, which has ended); "
                    f"it stops when this {command} does"
                )
        except ChainError as e:
            fail(str(e))
        yield held
    finally:
        if held:
            localnode.release(settings.data_dir, me)
