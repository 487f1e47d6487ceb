"""The CT.gov client on httpx.MockTransport: paging, reconciliation inputs, retries, errors, throttle."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from tracker.config import Settings
from tracker.ctgov import USER_AGENT, CtGov
from tracker.errors import CtGovBadRequest, CtGovError, CtGovUnavailable


def study(nct: str) -> dict[str, object]:
    return {"protocolSection": {"identificationModule": {"nctId": nct}}}


def paged(pages: list[dict[str, object]]) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    """A handler serving `pages` in order by token p0, p1, …; it records every request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        token = request.url.params.get("pageToken")
        index = int(token[1:]) if token else 0
        return httpx.Response(200, json=pages[index])

    return handler, seen


def client(settings: Settings, handler: Callable[[httpx.Request], httpx.Response]) -> CtGov:
    return CtGov(settings, transport=httpx.MockTransport(handler))


def test_pages_are_followed_to_the_end_with_identical_parameters(settings: Settings) -> None:
    handler, seen = paged([
        {"studies": [study("NCT90000001")], "nextPageToken": "p1", "totalCount": 3},
        {"studies": [], "nextPageToken": "p2"},
        {"studies": [study("NCT90000002"), study("NCT90000003")]},
    ])
    with client(settings, handler) as api:
        pages = list(api.iter_pages({"query.intr": "lirilumab OR IPH2102"}))
    assert [len(p.studies) for p in pages] == [1, 0, 2]
    assert pages[0].total_count == 3
    assert pages[2].next_page_token is None
    params = [dict(r.url.params) for r in seen]
    assert [p.pop("pageToken", None) for p in params] == [None, "p1", "p2"]
    assert params[0] == params[1] == params[2]
    assert params[0] == {"query.intr": "lirilumab OR IPH2102", "pageSize": "1000", "countTotal": "true"}


def test_every_request_carries_a_descriptive_user_agent(settings: Settings) -> None:
    handler, seen = paged([{"studies": []}])
    with client(settings, handler) as api:
        list(api.iter_pages({"query.term": "x"}))
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert "nk-landscape-tracker" in USER_AGENT


def test_raw_study_bytes_are_kept_exactly(settings: Settings) -> None:
    record = {"protocolSection": {"identificationModule": {"nctId": "NCT90000001", "briefTitle": "é <b>"}}}
    handler, _ = paged([{"studies": [record]}])
    with client(settings, handler) as api:
        page = next(api.iter_pages({"query.term": "x"}))
    assert json.loads(page.studies[0]) == record


def test_a_repeated_page_token_stops_instead_of_looping(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"studies": [], "nextPageToken": "same"})

    with client(settings, handler) as api, pytest.raises(CtGovError, match="page token"):
        list(api.iter_pages({"query.term": "x"}))


def test_400_is_not_retried_and_shows_the_api_message_and_url(settings: Settings) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400, text="`filter.phase` is unknown parameter", headers={"Content-Type": "text/plain"})

    with client(settings, handler) as api, pytest.raises(CtGovBadRequest) as caught:
        list(api.iter_pages({"filter.phase": "PHASE2"}))
    assert len(calls) == 1
    message = str(caught.value)
    assert "`filter.phase` is unknown parameter" in message
    assert "filter.phase=PHASE2" in message and "/studies" in message
    assert "\n" not in message


def flaky(failures: list[httpx.Response | Exception], final: dict[str, object]) -> tuple[
        Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if failures:
            failure = failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        return httpx.Response(200, json=final)

    return handler, seen


@pytest.mark.parametrize("failure", [
    pytest.param(httpx.Response(429), id="429-without-retry-after"),
    pytest.param(httpx.Response(503, text="busy"), id="503"),
    pytest.param(httpx.Response(500), id="500"),
    pytest.param(httpx.Response(502, text="<html>bad gateway</html>"), id="502-html"),
    pytest.param(httpx.ReadError("connection reset by peer"), id="connection-reset"),
    pytest.param(httpx.RemoteProtocolError("peer closed connection"), id="truncated-transfer"),
    pytest.param(httpx.ReadTimeout("timed out"), id="timeout"),
    pytest.param(httpx.Response(200, content=b'{"studies": [{"protocolSection": '), id="truncated-json"),
    pytest.param(httpx.Response(200, content=b"<html>maintenance</html>"), id="non-json-body"),
    pytest.param(httpx.Response(200, content=b'{"studies": [{"a": "\xff\xfe"}]}'), id="invalid-utf8"),
    pytest.param(httpx.Response(200, json={"unexpected": True}), id="json-without-studies"),
    pytest.param(httpx.Response(200, json={"studies": {"0": {}}}), id="studies-not-a-list"),
    pytest.param(httpx.Response(200, json={"studies": [], "totalCount": "3"}), id="total-count-as-text"),
    pytest.param(httpx.Response(200, json={"studies": [], "totalCount": -1}), id="negative-total-count"),
    pytest.param(httpx.Response(200, json={"studies": [], "totalCount": 10**15}), id="huge-total-count"),
    pytest.param(httpx.Response(200, json={"studies": [], "nextPageToken": 5}), id="page-token-not-a-string"),
    pytest.param(httpx.Response(200, json={"studies": [], "nextPageToken": "p" * 5000}), id="huge-page-token"),
])
def test_transient_failures_are_retried(settings: Settings, failure: httpx.Response | Exception) -> None:
    handler, seen = flaky([failure, failure], {"studies": [study("NCT90000001")], "totalCount": 1})
    with client(settings, handler) as api:
        pages = list(api.iter_pages({"query.term": "x"}))
    assert len(seen) == 3
    assert api.requests == 3
    assert len(pages[0].studies) == 1


def test_retry_after_is_honoured(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    handler, _ = flaky([httpx.Response(429, headers={"Retry-After": "7"})], {"studies": []})
    with client(replace(settings, backoff=0.5), handler) as api:
        list(api.iter_pages({"query.term": "x"}))
    assert 7.0 in waits


def test_backoff_grows_exponentially_with_jitter(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    handler, _ = flaky([httpx.Response(503)] * 4, {"studies": []})
    with client(replace(settings, backoff=1.0, retries=6), handler) as api:
        list(api.iter_pages({"query.term": "x"}))
    assert len(waits) == 4
    for n, wait in enumerate(waits):
        assert 2**n <= wait <= 2**n + 1.0


def test_attempts_are_bounded_then_a_clear_error(settings: Settings) -> None:
    handler, seen = flaky([httpx.Response(503, text="Service Unavailable")] * 50, {"studies": []})
    with client(replace(settings, retries=4), handler) as api, pytest.raises(CtGovUnavailable) as caught:
        list(api.iter_pages({"query.term": "x"}))
    assert len(seen) == 4
    assert "after 4 attempts" in str(caught.value)
    assert "HTTP 503" in str(caught.value)


def test_unreachable_host_fails_fast_with_a_clear_message(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    with client(settings, handler) as api, pytest.raises(CtGovUnavailable) as caught:
        api.fetch_version()
    assert api.requests == 3
    assert str(caught.value).startswith("cannot reach CT.gov at https://clinicaltrials.gov/api/v2")


def test_404_is_an_error_without_retry(settings: Settings) -> None:
    handler, seen = flaky([httpx.Response(404, text="<!DOCTYPE html><html>404</html>")] * 3, {})
    with client(settings, handler) as api, pytest.raises(CtGovError, match="HTTP 404: \\(an HTML error page\\)"):
        api.fetch_version()
    assert len(seen) == 1


def test_version_is_read(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/version"
        return httpx.Response(200, json={"apiVersion": "2.0.5", "dataTimestamp": "2026-09-04T09:00:06"})

    with client(settings, handler) as api:
        version = api.fetch_version()
    assert (version.api_version, version.data_timestamp) == ("2.0.5", "2026-09-04T09:00:06")


def test_throttle_spaces_requests(settings: Settings) -> None:
    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return httpx.Response(200, json={"apiVersion": "2.0.5"})

    with client(replace(settings, max_rpm=600), handler) as api:
        for _ in range(4):
            api.fetch_version()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert all(gap >= 0.095 for gap in gaps), gaps


def test_throttle_off_does_not_wait(settings: Settings) -> None:
    handler, _ = paged([{"studies": []}])
    started = time.monotonic()
    with client(replace(settings, max_rpm=0), handler) as api:
        for _ in range(20):
            list(api.iter_pages({"query.term": "x"}))
    assert time.monotonic() - started < 2.0
