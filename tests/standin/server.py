"""The demo's CT.gov stand-in with what tests need on top: injected faults, a request log and an admin API.

:class:`FaultyStandIn` extends :class:`tracker.demo.standin.StandIn`, which answers honestly, with the
faults a robust client must survive (:mod:`.faults`), the log of every ``/api/v2`` request and the
``/_admin/`` endpoints (:mod:`.admin`) that let a test in another process move the registry.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypedDict, cast

from tests.standin.admin import handle_admin
from tests.standin.bulk import DOWNLOAD_PATH, STATS_SIZE_PATH, ArchiveCache, serve_download, stats_size
from tests.standin.faults import FaultEngine, Faults
from tracker.demo.query import StudyQuery
from tracker.demo.registry import Registry
from tracker.demo.responses import Response, text_response
from tracker.demo.standin import Handler, Request, StandIn

__all__ = ["FaultyStandIn", "RequestLog"]

_FAULT_RESPONSES: Final = {
    "429": (429, "Too Many Requests"),
    "429ra": (429, "Too Many Requests"),
    "500": (500, "Internal Server Error"),
    "503": (503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination"),
}


class RequestLog(TypedDict):
    """One logged /api/v2 request."""

    method: str
    path: str
    params: dict[str, list[str]]
    status: int  # 0 for a reset connection
    ts: float
    fault: str | None


@dataclass(frozen=True)
class _FaultedRequest(Request):
    fault: str | None = None


@dataclass
class _EmptyPage(Response):
    """A later /studies page served empty on purpose, logged as the fault ``empty_page``."""


def _fault_response(fault: str | None, faults: Faults) -> Response | None:
    if fault not in _FAULT_RESPONSES:
        return None
    status, message = _FAULT_RESPONSES[fault]
    response = text_response(status, message)
    if fault == "429ra":
        response.headers.append(("Retry-After", f"{faults.retry_after_seconds:g}"))
    return response


class _FaultyHandler(Handler):
    def reply(self, request: Request) -> None:
        standin = cast(FaultyStandIn, self.server.standin)
        if request.path.startswith("/_admin/"):
            self.send(handle_admin(standin, request.method, request.path, request.pairs, request.body))
            return
        fault = standin._draw_fault() if request.path.startswith("/api/v2/") else None
        # log before answering, so that a client that has its answer always finds it in the log
        if fault == "reset":
            standin._log(request, 0, fault)
            self._reset()
            return
        if request.path == DOWNLOAD_PATH and _fault_response(fault, standin.faults) is None:
            path = standin.archives.path(standin.registry)
            status = serve_download(self, request, path, fault=fault, honour_range=standin.faults.honour_range)
            standin._log(request, status, fault)
            return
        response = _fault_response(fault, standin.faults) or standin.answer(
            _FaultedRequest(request.method, request.path, request.query, request.pairs, request.body, fault)
        )
        # "empty_page" from the script is no fault on a request that cannot have one
        logged = "empty_page" if isinstance(response, _EmptyPage) else None if fault == "empty_page" else fault
        standin._log(request, response.status, logged)
        self._send_faulty(response, fault)

    def _send_faulty(self, response: Response, fault: str | None) -> None:
        body = response.body
        if fault == "truncate_json":
            self.send(Response(response.status, body[: len(body) // 2], response.content_type, response.headers))
        elif fault == "truncate_close" and body:
            self.send_head(response, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.send(response)

    def _reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP RST; rfile holds a socket reference, so close it first
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()
        self.connection.close()


class FaultyStandIn(StandIn):
    """The stand-in with a fault profile, a request log and the admin endpoints.

    ``admin_url`` is the base of the admin endpoints; ``requests`` is the log of /api/v2 requests (the
    newest ``log_limit`` of them).
    """

    handler: ClassVar[type[Handler]] = _FaultyHandler

    def __init__(
        self,
        registry: Registry,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_limit: int = 100_000,
        **options: Any,
    ) -> None:
        super().__init__(registry, host, port, **options)
        self.log_limit = log_limit
        self.requests: list[RequestLog] = []
        self._log_lock = threading.Lock()
        self._faults = faults or Faults()
        self._engine = FaultEngine(self._faults)
        self.archives = ArchiveCache()
        self.stats_size_delta = 0  # added to /stats/size's totalStudies, to fake a registry that moved

    def answer(self, request: Request) -> Response:
        if request.path == STATS_SIZE_PATH and request.method == "GET":
            return stats_size(self.registry, self.stats_size_delta)
        return super().answer(request)

    def stop(self) -> None:
        super().stop()
        self.archives.clear()

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        # a new engine restarts the script and the RNG, so a profile set mid-run replays identically
        self._faults = faults
        self._engine = FaultEngine(faults)

    @property
    def admin_url(self) -> str:
        return f"{self.origin}/_admin"

    def request_log(self) -> list[RequestLog]:
        """A copy of the request log."""
        with self._log_lock:
            return list(self.requests)

    def clear_log(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def _draw_fault(self) -> str | None:
        fault = self._engine.draw()
        if self.faults.delay_s:
            time.sleep(self.faults.delay_s)
        return fault

    def _log(self, request: Request, status: int, fault: str | None) -> None:
        params: dict[str, list[str]] = {}
        for name, value in request.pairs:
            params.setdefault(name, []).append(value)
        entry = RequestLog(method=request.method, path=request.path, params=params, status=status, ts=time.time(),
                           fault=fault)
        with self._log_lock:
            self.requests.append(entry)
            if len(self.requests) > self.log_limit:
                del self.requests[: len(self.requests) - self.log_limit]

    def _next_page(self, request: Request, query: StudyQuery, snap_id: bytes, ids: list[str], offset: int) -> Response:
        fault = request.fault if isinstance(request, _FaultedRequest) else None
        if offset < len(ids) and (fault == "empty_page" or self._engine.empty_page()):
            page = self._page_body([], query, self._pager.token(snap_id, offset), None)
            return _EmptyPage(page.status, page.body, page.content_type, page.headers)
        return super()._next_page(request, query, snap_id, ids, offset)

    def _spurious_last_token(self) -> bool:
        return self.faults.spurious_last_token

