"""Offline stand-in for the ClinicalTrials.gov API v2: a real loopback HTTP server over a fixture registry.

The server mirrors the behaviour documented in ``ctgov-api.md`` (the 2.0.5 parameters, Essie queries,
paging with opaque tokens and the spurious last token, 400 ``text/plain`` bodies, 301 for aliases,
nginx-style HTML 404s) and injects the faults a robust client must survive (:mod:`.faults`).
Run it from the shell::

    python -m tracker.testing.standin --corpus demo --port 8765 --fault-rate 0.1

The first line it prints is the API base URL (``http://127.0.0.1:8765/api/v2``); SIGINT or SIGTERM
stops it with exit status 0.
"""

from __future__ import annotations

import argparse
import base64
import secrets
import signal
import socket
import struct
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Final, TypedDict
from urllib.parse import parse_qsl, urlsplit

from tracker.testing.admin import handle_admin
from tracker.testing.corpus import demo_registry, iter_synthetic_studies, real_studies
from tracker.testing.essie import EssieError
from tracker.testing.faults import FaultEngine, Faults
from tracker.testing.fields import FIELDS
from tracker.testing.history import history_response
from tracker.testing.query import (
    SINGLE_STUDY_PARAMS,
    BadRequest,
    StudyQuery,
    check_params,
    matches,
    parse_fields,
    parse_query,
    project,
    sort_records,
)
from tracker.testing.registry import ENCODER, Record, Registry, normalize_nct_id, with_version_holder
from tracker.testing.responses import Response, html_404, json_response, text_response

__all__ = ["API_VERSION", "EssieError", "Faults", "Registry", "RequestLog", "StandIn", "main", "normalize_nct_id"]

API_VERSION: Final = "2.0.5"
# the areas the tracker queries (query.intr, query.cond, query.term, filter.advanced): folded at start,
# so the first search is as fast as the rest
WARM_AREAS: Final = ("InterventionSearch", "ConditionSearch", "BasicSearch")
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


@dataclass
class _Snapshot:
    ids: list[str]
    key: tuple[tuple[str, str], ...]
    created: float


class _Pager:
    """Keeps the result list of every first-page request so that later pages read a stable snapshot.

    A token is base64url(snapshot id 16 B + offset 4 B + 16 random bytes): 48 characters, as opaque
    as the real ones and never the same twice.
    """

    def __init__(self, ttl_s: float, capacity: int) -> None:
        self.ttl_s = ttl_s
        self.capacity = capacity
        self._snapshots: OrderedDict[bytes, _Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._snapshots)

    def create(self, ids: list[str], key: tuple[tuple[str, str], ...]) -> bytes:
        snap_id = secrets.token_bytes(16)
        with self._lock:
            self._snapshots[snap_id] = _Snapshot(ids, key, time.monotonic())
            while len(self._snapshots) > self.capacity:
                self._snapshots.popitem(last=False)
        return snap_id

    def lookup(self, token: str) -> tuple[bytes, _Snapshot, int]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError as exc:
            raise BadRequest(f"Invalid pageToken: {token}") from exc
        if len(raw) != 36:
            raise BadRequest(f"Invalid pageToken: {token}")
        snap_id, offset = raw[:16], int.from_bytes(raw[16:20], "big")
        with self._lock:
            snap = self._snapshots.get(snap_id)
            if snap is None or time.monotonic() - snap.created > self.ttl_s:
                self._snapshots.pop(snap_id, None)
                raise BadRequest(f"Invalid or expired pageToken: {token}")
            self._snapshots.move_to_end(snap_id)
        if offset > len(snap.ids):
            raise BadRequest(f"Invalid pageToken: {token}")
        return snap_id, snap, offset

    @staticmethod
    def token(snap_id: bytes, offset: int) -> str:
        raw = snap_id + offset.to_bytes(4, "big") + secrets.token_bytes(16)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # keep-alive handler threads may idle in readline(); never join them on close
    block_on_close = False
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], standin: StandIn) -> None:
        self.standin = standin
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that hangs up mid-response (a timeout, a cancelled refresh) is routine, not a bug
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _fault_response(fault: str | None, faults: Faults) -> Response | None:
    if fault not in _FAULT_RESPONSES:
        return None
    status, message = _FAULT_RESPONSES[fault]
    response = text_response(status, message)
    if fault == "429ra":
        response.headers.append(("Retry-After", f"{faults.retry_after_seconds:g}"))
    return response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries a Content-Length
    server_version = "ctgov-standin/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log lives in StandIn.requests; stderr stays quiet

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        standin = self.server.standin
        if split.path.startswith("/_admin/"):
            self._send(handle_admin(standin, method, split.path, pairs, body))
            return
        fault = standin._draw_fault() if split.path.startswith("/api/v2/") else None
        # log before answering, so that a client that has its answer always finds it in the log
        if fault == "reset":
            standin._log(method, split.path, pairs, 0, fault)
            self._reset()
            return
        response = _fault_response(fault, standin.faults) or standin._route(
            method, split.path, split.query, pairs, fault
        )
        # "empty_page" from the script is no fault on a request that cannot have one
        logged = response.fault or (None if fault == "empty_page" else fault)
        standin._log(method, split.path, pairs, response.status, logged)
        self._send(response, fault)

    def _send(self, response: Response, fault: str | None = None) -> None:
        body = response.body
        if fault == "truncate_json":
            body = body[: len(body) // 2]
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if fault == "truncate_close" and body:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    def _reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP RST; rfile holds a socket reference, so close it first
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()
        self.connection.close()


class StandIn:
    """The offline CT.gov API v2 over a Registry, served on loopback from a daemon thread.

    ``url`` is the API base (``http://127.0.0.1:PORT/api/v2``), ``admin_url`` the admin endpoints.
    ``requests`` is the log of /api/v2 requests (the newest ``log_limit`` of them).
    """

    def __init__(
        self,
        registry: Registry,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token_ttl_s: float = 3600.0,
        max_snapshots: int = 512,
        warm: bool = True,
        log_limit: int = 100_000,
    ) -> None:
        self.registry = registry
        self.host = host
        self.port = port
        self.warm_on_start = warm
        self.log_limit = log_limit
        self.requests: list[RequestLog] = []
        self._log_lock = threading.Lock()
        self._pager = _Pager(token_ttl_s, max_snapshots)
        self._faults = faults or Faults()
        self._engine = FaultEngine(self._faults)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        # a new engine restarts the script and the RNG, so a profile set mid-run replays identically
        self._faults = faults
        self._engine = FaultEngine(faults)

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.origin}/api/v2"

    @property
    def history_url(self) -> str:
        """Base of CT.gov's per-study history endpoints (``TRACKER_CTGOV_HISTORY_URL``)."""
        return f"{self.origin}/api/int"

    @property
    def admin_url(self) -> str:
        return f"{self.origin}/_admin"

    def start(self) -> StandIn:
        """Bind, pre-serialize every study (unless warm=False) and serve from a daemon thread."""
        if self._server is not None:
            return self
        if self.warm_on_start:
            self.warm(WARM_AREAS)
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="ctgov-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            open_connections = list(server.connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def warm(self, areas: Iterable[str] = ()) -> None:
        """Serialize every study now (and fold the named search areas) instead of on first request."""
        self.registry.warm(FIELDS[a] for a in areas)

    def request_log(self) -> list[RequestLog]:
        """A copy of the request log."""
        with self._log_lock:
            return list(self.requests)

    def clear_log(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def open_snapshots(self) -> int:
        """How many first-page result lists are kept for their page tokens."""
        return len(self._pager)

    def _draw_fault(self) -> str | None:
        fault = self._engine.draw()
        if self.faults.delay_s:
            time.sleep(self.faults.delay_s)
        return fault

    def _log(self, method: str, path: str, pairs: Sequence[tuple[str, str]], status: int, fault: str | None) -> None:
        params: dict[str, list[str]] = {}
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        entry = RequestLog(method=method, path=path, params=params, status=status, ts=time.time(), fault=fault)
        with self._log_lock:
            self.requests.append(entry)
            if len(self.requests) > self.log_limit:
                del self.requests[: len(self.requests) - self.log_limit]

    # ---- /api/v2

    def _route(
        self, method: str, path: str, query: str, pairs: Sequence[tuple[str, str]], fault: str | None
    ) -> Response:
        if path.startswith("/api/int/"):
            return history_response(self.registry, path[len("/api/int/"):], pairs)
        if not path.startswith("/api/v2/"):
            return html_404()
        if method != "GET":
            return text_response(405, f"Method {method} is not allowed")
        rest = path[len("/api/v2/") :]
        try:
            if rest == "version":
                check_params(pairs, frozenset())
                return json_response({"apiVersion": API_VERSION, "dataTimestamp": self.registry.data_timestamp})
            if rest == "studies":
                return self._studies(pairs, fault)
            if rest in ("studies/metadata", "studies/search-areas", "studies/enums") or rest.startswith("stats/"):
                return text_response(501, f"/{rest} is not implemented by the offline stand-in")
            if rest.startswith("studies/") and "/" not in rest[len("studies/") :]:
                return self._one_study(rest[len("studies/") :], query, pairs)
        except BadRequest as exc:
            return text_response(400, str(exc))
        return html_404()

    def _one_study(self, raw_id: str, query: str, pairs: Sequence[tuple[str, str]]) -> Response:
        params = check_params(pairs, SINGLE_STUDY_PARAMS)
        try:
            nct_id = normalize_nct_id(raw_id)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        projection = parse_fields(params.get("fields", ""))
        record = self.registry.record(nct_id)
        if record is None:
            current = self.registry.resolve(nct_id)
            if current is None:
                return text_response(404, f"NCT number {nct_id} not found")
            location = f"/api/v2/studies/{current}" + (f"?{query}" if query else "")
            return Response(301, b"", "text/plain", [("Location", location)])
        return Response(200, self._study_bytes(record, projection))

    def _study_bytes(self, record: Record, projection: dict[str, Any] | None) -> bytes:
        holder = self.registry.data_date
        if projection is None:
            head, tail = record.parts()
            return head + b'"' + holder.encode() + b'"' + tail
        projected = project(with_version_holder(record.study, holder), projection)
        return ENCODER.encode(projected or {})

    def _studies(self, pairs: Sequence[tuple[str, str]], fault: str | None) -> Response:
        query = parse_query(pairs)
        if query.page_token is not None:
            snap_id, snap, offset = self._pager.lookup(query.page_token)
            if snap.key != query.key:
                raise BadRequest("parameters of a next page request must be the same as of the first page")
            if offset < len(snap.ids) and (fault == "empty_page" or self._engine.empty_page()):
                response = self._page_body([], query, self._pager.token(snap_id, offset), None)
                response.fault = "empty_page"
                return response
            return self._page(snap_id, snap.ids, offset, query, total=None)
        found = matches(self.registry.snapshot(), query)
        if query.sort:
            found = sort_records(found, query.sort)
        ids = [r.nct_id for r in found]
        snap_id = self._pager.create(ids, query.key)
        return self._page(snap_id, ids, 0, query, total=len(ids) if query.count_total else None)

    def _page(self, snap_id: bytes, ids: list[str], offset: int, query: StudyQuery, total: int | None) -> Response:
        end = min(offset + query.page_size, len(ids))
        # a study removed since the first page is skipped; one updated since is served as it is now
        records = [r for r in (self.registry.record(i) for i in ids[offset:end]) if r is not None]
        more = end < len(ids)
        # real quirk: a last page that is exactly full still carries a token to an empty page
        spurious = not more and end - offset == query.page_size and self.faults.spurious_last_token
        token = self._pager.token(snap_id, end) if more or spurious else None
        return self._page_body(records, query, token, total)

    def _page_body(self, records: list[Record], query: StudyQuery, token: str | None, total: int | None) -> Response:
        chunks: list[bytes] = [b"{"]
        if total is not None:
            chunks.append(b'"totalCount":%d,' % total)
        chunks.append(b'"studies":[')
        holder = b'"' + self.registry.data_date.encode() + b'"'
        for i, record in enumerate(records):
            if i:
                chunks.append(b",")
            if query.projection is None:
                head, tail = record.parts()
                chunks += (head, holder, tail)
            else:
                chunks.append(self._study_bytes(record, query.projection))
        chunks.append(b"]")
        if token is not None:
            chunks.append(b',"nextPageToken":"' + token.encode() + b'"')
        chunks.append(b"}")
        return Response(200, b"".join(chunks))


# --------------------------------------------------------------------------------------------------
# command line

def registry_for(corpus: str, seed: int = 0) -> Registry:
    """The registry of a --corpus value: real, demo or synthetic:N."""
    if corpus == "real":
        return Registry(real_studies())
    if corpus == "demo":
        return demo_registry()
    count = corpus.removeprefix("synthetic:")
    if corpus.startswith("synthetic:") and count.isdigit():
        return Registry(iter_synthetic_studies(int(count), seed=seed))
    raise ValueError(f"--corpus must be real, demo or synthetic:N, not {corpus!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a corpus until SIGINT/SIGTERM; print the base URL on one line first."""
    parser = argparse.ArgumentParser(prog="python -m tracker.testing.standin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="demo", help="real | demo | synthetic:N (default demo)")
    parser.add_argument("--seed", type=int, default=0, help="seed of synthetic corpora and random faults")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="mixed fault probability per request")
    parser.add_argument("--empty-page-rate", type=float, default=0.0, help="empty middle pages, per later page")
    args = parser.parse_args(argv)
    try:
        registry = registry_for(args.corpus, args.seed)
        faults = replace(Faults.mixed(args.fault_rate, seed=args.seed), p_empty_middle_page=args.empty_page_rate)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with StandIn(registry, faults, host=args.host, port=args.port) as standin:
        print(standin.url, flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
