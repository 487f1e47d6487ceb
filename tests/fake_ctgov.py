"""A fake CT.gov for unit tests on httpx.MockTransport: pages a fixed list of studies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx


class FakeCtGov:
    """Serve /version and /studies over `studies` in pages; every request is kept in `requests`."""

    def __init__(self, studies: Sequence[dict[str, Any]], *, page_size: int = 1000,
                 data_timestamp: str = "2026-11-20T09:00:05") -> None:
        self.studies = list(studies)
        self.page_size = page_size
        self.data_timestamp = data_timestamp
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/version"):
            return httpx.Response(200, json={"apiVersion": "2.0.5", "dataTimestamp": self.data_timestamp})
        token = request.url.params.get("pageToken")
        start = int(token) if token else 0
        body: dict[str, Any] = {"studies": self.studies[start:start + self.page_size]}
        if token is None:
            body["totalCount"] = len(self.studies)
        if start + self.page_size < len(self.studies):
            body["nextPageToken"] = str(start + self.page_size)
        return httpx.Response(200, content=json.dumps(body).encode())
