"""JSON-RPC over kept-alive HTTP connections, one per thread, for web3's HTTPProvider.

web3 posts each request through `requests`, whose per-request work (sessions, adapters, header
parsing) costs about 0.5 ms more than the request itself on a local node: a registry operation
makes several calls (send, receipt, logs), and the service is CPU-bound. :class:`KeepAlive`
takes the place of the provider's session manager (``make_post_request``), so web3's encoding,
retries, caching and errors are unchanged; only the HTTP exchange is plain ``http.client``.

Failures are raised as `requests` would raise them (ConnectionError, ReadTimeout, HTTPError),
so web3's retry rules and the chain layer's one translation of transport errors
(``chain.client._reaching``) see what they always saw. A kept-alive connection that the node
has closed while it was idle is replaced before a request is sent on it; a request once sent
is never sent again here. Used for plain ``http://`` URLs without credentials or a proxy;
other URLs keep `requests` (certificates, proxies, authentication).
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import requests


def applies(url: str) -> bool:
    """Whether :class:`KeepAlive` serves `url`: plain HTTP, no credentials, no proxy for it in
    the environment (``HTTP_PROXY``, ``NO_PROXY``)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None or parts.username is not None:
        return False
    return not requests.utils.get_environ_proxies(url)


class KeepAlive:
    """Posts JSON-RPC bodies to one endpoint over a kept-alive connection per thread."""

    def __init__(self, url: str, *, timeout: float) -> None:
        if not applies(url):
            raise ValueError(f"not a plain http:// URL without credentials: {url}")
        parts = urlsplit(url)
        self._host = parts.hostname or ""
        self._port = parts.port or 80
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._local = threading.local()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None or connection.timeout != timeout:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
            self._local.connection = connection
        return connection

    def make_post_request(self, endpoint_uri: Any, data: bytes, **kwargs: Any) -> bytes:
        """The body of the node's answer to `data` (web3's session manager's signature)."""
        timeout = float(kwargs.get("timeout") or self._timeout)
        headers = dict(kwargs.get("headers") or {"Content-Type": "application/json"})
        connection = self._connection(timeout)
        if connection.sock is not None and _readable(connection.sock):
            # Idle, yet readable: the node closed it (or sent something unasked, e.g. a 408),
            # so it cannot carry a request. Checked before sending, as urllib3 does: a request
            # once sent is never sent again here (it may have been taken).
            connection.close()
        try:
            connection.request("POST", self._path, body=data, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except TimeoutError as err:
            connection.close()
            raise requests.exceptions.ReadTimeout(str(err) or "timed out") from err
        except (OSError, http.client.HTTPException) as err:
            connection.close()
            raise requests.exceptions.ConnectionError(str(err) or type(err).__name__) from err
        except BaseException:  # e.g. KeyboardInterrupt mid-answer: the connection is unusable
            connection.close()
            raise
        if response.will_close:
            connection.close()
        if response.status >= 400:
            answer = requests.Response()
            answer.status_code, answer.reason, answer._content = response.status, response.reason, body
            raise requests.exceptions.HTTPError(
                f"{response.status} {response.reason} for {endpoint_uri}", response=answer
            )
        return body


def _readable(sock: socket.socket) -> bool:
    """Whether a socket has something to read (or its end is closed) right now. poll, where
    there is one: select refuses descriptors above 1023."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed under us
        return True
    return bool(readable)
