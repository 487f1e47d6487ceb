"""CT.gov API v2 client: the only module that talks HTTP (httpx), with throttle, retries and paging."""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import stamina

from tracker import __version__
from tracker.config import Settings
from tracker.ctgov.bodies import (
    MAX_PAGES,
    PAGE_SIZE,
    ApiVersion,
    HistoryEntry,
    Page,
    decode_history_index,
    decode_history_version,
    decode_page,
    decode_stats_size,
    decode_version,
    study_keys,
)
from tracker.errors import Cancelled, ConfigError, CtGovBadRequest, CtGovError, CtGovUnavailable

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 120.0
CONNECT_ATTEMPTS = 3  # a refused connection or failed DNS lookup rarely heals within one run
USER_AGENT = (
    f"nk-landscape-tracker/{__version__} (open-source NK-cell immunotherapy trial landscape tracker; "
    "python-httpx)"
)


class _Transient(Exception):
    """A response worth retrying; carries the server's Retry-After in seconds when it sent one."""

    def __init__(self, message: str, url: str, status_code: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass
class Throttle:
    """Space request starts at least 60/max_rpm seconds apart; 0 requests per minute turns it off."""

    max_rpm: float
    cancel: threading.Event | None = None
    _next_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> None:
        if self.max_rpm <= 0:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next_at - now
            self._next_at = max(now, self._next_at) + 60.0 / self.max_rpm
        if delay > 0:
            if self.cancel is not None:
                self.cancel.wait(delay)
            else:
                time.sleep(delay)


class _Deadline:
    """Ends an HTTP exchange that outlives its deadline by shutting its socket down.

    httpx times each read, not the whole request: a server that sends a byte every few seconds would
    hold a request open for ever. The socket is learnt from httpcore's connect trace; the client keeps
    a single connection, so the last one connected is the one in use.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._armed = False
        self.expired = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete" and info.get("return_value") is not None:
            with self._lock:
                self._socket = info["return_value"].get_extra_info("socket")

    @contextmanager
    def armed(self, seconds: float) -> Iterator[None]:
        with self._lock:
            self._armed, self.expired = True, False
        timer = threading.Timer(seconds, self._expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self._lock:
                self._armed = False

    def _expire(self) -> None:
        with self._lock:
            if not self._armed or self._socket is None:
                return
            self.expired = True
            try:
                # wakes the blocked read at once (close() alone would not); httpx then sees a dropped connection
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


class CtGov:
    """A CT.gov API v2 session: one httpx client, one throttle, a count of requests sent."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.settings = settings
        self.base_url = settings.ctgov_url.rstrip("/")
        self.history_url = settings.ctgov_history_url.rstrip("/")
        self.cancel = cancel
        self.throttle = Throttle(settings.max_rpm, cancel)
        self.requests = 0
        self._deadline = _Deadline()
        try:
            self._client = httpx.Client(
                base_url=self.base_url,
                transport=transport,
                timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 15.0)),
                # one connection, so that the deadline knows which socket to end
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                follow_redirects=True,
            )
        except httpx.InvalidURL as exc:
            raise ConfigError("TRACKER_CTGOV_URL", f"is not a usable URL ({exc}): {self.base_url!r}") from None

    def __enter__(self) -> CtGov:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch_version(self, *, attempts: int | None = None) -> ApiVersion:
        """GET /version: the API version and the timestamp of CT.gov's last data refresh."""
        body = self._get("/version", {}, decode=decode_version, attempts=attempts)
        return ApiVersion(api_version=body.apiVersion, data_timestamp=body.dataTimestamp)

    def fetch_total_studies(self) -> int:
        """GET /stats/size: how many studies the whole registry holds (`totalStudies`)."""
        body = self._get("/stats/size", {}, decode=decode_stats_size)
        return int(body.totalStudies)

    @contextmanager
    def stream(self, path: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Iterator[httpx.Response]:
        """One throttled GET whose body the caller reads as it comes (the bulk archive: gigabytes, minutes).

        Only each read is timed (TRACKER_TIMEOUT), not the whole exchange, which may rightly take minutes.
        """
        self.throttle.wait()
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("scan cancelled by shutdown; nothing it fetched was kept")
        self.requests += 1
        with self._client.stream("GET", path, params=params, headers=dict(headers)) as response:
            yield response

    def fetch_history_index(self, nct_id: str) -> list[HistoryEntry]:
        """GET {history}/studies/{NCT}/history: the versions CT.gov keeps of a study, oldest first.

        The endpoint is the website's own and undocumented: an answer of another shape is a CtGovError.
        """
        url = f"{self.history_url}/studies/{nct_id}/history"
        body = self._get(url, {}, decode=decode_history_index, attempts=None)
        entries = [HistoryEntry(c.version, c.date, c.status) for c in body.changes]
        if [e.version for e in entries] != list(range(len(entries))):
            raise CtGovError(f"{nct_id}: the history index does not number its versions 0..n-1", url=url)
        return entries

    def fetch_history_version(self, nct_id: str, version: int) -> bytes:
        """GET {history}/studies/{NCT}/history/{v}: the study's JSON as it stood at version v."""
        url = f"{self.history_url}/studies/{nct_id}/history/{version}"
        body = self._get(url, {}, decode=decode_history_version, attempts=None)
        raw = bytes(body.study)
        keys = study_keys(raw)
        if body.studyVersion != version or keys.nct_id != nct_id:
            raise CtGovError(f"{nct_id}: history version {version} came back as {keys.nct_id} "
                             f"version {body.studyVersion}", url=url)
        return raw

    def iter_pages(self, params: Mapping[str, str]) -> Iterator[Page]:
        """Yield every page of `/studies` for params, following nextPageToken until it is absent.

        Every request carries byte-identical parameters apart from pageToken, as the API requires.
        """
        base = {**params, "pageSize": str(PAGE_SIZE), "countTotal": "true"}
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page_params = base if token is None else {**base, "pageToken": token}
            page = self._get("/studies", page_params, decode=decode_page)
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                raise CtGovError(
                    f"CT.gov sent the page token {token[:24]!r} twice; stopping to avoid a loop",
                    url=page.url,
                )
            seen.add(token)
        raise CtGovError(f"more than {MAX_PAGES} pages for one query; stopping", url=self.base_url)

    def _get(self, path: str, params: Mapping[str, str], *, decode: Any, attempts: int | None = None) -> Any:
        url = str(self._client.build_request("GET", path, params=params).url)
        connect_failures = 0

        def backoff(exc: Exception) -> bool | float:
            nonlocal connect_failures
            if self.cancel is not None and self.cancel.is_set():
                return False
            if isinstance(exc, httpx.ConnectError):
                connect_failures += 1
                return connect_failures < CONNECT_ATTEMPTS
            if isinstance(exc, _Transient):
                if exc.retry_after is not None:
                    return min(exc.retry_after, MAX_RETRY_WAIT)
                return True
            return isinstance(exc, httpx.TransportError)

        retrying = stamina.retry_context(
            on=backoff,
            attempts=attempts or self.settings.retries,
            timeout=None,
            wait_initial=self.settings.backoff,
            wait_max=MAX_RETRY_WAIT,
            wait_jitter=self.settings.backoff,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(path, params, url, decode)
        except _Transient as exc:
            raise CtGovUnavailable(
                f"CT.gov kept failing after {attempt.num} attempts: {exc} ({url})",
                url=url, status_code=exc.status_code,
            ) from None
        except httpx.ConnectError as exc:
            raise CtGovUnavailable(
                f"cannot reach CT.gov at {self.base_url}: {_reason(exc)}", url=url
            ) from None
        except httpx.TransportError as exc:
            raise CtGovUnavailable(
                f"CT.gov kept failing after {attempt.num} attempts: {type(exc).__name__}: {_reason(exc)} ({url})",
                url=url,
            ) from None
        raise AssertionError("unreachable: stamina either returns or raises")

    def _get_once(self, path: str, params: Mapping[str, str], url: str, decode: Any) -> Any:
        self.throttle.wait()
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("refresh cancelled by shutdown; nothing it fetched was kept")
        self.requests += 1
        with self._deadline.armed(self.settings.timeout):
            try:
                response = self._client.get(path, params=params, extensions={"trace": self._deadline.trace})
            except httpx.TransportError:
                if self._deadline.expired:
                    raise _Transient(f"no complete answer within {self.settings.timeout:g} s (TRACKER_TIMEOUT)",
                                     url) from None
                raise
        status = response.status_code
        if status == 200:
            try:
                return decode(response.content, url)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                raise _Transient(f"unusable body ({exc})", url, status) from None
        text = _body_text(response)
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}{': ' + text if text else ''}", url, status, _retry_after(response))
        if status == 400:
            raise CtGovBadRequest(
                f"CT.gov rejected the request (HTTP 400): {text or '(no message)'} — GET {url}",
                url=url, status_code=status,
            )
        raise CtGovError(f"CT.gov answered HTTP {status}: {text or '(no message)'} — GET {url}",
                         url=url, status_code=status)


def _body_text(response: httpx.Response) -> str:
    """The first line of an error body; HTML error pages are summarised, not printed."""
    try:
        text = response.text.strip()
    except UnicodeDecodeError:
        return ""
    if text.lower().startswith(("<!doctype", "<html")):
        return "(an HTML error page)"
    return text.splitlines()[0][:300] if text else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
