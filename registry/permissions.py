"""Besu account permissioning: only the registry's participants may send transactions.

The accounts allowed to send are the operator's (whatever its standing: it sends the
registrations that make the others active) and those of every participant whose standing on
chain is ``active`` — a registry-created keystore account or a self-custody address alike. A
participant still ``pending``, ``failed`` or ``suspended`` is not allowed.

Besu reads them from its permissions configuration file (``accounts-allowlist``; the same file
holds the ``nodes-allowlist``, which the registry keeps as it finds it). :func:`write_allowlist`
rewrites that file atomically; :class:`PermissionsKeeper` (a thread of the service when
``TANHUI_BESU_PERMISSIONS_FILE`` is set) rewrites it whenever the allowed set changes — the
indexer moves a participant to ``active`` or ``suspended`` as the chain says — and asks each
validator of ``TANHUI_BESU_PERMISSIONS_RPC_URLS`` to reload it (``perm_reloadPermissionsFromFile``),
asking again at each check a validator that did not answer.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chain.besu import permissions_toml
from registry.db import Database
from registry.models import Participant
from registry.settings import Settings
from registry.states import Custody, Standing

log = logging.getLogger("tanhui.permissions")

RELOAD_METHOD = "perm_reloadPermissionsFromFile"


class PermissionsFileError(ValueError):
    """The permissions file cannot be read (the message says why)."""


def allowed_accounts(session: Session, extra: Iterable[str] = ()) -> list[str]:
    """The accounts that may send transactions, lower-case and sorted: the operator's (the
    participant the registry keeps for it, and `extra`) and every active participant's."""
    query = select(Participant.address).where(
        or_(Participant.chain_status == Standing.ACTIVE, Participant.custody == Custody.OPERATOR)
    )
    accounts = {a.lower() for a in session.execute(query).scalars()}
    accounts.update(a.lower() for a in extra)
    return sorted(accounts)


def read_permissions(path: Path) -> tuple[list[str], list[str] | None]:
    """The accounts-allowlist and the nodes-allowlist (None when the file has none) of a
    permissions file; ([], None) when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], None
    except OSError as e:
        raise PermissionsFileError(f"cannot read {path}: {e.strerror}") from e
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PermissionsFileError(f"{path} is not a TOML file: {e}") from e
    accounts, nodes = config.get("accounts-allowlist", []), config.get("nodes-allowlist")
    if not _strings(accounts) or (nodes is not None and not _strings(nodes)):
        raise PermissionsFileError(f"{path}: the allowlists must be lists of strings")
    return [a.lower() for a in accounts], nodes


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def write_allowlist(path: Path, accounts: Sequence[str]) -> None:
    """Writes `accounts` as the accounts-allowlist of `path`, keeping its nodes-allowlist:
    atomically (a temporary file beside it, renamed over it), so Besu never reads half a file."""
    _, nodes = read_permissions(path)
    text = permissions_toml(accounts, nodes)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)  # Besu runs as another user: it must read it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def reload_permissions(url: str, *, timeout: float = 5.0, level: int = logging.WARNING) -> bool:
    """Asks the validator at `url` to reload its permissions file; whether it did (a failure is
    logged at `level`)."""
    body = {"jsonrpc": "2.0", "method": RELOAD_METHOD, "params": [], "id": 1}
    try:
        response = httpx.post(url, json=body, timeout=timeout)
        answer = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as e:
        log.log(level, "besu permissions: %s did not reload (%s)", url, e)
        return False
    if not isinstance(answer, dict) or "error" in answer or "result" not in answer:
        log.log(level, "besu permissions: %s refused to reload: %s", url, response.text[:300])
        return False
    return True


class PermissionsKeeper:
    """Keeps Besu's accounts-allowlist equal to :func:`allowed_accounts`: each check is one
    query and a read of the (small) file, so a hand edit of the accounts is undone too."""

    def __init__(
        self,
        db: Database,
        path: Path,
        *,
        operator: str,
        rpc_urls: Sequence[str] = (),
        poll_interval: float = 1.0,
        timeout: float = 5.0,
    ) -> None:
        self.db = db
        self.path = path
        self.operator = operator
        self.rpc_urls = list(rpc_urls)
        self.poll_interval = poll_interval
        self.timeout = timeout
        self._unreloaded: list[str] = []  # validators that have not reloaded the newest file
        self._failing: set[str] = set()  # validators whose last reload failed (logged once)

    def check(self) -> bool:
        """Rewrites the file if the allowed accounts differ from its own (then asks the
        validators to reload it) and asks again the validators that did not reload last time;
        whether it rewrote."""
        with self.db.reading() as session:
            allowed = allowed_accounts(session, [self.operator])
        changed = allowed != read_permissions(self.path)[0]
        if changed:
            write_allowlist(self.path, allowed)
            self._unreloaded = list(self.rpc_urls)
            log.info("besu permissions: %d accounts allowed, written to %s", len(allowed), self.path)
        if self._unreloaded:
            self._unreloaded = [url for url in self._unreloaded if not self.reload(url)]
        return changed

    def reload(self, url: str) -> bool:
        """Asks one validator to reload; a validator that keeps failing is logged as a warning
        once, then (every second) at debug level, and its recovery is logged."""
        level = logging.DEBUG if url in self._failing else logging.WARNING
        if reload_permissions(url, timeout=self.timeout, level=level):
            if url in self._failing:
                self._failing.discard(url)
                log.info("besu permissions: %s reloaded", url)
            return True
        self._failing.add(url)
        return False

    def run(self, stop: threading.Event) -> None:
        """Checks every `poll_interval` seconds until `stop` is set; an error is logged and the
        next check tries again."""
        failing: str | None = None
        while not stop.is_set():
            try:
                self.check()
            except Exception as err:
                # Once with its traceback, then quietly while it fails the same way (a broken
                # file fails every second until someone mends it).
                if repr(err) != failing:
                    log.exception(
                        "besu permissions: the check failed (retried every %s s)", self.poll_interval
                    )
                else:
                    log.debug("besu permissions: the check still fails: %s", err)
                failing = repr(err)
            else:
                if failing is not None:
                    log.info("besu permissions: the check works again")
                failing = None
            stop.wait(self.poll_interval)


def permissions_keeper(settings: Settings, db: Database, operator: str) -> PermissionsKeeper | None:
    """The service's keeper, when ``TANHUI_BESU_PERMISSIONS_FILE`` is set."""
    if settings.besu_permissions_file is None:
        return None
    return PermissionsKeeper(
        db, settings.besu_permissions_file, operator=operator, rpc_urls=settings.permissions_rpc_urls()
    )
