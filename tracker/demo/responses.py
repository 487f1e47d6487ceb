"""Response values of the stand-in, built before anything is written to the socket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tracker.demo.registry import ENCODER

__all__ = ["NGINX_404", "Response", "html_404", "json_response", "text_response"]

# what CT.gov's nginx answers for any path it does not route (e.g. the retired /api/query/...)
NGINX_404: Final = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def text_response(status: int, message: str) -> Response:
    return Response(status, message.encode(), "text/plain; charset=utf-8")


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, ENCODER.encode(value))


def html_404() -> Response:
    return Response(404, NGINX_404, "text/html")
