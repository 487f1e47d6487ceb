"""Offline stand-in for the ClinicalTrials.gov API v2: a real loopback HTTP server over a registry of studies.

The server mirrors the behaviour documented in ``ctgov-api.md`` (the 2.0.5 parameters, Essie queries,
paging with opaque tokens and the spurious last token, 400 ``text/plain`` bodies, 301 for aliases,
nginx-style HTML 404s) and CT.gov's per-study history endpoints (:mod:`.history`). ``tracker up --demo``
serves the demo corpus with it. It answers every request honestly: the test rig in ``tests/standin``
extends it with fault injection, a request log and an admin API (:meth:`Handler.reply` and the
``_next_page`` / ``_spurious_last_token`` hooks are what it overrides).
"""

from __future__ import annotations

import base64
import secrets
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl, urlsplit

from tracker.demo.fields import FIELDS
from tracker.demo.history import history_response
from tracker.demo.query import (
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
from tracker.demo.registry import ENCODER, Record, Registry, normalize_nct_id, with_version_holder
from tracker.demo.responses import Response, html_404, json_response, text_response

__all__ = ["API_VERSION", "Handler", "Request", "StandIn"]

API_VERSION: Final = "2.0.5"
# the areas the tracker queries (query.intr, query.cond, query.term, filter.advanced): folded at start,
# so the first search is as fast as the rest
WARM_AREAS: Final = ("InterventionSearch", "ConditionSearch", "BasicSearch")


@dataclass(frozen=True)
class Request:
    """One HTTP request as the stand-in routes it."""

    method: str
    path: str
    query: str  # the raw query string, kept for the Location of a 301
    pairs: Sequence[tuple[str, str]]
    body: bytes = b""


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
        super().__init__(address, standin.handler)

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


class Handler(BaseHTTPRequestHandler):
    """Reads a request, lets :meth:`reply` answer it; every response carries a Content-Length."""

    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "ctgov-standin/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # stderr stays quiet

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        self.reply(Request(method, split.path, split.query, pairs, body))

    def reply(self, request: Request) -> None:
        """Answer one request."""
        self.send(self.server.standin.answer(request))

    def send(self, response: Response) -> None:
        self.send_head(response, len(response.body))
        self.wfile.write(response.body)

    def send_head(self, response: Response, length: int) -> None:
        """Status line and headers of a response whose body is `length` bytes long."""
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()


class StandIn:
    """The offline CT.gov API v2 over a Registry, served on loopback from a daemon thread.

    ``url`` is the API base (``http://127.0.0.1:PORT/api/v2``), ``history_url`` the history endpoints.
    """

    handler: ClassVar[type[Handler]] = Handler

    def __init__(
        self,
        registry: Registry,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token_ttl_s: float = 3600.0,
        max_snapshots: int = 512,
        warm: bool = True,
    ) -> None:
        self.registry = registry
        self.host = host
        self.port = port
        self.warm_on_start = warm
        self._pager = _Pager(token_ttl_s, max_snapshots)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

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

    def open_snapshots(self) -> int:
        """How many first-page result lists are kept for their page tokens."""
        return len(self._pager)

    def answer(self, request: Request) -> Response:
        """The response to one request to the API (/api/v2) or the history endpoints (/api/int)."""
        if request.path.startswith("/api/int/"):
            return history_response(self.registry, request.path[len("/api/int/"):], request.pairs)
        if not request.path.startswith("/api/v2/"):
            return html_404()
        if request.method != "GET":
            return text_response(405, f"Method {request.method} is not allowed")
        rest = request.path[len("/api/v2/") :]
        try:
            if rest == "version":
                check_params(request.pairs, frozenset())
                return json_response({"apiVersion": API_VERSION, "dataTimestamp": self.registry.data_timestamp})
            if rest == "studies":
                return self._studies(request)
            if rest in ("studies/metadata", "studies/search-areas", "studies/enums") or rest.startswith("stats/"):
                return text_response(501, f"/{rest} is not implemented by the offline stand-in")
            if rest.startswith("studies/") and "/" not in rest[len("studies/") :]:
                return self._one_study(rest[len("studies/") :], request.query, request.pairs)
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

    def _studies(self, request: Request) -> Response:
        query = parse_query(request.pairs)
        if query.page_token is not None:
            snap_id, snap, offset = self._pager.lookup(query.page_token)
            if snap.key != query.key:
                raise BadRequest("parameters of a next page request must be the same as of the first page")
            return self._next_page(request, query, snap_id, snap.ids, offset)
        found = matches(self.registry.snapshot(), query)
        if query.sort:
            found = sort_records(found, query.sort)
        ids = [r.nct_id for r in found]
        snap_id = self._pager.create(ids, query.key)
        return self._page(snap_id, ids, 0, query, total=len(ids) if query.count_total else None)

    def _next_page(self, request: Request, query: StudyQuery, snap_id: bytes, ids: list[str], offset: int) -> Response:
        """A page after the first, from the snapshot its token names."""
        return self._page(snap_id, ids, offset, query, total=None)

    def _spurious_last_token(self) -> bool:
        # the real quirk: a last page that is exactly full still carries a token to an empty page
        return True

    def _page(self, snap_id: bytes, ids: list[str], offset: int, query: StudyQuery, total: int | None) -> Response:
        end = min(offset + query.page_size, len(ids))
        # a study removed since the first page is skipped; one updated since is served as it is now
        records = [r for r in (self.registry.record(i) for i in ids[offset:end]) if r is not None]
        more = end < len(ids)
        spurious = not more and end - offset == query.page_size and self._spurious_last_token()
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
