"""Broken and hostile CT.gov servers for tests: a stand-in that tampers with its answers, and a server that
drips its answer one byte at a time.

``HostileStandIn`` is the stand-in with one more knob, ``hostility`` (None answers honestly). Its modes
change every 200 answer to ``/studies``:

``script_id``         the whole answer is one study whose nctId is ``<script>alert(1)</script>``, totalCount 1
``bad_id``            the first study of each page gets ``value`` as its nctId (a near miss such as ``NCT1234567``)
``id_not_string``     … a number as its nctId
``missing_status``    … no protocolSection.statusModule
``missing_ident``     … no protocolSection.identificationModule
``no_protocol``       … no protocolSection
``study_not_object``  … is a JSON string instead of an object
``bad_date``          … a lastUpdatePostDateStruct.date that is no date
``studies_not_list``  ``studies`` is an object
``count_as_text``     ``totalCount`` is a string
``negative_count``    ``totalCount`` is -1
``huge_count``        ``totalCount`` is 10**15
``token_not_string``  ``nextPageToken`` is a number
``empty``             every query matches nothing: no studies, totalCount 0
``duplicates``        each page carries every one of its studies twice
``hostile_text``      honest records whose titles, sponsor and conditions hold HTML, JavaScript and Markdown

``DripServer`` answers every request with a well-formed JSON response sent one byte every ``interval``
seconds: the body (``part="body"``) or everything from the status line on (``part="headers"``).
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from tests.standin.server import FaultyStandIn
from tracker.demo.registry import ENCODER
from tracker.demo.responses import Response
from tracker.demo.standin import Request

__all__ = ["HOSTILE_MODES", "HOSTILE_TEXT", "DripServer", "HostileStandIn", "Hostility"]

SCRIPT: Final = "<script>alert(1)</script>"
HOSTILE_TEXT: Final = ('<script>alert("x")</script> **bold** [click](javascript:alert(1)) '
                       '<img src=x onerror=alert(2)> $x$ :red[red]')


@dataclass(frozen=True)
class Hostility:
    mode: str
    value: Any = None


def _first(change: Callable[[list[Any], Any], None]) -> Callable[[dict[str, Any], Any], None]:
    """A mode that changes the first study of a page (a page without studies is left alone)."""

    def apply(body: dict[str, Any], value: Any) -> None:
        if body.get("studies"):
            change(body["studies"], value)

    return apply


def _set_id(studies: list[Any], value: Any) -> None:
    studies[0]["protocolSection"]["identificationModule"]["nctId"] = value


def _drop(*path: str) -> Callable[[list[Any], Any], None]:
    def change(studies: list[Any], value: Any) -> None:
        node = studies[0]
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)

    return change


def _bad_date(studies: list[Any], value: Any) -> None:
    status = studies[0]["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"] = {"date": value or "2026-13-45'); drop table x;--", "type": "ACTUAL"}


def _not_object(studies: list[Any], value: Any) -> None:
    studies[0] = SCRIPT


def _script_only(body: dict[str, Any], value: Any) -> None:
    body.clear()
    body.update(studies=[{"protocolSection": {"identificationModule": {"nctId": SCRIPT},
                                              "statusModule": {"overallStatus": "RECRUITING"}}}], totalCount=1)


def _empty(body: dict[str, Any], value: Any) -> None:
    body.clear()
    body.update(studies=[], totalCount=0)


def _hostile_text(body: dict[str, Any], value: Any) -> None:
    for study in body.get("studies", []):
        protocol = study["protocolSection"]
        protocol["identificationModule"]["briefTitle"] = HOSTILE_TEXT
        protocol["identificationModule"]["officialTitle"] = HOSTILE_TEXT
        protocol.setdefault("sponsorCollaboratorsModule", {})["leadSponsor"] = {"name": HOSTILE_TEXT,
                                                                                "class": "OTHER"}
        protocol.setdefault("conditionsModule", {})["conditions"] = [HOSTILE_TEXT, "Melanoma"]


def _set(key: str, value: Any) -> Callable[[dict[str, Any], Any], None]:
    def apply(body: dict[str, Any], _: Any) -> None:
        body[key] = value

    return apply


HOSTILE_MODES: Final[dict[str, Callable[[dict[str, Any], Any], None]]] = {
    "script_id": _script_only,
    "bad_id": _first(_set_id),
    "id_not_string": _first(lambda studies, value: _set_id(studies, 90000001)),
    "missing_status": _first(_drop("protocolSection", "statusModule")),
    "missing_ident": _first(_drop("protocolSection", "identificationModule")),
    "no_protocol": _first(_drop("protocolSection")),
    "study_not_object": _first(_not_object),
    "bad_date": _first(_bad_date),
    "studies_not_list": _set("studies", {"0": SCRIPT}),
    "count_as_text": _set("totalCount", "12"),
    "negative_count": _set("totalCount", -1),
    "huge_count": _set("totalCount", 10**15),
    "token_not_string": _set("nextPageToken", 5),
    "empty": _empty,
    "duplicates": lambda body, value: body.update(studies=body.get("studies", []) * 2),
    "hostile_text": _hostile_text,
}


class HostileStandIn(FaultyStandIn):
    """The stand-in, whose /studies answers are tampered with while `hostility` is set."""

    hostility: Hostility | None = None

    def answer(self, request: Request) -> Response:
        response = super().answer(request)
        hostility = self.hostility
        if hostility is None or not request.path.endswith("/studies") or response.status != 200:
            return response
        body = json.loads(response.body)
        HOSTILE_MODES[hostility.mode](body, hostility.value)
        # the stand-in's own encoder: untouched studies keep their exact bytes, so their content hash
        return Response(200, ENCODER.encode(body))


class DripServer:
    """A loopback HTTP server that sends every answer one byte at a time; `url` is its API base."""

    def __init__(self, *, interval: float = 0.5, part: str = "body", size: int = 2000) -> None:
        if part not in {"body", "headers"}:
            raise ValueError("part must be body or headers")
        self.interval = interval
        self.part = part
        body = json.dumps({"apiVersion": "2.0.5", "dataTimestamp": "2026-09-04T09:00:06"}).encode()
        # padding keeps the body valid JSON and long enough to outlast any sane timeout
        self.body = body + b" " * max(0, size - len(body))
        self.connections = 0
        self.hung_up = 0  # connections the client ended before the answer was complete
        self._stop = threading.Event()
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the drip server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v2"

    def __enter__(self) -> DripServer:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._answer(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, connection: socket.socket) -> None:
        self.connections += 1
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = connection.recv(4096)
            if not chunk:
                return
            request += chunk
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(self.body))
        at_once, dripped = (head, self.body) if self.part == "body" else (b"", head + self.body)
        try:
            connection.sendall(at_once)
            for byte in dripped:
                if self._stop.wait(self.interval):
                    return
                connection.sendall(bytes([byte]))
        except OSError:
            self.hung_up += 1
            return
        # the client may hang up right after the last byte: wait a moment for its next request
        time.sleep(0.05)
