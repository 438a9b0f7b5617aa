"""A real Synapse homeserver on 127.0.0.1 for the Matrix tests: installed into its own venv on first use.

``Synapse.start(folder)`` generates a config (SQLite, a client listener on loopback only, no federation
listener, no trusted key servers, a registration shared secret, ``bcrypt_rounds: 4``), starts
``synapse.app.homeserver`` and waits for ``/_matrix/client/versions``. Message rate limits are strict
(``rc_message``: one every 2 s, bursts of 2, stricter than the outbox's own pace) so the rate-limit test
meets a real ``M_LIMIT_EXCEEDED``; users that other tests use get the admin API's per-user override.
Users are registered through the shared-secret admin API, as an operator would.

The venv: ``$WIREWATCH_SYNAPSE_VENV`` or .venv-synapse beside the project; ``.ci/run`` creates it, and
a test session on a machine without it runs ``pip install matrix-synapse`` once. If that fails the
tests fail with one line saying so: Matrix is never skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from tests.utils import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("WIREWATCH_SYNAPSE_VENV", ROOT / ".venv-synapse"))
SECRET = "wirewatch-tests-registration-secret"
SERVER_NAME = "localhost"


class SynapseUnavailable(RuntimeError):
    pass


def python() -> Path:
    """The venv's interpreter, installing matrix-synapse into it when it is not there yet."""
    exe = VENV / "bin" / "python"
    if exe.exists() and subprocess.run([exe, "-c", "import synapse"], capture_output=True).returncode == 0:
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
        subprocess.run([exe, "-m", "pip", "install", "-q", "matrix-synapse"], check=True, capture_output=True,
                       text=True, timeout=900)  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = (getattr(exc, "stderr", "") or "").strip().splitlines()[-1:] or [str(exc)]
        raise SynapseUnavailable(f"matrix-synapse could not be installed into {VENV}: {detail[0]}") from exc
    return exe


class Synapse:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.exe = python()
        self._generate()

    def _generate(self) -> None:
        config = self.folder / "homeserver.yaml"
        subprocess.run([self.exe, "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME, "--config-path",
                        str(config), "--generate-config", "--report-stats=no", "--data-directory", str(self.folder)],
                       check=True, capture_output=True, cwd=self.folder)  # fmt: skip
        data = yaml.safe_load(config.read_text())
        data.update({
            "listeners": [{"port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                           "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
            "registration_shared_secret": SECRET,
            "trusted_key_servers": [], "suppress_key_server_warning": True, "federation_domain_whitelist": [],
            "bcrypt_rounds": 4, "enable_registration": False, "url_preview_enabled": False, "use_presence": False,
            "rc_message": {"per_second": 0.5, "burst_count": 2},
            "rc_login": {"address": {"per_second": 1000, "burst_count": 1000},
                         "account": {"per_second": 1000, "burst_count": 1000},
                         "failed_attempts": {"per_second": 1000, "burst_count": 1000}},
            "rc_joins": {"local": {"per_second": 1000, "burst_count": 1000}},
            "rc_invites": {"per_room": {"per_second": 1000, "burst_count": 1000},
                           "per_user": {"per_second": 1000, "burst_count": 1000}},
            "rc_registration": {"per_second": 1000, "burst_count": 1000},
            "rc_admin_redaction": {"per_second": 1000, "burst_count": 1000},
        })  # fmt: skip
        log_config = self.folder / f"{SERVER_NAME}.log.config"
        log_config.write_text(
            "version: 1\nformatters: {p: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}\n"
            f"handlers: {{f: {{class: logging.FileHandler, formatter: p, filename: {self.folder / 'synapse.log'}}}}}\n"
            "root: {level: WARNING, handlers: [f]}\ndisable_existing_loggers: false\n"
        )
        data["log_config"] = str(log_config)
        config.write_text(yaml.safe_dump(data))
        self.config = config

    def start(self) -> Synapse:
        self.proc = subprocess.Popen([self.exe, "-m", "synapse.app.homeserver", "-c", str(self.config)],
                                     cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SynapseUnavailable(f"Synapse exited at start: {self.proc.stderr.read().decode()[-500:]}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SynapseUnavailable("Synapse did not answer within 60 s")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    # ------------------------------------------------------------------------------------------ accounts

    def register(self, localpart: str, password: str = "secret-password", admin: bool = False) -> dict:
        """A user through the shared-secret admin API; its user_id, access_token and device_id."""
        api = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(api, timeout=10).json()["nonce"]
        signed = "\x00".join((nonce, localpart, password, "admin" if admin else "notadmin")).encode()
        mac = hmac.new(SECRET.encode(), signed, hashlib.sha1).hexdigest()
        body = {"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac}
        response = httpx.post(api, json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def unlimited(self, admin_token: str, user_id: str) -> None:
        """No message rate limit for ``user_id`` (the admin API's override)."""
        response = httpx.post(f"{self.url}/_synapse/admin/v1/users/{user_id}/override_ratelimit",
                              json={"messages_per_second": 0, "burst_count": 0},
                              headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)  # fmt: skip
        response.raise_for_status()

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/_matrix/client/v3", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)  # fmt: skip


# ---------------------------------------------------------------------- what the tests do in its rooms


def new_room(synapse, bot: str = "bot", **extra) -> str:
    """A room alice creates and invites the bot to."""
    with synapse.client(synapse.accounts["alice"]["access_token"]) as alice:
        body = {"preset": "private_chat", "invite": [synapse.accounts[bot]["user_id"]], **extra}
        response = alice.post("/createRoom", json=body)
        response.raise_for_status()
        return response.json()["room_id"]


def notices(synapse, room: str) -> list[dict]:
    """The bot's messages in the room, oldest first, as alice reads them."""
    with synapse.client(synapse.accounts["alice"]["access_token"]) as alice:
        events = alice.get(f"/rooms/{room}/messages", params={"dir": "b", "limit": 500}).json()["chunk"]
    bots = {synapse.accounts["bot"]["user_id"], synapse.accounts["slow"]["user_id"]}
    return [e for e in reversed(events) if e["type"] == "m.room.message" and e["sender"] in bots]
