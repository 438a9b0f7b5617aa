"""Local receivers for the non-chat channels, on 127.0.0.1, for the tests.

- ``Receiver``: an HTTP endpoint that records every request (path, headers, raw body) and answers from a
  script of faults (``fail(status, headers, body)``), then 200. It serves a wirewatch webhook (whose
  signature the test checks with the receiver code from docs/channels.md) and Apprise's generic ``json://``
  and ``form://`` services, which POST ``{"version", "title", "message", "type"}`` as JSON or as a form.
- ``Mattermost``: a Mattermost server's incoming webhooks as Apprise's ``mmost://`` plugin reaches them and as
  Mattermost answers (server/channels/web/webhook.go): ``POST /hooks/<id>`` with a JSON body holding ``text``
  answers 200 ``ok`` (text/plain); an unknown hook id 400 with Mattermost's JSON app error; a body without
  text 400 too.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    answered_error: bool = False  # what the receiver answered: a scripted fault, or an error of its own

    def json(self) -> dict:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Answer:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client that hangs up is no test failure
        pass


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.answers: deque[Answer] = deque()
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = owner.handle(Request(self.path, dict(self.headers.items()), body))
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.base = f"127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://{self.base}{path}"

    def fail(self, status: int, headers: dict | None = None, body: bytes = b"", times: int = 1) -> None:
        for _ in range(times):
            self.answers.append(Answer(status, headers or {}, body))

    def handle(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
            answer = self.answers.popleft() if self.answers else self.ok(request)
            request.answered_error = answer.status >= 300
            return answer

    def ok(self, request: Request) -> Answer:
        return Answer(200, {"Content-Type": "application/json"}, b'{"ok":true}')

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Mattermost(Receiver):
    def __init__(self, hook_id: str) -> None:
        super().__init__()
        self.hook_id = hook_id
        self.posts: list[dict] = []

    def ok(self, request: Request) -> Answer:
        if request.path != f"/hooks/{self.hook_id}":
            return self._error(400, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
        try:
            post = json.loads(request.body)
        except ValueError:
            return self._error(400, "api.webhook.incoming.error", "Could not decode the multipart payload.")
        if not isinstance(post, dict) or not (post.get("text") or post.get("attachments")):
            return self._error(400, "web.incoming_webhook.text.app_error", "No text specified.")
        self.posts.append(post)
        return Answer(200, {"Content-Type": "text/plain"}, b"ok")

    def _error(self, status: int, error_id: str, message: str) -> Answer:
        body = {"id": error_id, "message": message, "detailed_error": "", "request_id": "x8dsq4pq3jgmjm3z9k5y",
                "status_code": status}  # fmt: skip
        return Answer(status, {"Content-Type": "application/json"}, json.dumps(body).encode())
