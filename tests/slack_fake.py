"""A local fake of the Slack Web API (and its Socket Mode WebSocket), on 127.0.0.1, for the tests.

Faithful where wirewatch depends on it, after Slack's reference (docs.slack.dev/reference/methods) and
slack_sdk's client: methods answer HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": code}``;
a rate limit is HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``; an outage is a
5xx with an HTML body. The token travels as ``Authorization: Bearer``; chat.postMessage takes JSON,
the read methods GET with query parameters (as slack_sdk sends them). Messages keep their metadata and
thread; conversations.history lists top-level messages newest first and returns metadata only with
``include_all_metadata``. ``apps.connections.open`` (app token) hands out a ``ws://127.0.0.1`` URL whose
socket says hello and carries envelopes both ways, as Socket Mode does.

Tests script faults with ``fail(method, ...)`` and read every call in ``calls``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER = "U0BOT0001"


@dataclass
class FakeChannel:
    id: str
    name: str
    is_archived: bool = False
    is_member: bool = True
    messages: list[dict] = field(default_factory=list)


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    headers: dict = field(default_factory=dict)
    store_first: bool = False  # perform the call, then answer with the fault (the answer is lost)
    html: bool = False


class SlackFake:
    def __init__(self, port: int = 0) -> None:
        """``port``: where to listen (a test that starts Slack late gives wirewatch the address first)."""
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[tuple[str, dict]] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.revoked = False
        self.responses: list[tuple[str, dict]] = []  # bodies posted to response_url
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: list[dict] = []
        self._ts = int(time.time())
        self._seq = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="slack-fake")
        self.port = port

    # ------------------------------------------------------------------------------------------ control

    def add_channel(self, cid: str, name: str, **kwargs) -> FakeChannel:
        channel = FakeChannel(cid, name, **kwargs)
        self.channels[cid] = channel
        return channel

    def fail(self, method: str, status: int = 200, error: str | None = None, times: int = 1,
             retry_after: float | None = None, store_first: bool = False) -> None:  # fmt: skip
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        html = status >= 500 and error is None
        for _ in range(times):
            self.faults.setdefault(method, deque()).append(Fault(status, error, headers, store_first, html))

    def posts(self, method: str = "chat.postMessage") -> list[dict]:
        return [args for name, args in self.calls if name == method]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def __enter__(self) -> SlackFake:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    # ------------------------------------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(parse_qsl(await request.text())))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.get("token", "")
        self.calls.append((method, args))
        fault = self.faults.get(method, deque()).popleft() if self.faults.get(method) else None
        if fault is not None and not fault.store_first:
            return self._fault(fault)
        answer = self._dispatch(method, args, token)
        if fault is not None:
            return self._fault(fault)
        return web.json_response(answer)

    @staticmethod
    def _fault(fault: Fault) -> web.Response:
        if fault.html:
            return web.Response(status=fault.status, text="<html><body>Server Error</body></html>",
                                content_type="text/html", headers=fault.headers)  # fmt: skip
        error = fault.error or ("ratelimited" if fault.status == 429 else "internal_error")
        return web.json_response({"ok": False, "error": error}, status=fault.status, headers=fault.headers)

    def _dispatch(self, method: str, args: dict, token: str) -> dict:
        app_method = method == "apps.connections.open"
        if (app_method and token != APP_TOKEN) or (not app_method and token != BOT_TOKEN):
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        if self.revoked and not app_method:
            return {"ok": False, "error": "token_revoked"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(args)

    def _auth_test(self, args: dict) -> dict:
        return {"ok": True, "url": "https://wirewatch-test.slack.com/", "team": "Test", "user": "wirewatch",
                "team_id": "T0TEST001", "user_id": BOT_USER, "bot_id": "B0BOT0001"}  # fmt: skip

    def _find(self, ref: str | None) -> FakeChannel | None:
        if not ref:
            return None
        if ref in self.channels:
            return self.channels[ref]
        name = ref.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def _next_ts(self) -> str:
        self._seq += 1
        return f"{self._ts}.{self._seq:06d}"

    def _chat_postMessage(self, args: dict) -> dict:
        channel = self._find(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        if not channel.is_member:
            return {"ok": False, "error": "not_in_channel"}
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        if blocks is not None and (len(blocks) > 50 or any(_too_long(b) for b in blocks)):
            return {"ok": False, "error": "invalid_blocks"}
        if len(args.get("text") or "") > 40000:
            return {"ok": False, "error": "msg_too_long"}
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {"type": "message", "user": BOT_USER, "bot_id": "B0BOT0001", "text": args.get("text", ""),
                   "ts": self._next_ts(), "blocks": blocks or [], "metadata": metadata}  # fmt: skip
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        channel.messages.append(message)
        public = {k: v for k, v in message.items() if k != "metadata" or v}
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": public}

    def _history(self, messages: list[dict], args: dict) -> dict:
        oldest = float(args.get("oldest") or 0)
        include = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        chosen = [m for m in messages if float(m["ts"]) > oldest]
        chosen.sort(key=lambda m: float(m["ts"]), reverse=True)
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = chosen[start : start + limit]
        out = [{k: v for k, v in m.items() if k != "metadata" or (include and v)} for m in page]
        more = start + limit < len(chosen)
        return {"ok": True, "messages": out, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}  # fmt: skip

    def _conversations_history(self, args: dict) -> dict:
        channel = self.channels.get(args.get("channel", ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not channel.is_member:
            return {"ok": False, "error": "not_in_channel"}
        return self._history([m for m in channel.messages if m.get("thread_ts") in (None, m["ts"])], args)

    def _conversations_replies(self, args: dict) -> dict:
        channel = self.channels.get(args.get("channel", ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = args.get("ts")
        thread = [m for m in channel.messages if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return self._history(thread, args)

    def _conversations_list(self, args: dict) -> dict:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        channels = list(self.channels.values())
        page = channels[start : start + limit]
        more = start + limit < len(channels)
        return {
            "ok": True,
            "channels": [
                {"id": c.id, "name": c.name, "is_channel": True, "is_archived": c.is_archived, "is_member": c.is_member}
                for c in page
            ],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _apps_connections_open(self, args: dict) -> dict:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id=A0TEST"}

    # ------------------------------------------------------------------------------------------ response_url

    def response_url(self) -> str:
        return f"{self.base}/response/{uuid.uuid4().hex}"

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["key"], await request.json()))
        return web.Response(text="ok")

    # ------------------------------------------------------------------------------------------ Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                            "connection_info": {"app_id": "A0TEST"}})  # fmt: skip
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws

    def push(self, envelope_type: str, payload: dict) -> str:
        """Send an envelope to every connected socket client; its id (the client acks with it)."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                    "accepts_response_payload": envelope_type == "slash_commands", "retry_attempt": 0,
                    "retry_reason": ""}  # fmt: skip

        async def send() -> None:
            for ws in list(self.sockets):
                if not ws.closed:
                    await ws.send_json(envelope)

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)
        return envelope_id


def _too_long(block: dict) -> bool:
    """Block Kit's documented text limits: 3,000 a section, 2,000 a context element, 75 an option."""
    if block.get("type") == "section" and len((block.get("text") or {}).get("text", "")) > 3000:
        return True
    elements = block.get("elements", []) if block.get("type") == "context" else []
    if len(elements) > 10 or any(len(e.get("text", "")) > 2000 for e in elements):
        return True
    accessory = block.get("accessory") or {}
    return any(len(o["text"]["text"]) > 75 or len(o.get("value", "")) > 150 for o in accessory.get("options", []))


# --------------------------------------------------------------- requests as Slack sends them to the bot

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documentation example signing secret


def payload(slack: SlackFake, text: str, user: str = "U0OTHER01") -> dict:
    """The form fields Slack sends for a slash command (docs.slack.dev/interactivity/implementing-slash-commands)."""
    return {"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0TEST001", "team_domain": "test",
            "channel_id": "C0SYRIA01", "channel_name": "syria-alerts", "user_id": user, "user_name": "someone",
            "command": "/wirewatch", "text": text, "api_app_id": "A0TEST", "is_enterprise_install": "false",
            "response_url": slack.response_url(), "trigger_id": "13345224609.738474920.8088930838d88f0"}  # fmt: skip


def signed_headers(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
