"""HTTP front of the sandbox: Thulium's API under /api/, control endpoints under /_sandbox/.

Standard library only, and nothing from the dashboard: the sandbox must behave like a foreign
system, so the dashboard can never lean on shared code to agree with it.
"""

from __future__ import annotations

import base64
import binascii
import collections
import ipaddress
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .state import ApiError, SandboxState

# (method, compiled path, route template used for API-user permissions, handler name)
ROUTES: list[tuple[str, re.Pattern[str], str, str]] = []


def _route(method: str, template: str, handler: str) -> None:
    pattern = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
    ROUTES.append((method, re.compile(f"^{pattern}/?$"), template, handler))


_route("GET", "outbounds", "list_campaigns")
_route("GET", "outbounds/stats", "stats")
_route("PUT", "outbounds/:id", "edit_campaign")
_route("GET", "outbounds/:id/statuses", "statuses")
_route("GET", "outbounds/:id/agents", "agents")
_route("GET", "outbounds/:id/records", "list_records")
_route("POST", "outbounds/:id/records", "add_one")
_route("PUT", "outbounds/:id/records_by_identifier/:identifier", "edit_by_identifier")
_route("DELETE", "outbounds/:id/records_by_identifier/:identifier", "delete_by_identifier")
_route("DELETE", "outbounds/:id/records/:phone_number", "delete_by_phone")
_route("PUT", "batch/outbounds/:id/records", "batch_edit")
_route("POST", "batch/outbounds/:id/records", "batch_add")
_route("DELETE", "batch/outbounds/:id/records", "batch_delete")

FAULT_KINDS = {"status", "delay", "close", "malformed", "body", "drop_phones"}
# Whether Thulium has already processed the request when the fault strikes, unless a fault says.
APPLIED_BEFORE_FAULT = {
    "status": False,
    "close": False,
    "delay": True,
    "malformed": True,
    "body": True,
    "drop_phones": True,
}


class Faults:
    """Injected failures, consumed in order by the API requests they match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []

    def add(self, spec: Any) -> list[dict[str, Any]]:
        specs = spec if isinstance(spec, list) else [spec]
        cleaned = [self._clean(s) for s in specs]
        with self._lock:
            self._pending.extend(cleaned)
            return list(self._pending)

    @staticmethod
    def _clean(spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
            raise ValueError(f"A fault needs a kind, one of {sorted(FAULT_KINDS)}.")
        fault = dict(spec)
        fault["times"] = int(fault.get("times", 1))
        if fault.get("for_seconds") is not None:
            # An outage of a given length from its first strike: every matching request until
            # then, however many.
            fault["for_seconds"] = float(fault["for_seconds"])
        fault.setdefault("apply", APPLIED_BEFORE_FAULT[fault["kind"]])
        if fault["kind"] == "status":
            fault["status"] = int(fault.get("status", 503))
        if fault["kind"] == "delay":
            fault["seconds"] = float(fault.get("seconds", 1.0))
        if fault["kind"] == "drop_phones":
            fault["phones"] = [str(p) for p in fault.get("phones", [])]
        return fault

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        with self._lock:
            for fault in list(self._pending):
                if fault.get("method") and fault["method"].upper() != method:
                    continue
                if fault.get("path") and fault["path"] not in path:
                    continue
                if "for_seconds" in fault:
                    fault.setdefault("until", time.monotonic() + fault["for_seconds"])
                    if time.monotonic() < fault["until"]:
                        return fault
                    self._pending.remove(fault)
                    continue
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self._pending.remove(fault)
                return fault
        return None

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._pending]

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], state: SandboxState, *, log_size: int, verbose: bool
    ) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state
        self.faults = Faults()
        self.verbose = verbose
        self.request_log: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        self._log_lock = threading.Lock()
        self._log_counter = 0
        # Bumped by every reset: a request that arrived before it (say, one held by a delay
        # fault) must neither change the fresh state nor appear in the fresh request log.
        self.epoch = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer (a killed worker, a timeout) is not our error.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def fresh_start(self) -> None:
        with self._log_lock:
            self.epoch += 1
            self.faults.clear()
            self.request_log.clear()

    def log_request_entry(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            if entry["epoch"] != self.epoch:
                return
            self._log_counter += 1
            entry["seq"] = self._log_counter
            del entry["epoch"]
            self.request_log.append(entry)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small JSON answers must not wait for Nagle's algorithm: it would add 40 ms per request.
    disable_nagle_algorithm = True
    server: SandboxServer
    server_version = "ThuliumSandbox/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # --- plumbing ---------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        raw_body = self._read_body()
        if url.path.startswith("/api/"):
            self._api(method, url.path[len("/api/") :], query, raw_body)
        elif url.path.startswith("/_sandbox/"):
            self._control(method, url.path[len("/_sandbox/") :].strip("/"), raw_body)
        else:
            self._send_json(404, {"errors": [{"message": "Not found. The API is under /api/."}]})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self._flush_log(status)
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    # --- the API ----------------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        request_id = uuid.uuid4().hex
        entry: dict[str, Any] = {
            "epoch": self.server.epoch,
            "time": datetime.now().isoformat(timespec="milliseconds"),
            "method": method,
            "path": "/api/" + path,
            "query": query,
            "user": None,
            "request_id": request_id,
            "body": _loggable(raw),
        }
        # The entry is logged just before the answer goes out (see _send), so whoever has the
        # answer in hand already finds its request in the log.
        self._log_entry: dict[str, Any] | None = entry
        self._api_answer(method, path, query, raw, request_id, entry)
        self._flush_log(0)

    def _flush_log(self, status: int) -> None:
        entry = getattr(self, "_log_entry", None)
        if entry is not None:
            entry["status"] = status
            self.server.log_request_entry(entry)
            self._log_entry = None

    def _api_answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        raw: bytes,
        request_id: str,
        entry: dict[str, Any],
    ) -> int:
        headers = {"X-Request-Id": request_id}

        def error(status: int, message: str, code: int | None = None) -> int:
            body = {
                "request_id": request_id,
                "errors": [{"message": message, "code": code or status}],
            }
            extra = dict(headers)
            if status == 401:
                extra["WWW-Authenticate"] = 'Basic realm="Thulium API"'
            self._send_json(status, body, extra)
            return status

        user = self._user()
        if user is None:
            return error(401, "Unauthorized. Check the API user's login and password.")
        entry["user"] = user["login"]

        match = _match(method, path)
        if match is None:
            return error(404, f"Unknown API method {method} {path}.")
        template, handler_name, params = match
        if not self.server.state.allowed(user, method, template):
            return error(403, f"API user {user['login']} may not call {method} {template}.")

        fault = self.server.faults.take(method, "/api/" + path)
        if fault and fault["kind"] == "delay":
            time.sleep(fault["seconds"])
            if entry["epoch"] != self.server.epoch:
                self.close_connection = True
                return 0
        striking = (
            fault if fault and fault["kind"] in {"close", "status", "malformed", "body"} else None
        )
        if striking and not striking["apply"]:
            return self._strike(striking, request_id, headers)

        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error(400, "Request body is not valid UTF-8 JSON.")
        try:
            status, payload = self._call(handler_name, params, query, body)
        except ApiError as api_error:
            return error(api_error.status, api_error.message, api_error.code)

        if striking:
            return self._strike(striking, request_id, headers)
        if fault and fault["kind"] == "drop_phones" and isinstance(payload, dict):
            payload = {k: v for k, v in payload.items() if k not in fault["phones"]}
        if payload is None:
            self._send(status, b"", "application/json", headers)
        else:
            self._send_json(status, payload, headers)
        return status

    def _strike(self, fault: dict[str, Any], request_id: str, headers: dict[str, str]) -> int:
        kind = fault["kind"]
        if kind == "close":
            self.close_connection = True
            return 0
        if kind == "malformed":
            body = b'{"111222333": {"http_status": 20'
            self._send(200, body, "application/json; charset=utf-8", headers)
            return 200
        if kind == "body":
            # Valid JSON in a shape the endpoint never answers with.
            self._send_json(int(fault.get("status", 200)), fault.get("body"), headers)
            return int(fault.get("status", 200))
        status = fault["status"]
        extra = dict(headers)
        if fault.get("retry_after") is not None:
            extra["Retry-After"] = str(fault["retry_after"])
        message = fault.get("message") or _REASONS.get(status, "Injected failure.")
        self._send_json(
            status,
            {"request_id": request_id, "errors": [{"message": message, "code": status}]},
            extra,
        )
        return status

    def _user(self) -> dict[str, Any] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        login, _, password = decoded.partition(":")
        return self.server.state.authenticate(login, password)

    def _call(
        self, name: str, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        state = self.server.state
        cid = params.get("id", "")
        additional = _query_flag(query, "search_in_additional_numbers")
        # What each call does, and the HTTP status it answers with when it succeeds.
        handlers: dict[str, tuple[int, Callable[[], Any]]] = {
            "list_campaigns": (200, lambda: state.list_campaigns()),
            "stats": (200, lambda: state.stats()),
            "edit_campaign": (204, lambda: state.edit_campaign(cid, body)),
            "statuses": (200, lambda: state.statuses(cid)),
            "agents": (200, lambda: state.agents(cid)),
            "list_records": (200, lambda: state.list_records(cid, query)),
            "add_one": (201, lambda: state.add_one(cid, body)),
            "edit_by_identifier": (
                204,
                lambda: state.edit_by_identifier(cid, params["identifier"], body),
            ),
            "delete_by_identifier": (
                204,
                lambda: state.delete_by_identifier(cid, params["identifier"]),
            ),
            "delete_by_phone": (204, lambda: state.delete_by_phone(cid, params["phone_number"])),
            "batch_edit": (
                200,
                lambda: state.batch_edit(cid, body, search_additional=additional),
            ),
            "batch_add": (200, lambda: state.batch_add(cid, body)),
            "batch_delete": (
                200,
                lambda: state.batch_delete(
                    cid, query.get("phone_number[]", []), search_additional=additional
                ),
            ),
        }
        status, act = handlers[name]
        return status, act()

    # --- control endpoints ------------------------------------------------------------------

    def _control(self, method: str, path: str, raw: bytes) -> None:
        if not _is_loopback(self.client_address[0]):
            self._send_json(
                403, {"errors": [{"message": "Control endpoints answer loopback only."}]}
            )
            return
        try:
            # Any shape: what a control endpoint cannot use is answered 400 below.
            body: Any = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send_json(400, {"errors": [{"message": "Body is not valid JSON."}]})
            return
        server = self.server
        try:
            if method == "POST" and path == "reset":
                server.fresh_start()
                server.state.reset()
                self._send_json(200, {"reset": True})
            elif method == "POST" and path == "fixture":
                server.state.load(body)
                server.fresh_start()
                self._send_json(200, {"loaded": True, "campaigns": len(server.state.campaigns)})
            elif method == "GET" and path == "requests":
                self._send_json(200, list(server.request_log))
            elif method == "DELETE" and path == "requests":
                server.request_log.clear()
                self._send_json(200, {"cleared": True})
            elif method == "POST" and path == "faults":
                self._send_json(200, server.faults.add(body))
            elif method == "GET" and path == "faults":
                self._send_json(200, server.faults.listing())
            elif method == "DELETE" and path == "faults":
                server.faults.clear()
                self._send_json(200, {"cleared": True})
            elif method == "POST" and (m := re.fullmatch(r"campaigns/([^/]+)/calls", path)):
                count = server.state.set_in_call(
                    unquote(m.group(1)), str(body["phone_number"]), bool(body["in_call"])
                )
                self._send_json(200, {"records": count})
            elif method == "GET" and (m := re.fullmatch(r"campaigns/([^/]+)/records", path)):
                self._send_json(200, server.state.dump_records(unquote(m.group(1))))
            else:
                self._send_json(
                    404, {"errors": [{"message": f"No control endpoint {method} {path}."}]}
                )
        except ApiError as error:
            self._send_json(error.status, {"errors": [{"message": error.message}]})
        except (ValueError, KeyError, TypeError) as error:
            self._send_json(400, {"errors": [{"message": f"Bad control request: {error}"}]})


_REASONS = {
    429: "Too many requests. Try again later.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable.",
    504: "Gateway timeout.",
}


def _match(method: str, path: str) -> tuple[str, str, dict[str, str]] | None:
    path = path.strip("/")
    for route_method, pattern, template, handler in ROUTES:
        if route_method == method and (m := pattern.match(path)):
            return template, handler, {k: unquote(v) for k, v in m.groupdict().items()}
    return None


def _query_flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[0].lower() in {"1", "true", "yes"}


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _loggable(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw[:2000].decode("utf-8", errors="replace")
