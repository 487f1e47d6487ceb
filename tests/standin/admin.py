"""The ``/_admin/`` endpoints: let a test or a demo drive the stand-in over HTTP from another process.

========  ==========================  ==================================================================
method    path                        effect
========  ==========================  ==================================================================
GET       /_admin/log                 the request log of /api/v2 (method, path, params, status, ts, fault)
POST      /_admin/log/clear           empty the request log
POST      /_admin/advance?days=N      move the data date N days forward (a new daily refresh; default 1)
POST      /_admin/update?nct=ID       re-post a study as updated today; optional JSON body of shallow
                                      changes: {"overallStatus": "COMPLETED"} or {"statusModule": {...}}
POST      /_admin/add                 JSON study body; posted today unless ?keep_dates=true (201)
POST      /_admin/remove?nct=ID       delete a study
POST      /_admin/alias?old=ID&current=ID   make old an alias (301 on /studies/old) of current
GET/POST  /_admin/faults              read / replace the fault profile (JSON of Faults fields)
GET       /_admin/stats               counts: studies, aliases, data date, requests by status and fault
========  ==========================  ==================================================================

Faults never apply here.  Errors are ``text/plain``: 400 for a bad value, 404 for an unknown study.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from tests.standin.faults import Faults
from tracker.demo.registry import normalize_nct_id
from tracker.demo.responses import Response, json_response, text_response

if TYPE_CHECKING:
    from tests.standin.server import FaultyStandIn

__all__ = ["handle_admin"]

Params = dict[str, str]
_Handler = Callable[["FaultyStandIn", Params, Any], Response]


def handle_admin(standin: FaultyStandIn, method: str, path: str, pairs: Sequence[tuple[str, str]],
                 body: bytes) -> Response:
    """Answer one /_admin/ request."""
    handler = _ROUTES.get((method, path.rstrip("/")))
    if handler is None:
        return text_response(404, f"no admin endpoint {method} {path}")
    try:
        payload = json.loads(body) if body.strip() else None
        return handler(standin, dict(pairs), payload)
    except json.JSONDecodeError as exc:
        return text_response(400, f"request body is not JSON: {exc}")
    except KeyError as exc:
        return text_response(404, f"not found: {exc.args[0] if exc.args else ''}")
    except ValueError as exc:
        return text_response(400, str(exc))


def _required_id(params: Mapping[str, str], name: str) -> str:
    if name not in params:
        raise ValueError(f"query parameter {name}= is required")
    return normalize_nct_id(params[name])


def _log(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    return json_response(standin.request_log())


def _clear(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    standin.clear_log()
    return json_response({"cleared": True})


def _advance(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    registry = standin.registry
    registry.advance(int(params.get("days", "1")))
    return json_response({"today": registry.data_date, "dataTimestamp": registry.data_timestamp})


def _update(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    nct_id = _required_id(params, "nct")
    if payload is not None and not isinstance(payload, dict):
        raise ValueError("update body must be a JSON object of field changes")
    study = standin.registry.update(nct_id, payload or {})
    updated = study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    return json_response({"nctId": nct_id, "lastUpdatePostDate": updated})


def _add(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    if not isinstance(payload, dict):
        raise ValueError("add body must be a JSON study object")
    keep_dates = params.get("keep_dates", "false").lower() == "true"
    return json_response({"nctId": standin.registry.add(payload, keep_dates=keep_dates)}, status=201)


def _remove(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    nct_id = _required_id(params, "nct")
    standin.registry.remove(nct_id)
    return json_response({"removed": nct_id})


def _alias(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    old, current = _required_id(params, "old"), _required_id(params, "current")
    standin.registry.add_alias(old, current)
    return json_response({"alias": old, "current": current})


def _set_faults(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    if payload is not None and not isinstance(payload, dict):
        raise ValueError("faults body must be a JSON object of Faults fields")
    standin.faults = Faults.from_dict(payload or {})
    return json_response(standin.faults.to_dict())


def _get_faults(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    return json_response(standin.faults.to_dict())


def _stats(standin: FaultyStandIn, params: Params, payload: Any) -> Response:
    log = standin.request_log()
    by_status: dict[str, int] = {}
    by_fault: dict[str, int] = {}
    for entry in log:
        by_status[str(entry["status"])] = by_status.get(str(entry["status"]), 0) + 1
        if entry["fault"]:
            by_fault[entry["fault"]] = by_fault.get(entry["fault"], 0) + 1
    registry = standin.registry
    return json_response({
        "studies": len(registry),
        "aliases": len(registry.aliases()),
        "today": registry.data_date,
        "dataTimestamp": registry.data_timestamp,
        "requests": len(log),
        "byStatus": by_status,
        "byFault": by_fault,
        "snapshots": standin.open_snapshots(),
    })


_ROUTES: Final[dict[tuple[str, str], _Handler]] = {
    ("GET", "/_admin/log"): _log,
    ("POST", "/_admin/log/clear"): _clear,
    ("POST", "/_admin/advance"): _advance,
    ("POST", "/_admin/update"): _update,
    ("POST", "/_admin/add"): _add,
    ("POST", "/_admin/remove"): _remove,
    ("POST", "/_admin/alias"): _alias,
    ("POST", "/_admin/faults"): _set_faults,
    ("GET", "/_admin/faults"): _get_faults,
    ("GET", "/_admin/stats"): _stats,
}
