"""``/wirewatch`` in Slack: slack-bolt's app, in Socket Mode or HTTP mode, over the shared command layer.

The listeners are thin (bot/chat/commands.py does the work): ack at once, so Slack's 3 seconds are
never at stake however slow a query is, then answer through ``respond`` (the command's response_url),
ephemeral, rendered as Block Kit with every stored string made inert (bot/slack/render.py).
HTTP mode serves Bolt's aiohttp app on ``slack.listen`` (127.0.0.1:3000 by default, never 0.0.0.0
unless configured); Bolt checks every request's v0 signature and timestamp and answers 401 otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from bot.chat.commands import answer
from bot.chat.link import Link
from bot.config import Config
from bot.errors import ConfigError, DeliveryError
from bot.slack import render

log = logging.getLogger(__name__)
COMMAND = "/wirewatch"
# Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that our client's token wins: it does.
_bolt_log = log.getChild("bolt")
_bolt_log.addFilter(lambda record: "will be unused" not in record.getMessage())
# slack_sdk's Socket Mode client logs each failed reconnect with a traceback; the link says it in one line
# instead (bot/chat/link.py), and --debug shows the client's own log.
_socket_log = log.getChild("socket")
_socket_log.addFilter(lambda record: logging.getLogger().isEnabledFor(logging.DEBUG))


def _answer(config: Config, text: str, user: str, channel_id: str | None, channel_name: str | None) -> dict:
    admins = set(config.slack.admins) if config.slack else set()
    return render.reply_message(answer(config, "slack", text, user, (channel_id, channel_name), user in admins))


def build_app(config: Config, web: Any = None):
    """Bolt's AsyncApp with the /wirewatch command and the alerts' overflow menu."""
    from slack_bolt.async_app import AsyncApp

    from bot.slack.post import client

    settings = config.slack
    if settings is None:
        raise ConfigError(f"{config.path}: slack: this section is needed to answer /wirewatch")
    web = web or client(settings.bot_token.get_secret_value(), settings.api_url)
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
    app = AsyncApp(client=web, signing_secret=secret, logger=_bolt_log, name="wirewatch")

    @app.command(COMMAND)
    async def command(ack, command, respond) -> None:
        await ack()  # first: Slack's 3 seconds
        reply = await asyncio.to_thread(_answer, config, command.get("text") or "", command.get("user_id", ""),
                                          command.get("channel_id"), command.get("channel_name"))  # fmt: skip
        await respond(**reply)

    @app.action(render.MENU_ACTION)
    async def menu(ack, body, respond) -> None:
        await ack()
        value = ((body.get("actions") or [{}])[0].get("selected_option") or {}).get("value", "")
        what, _, arg = value.partition("|")
        text = f"mute {arg} 24h" if what == "mute" else f"story {arg}"
        channel = body.get("channel") or {}
        reply = await asyncio.to_thread(_answer, config, text, (body.get("user") or {}).get("id", ""),
                                          channel.get("id"), channel.get("name"))  # fmt: skip
        await respond(**reply, replace_original=False)

    return app


def mode(config: Config) -> str | None:
    """How commands reach the bot: "socket" (an app token), "http" (a signing secret, Bolt on ``slack.listen``),
    or None: a bot token alone posts alerts, and commands are off."""
    settings = config.slack
    if settings is None:
        return None
    if settings.app_token is not None:
        return "socket"
    return "http" if settings.signing_secret is not None else None


async def _check_token(web: Any) -> None:
    """auth.test first: a refused token is said as such (the supervisor then tries again at its cap only)."""
    from bot.slack.post import translate

    try:
        await web.auth_test()
    except Exception as exc:  # translated at the one edge, like every Slack call
        error = translate(exc)
        if error.scope == "token":
            raise DeliveryError(f"Slack refused the bot token ({error}): check SLACK_BOT_TOKEN", "token") from exc
        raise DeliveryError(f"cannot reach Slack: {error}", error.scope, error.retry_after) from exc


SOCKET_LOST = 60.0  # seconds slack_sdk may take to bring a lost Socket Mode connection back before we start over


async def listen(config: Config, link: Link) -> None:
    """One life of the Slack listener for ``wirewatch run``, in Socket Mode or HTTP mode: returns or raises when
    it is lost; bot/chat/supervise.py starts it again with backoff. The link says whether it is connected."""
    settings = config.slack
    assert settings is not None and mode(config) is not None
    app = build_app(config)
    await _check_token(app.client)
    if mode(config) == "socket":
        await _socket_mode(app, settings.app_token.get_secret_value(), link)
    else:
        await _http_mode(app, settings.listen, settings.host_port, link)


async def _socket_mode(app: Any, app_token: str, link: Link) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.slack.post import translate

    try:  # a URL first, through our own call: slack_sdk's connect() retries every 5 s for ever, with tracebacks
        await app.client.apps_connections_open(app_token=app_token)
    except Exception as exc:
        error = translate(exc)
        raise DeliveryError(f"cannot open a Socket Mode connection: {error}", error.scope) from exc
    handler = AsyncSocketModeHandler(app, app_token, web_client=app.client, logger=_socket_log)
    try:
        try:
            await asyncio.wait_for(handler.connect_async(), 30)
        except TimeoutError:
            raise DeliveryError("the Socket Mode connection did not open within 30 s", "transient") from None
        log.info("slack: connected in Socket Mode")
        lost: float | None = None
        while True:  # slack_sdk brings a dropped connection back by itself; the link tells meanwhile
            session = getattr(handler.client, "current_session", None)
            if session is not None and not session.closed:
                lost = None
                link.connected()
            else:
                lost = lost or time.monotonic()
                if time.monotonic() - lost > SOCKET_LOST:
                    raise DeliveryError(f"the Socket Mode connection was lost for over {SOCKET_LOST:.0f} s")
            await asyncio.sleep(1)
    finally:
        await handler.close_async()


async def _http_mode(app: Any, listen_on: str, host_port: tuple[str, int], link: Link) -> None:
    from aiohttp import web as aioweb

    runner = aioweb.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    try:
        try:
            await aioweb.TCPSite(runner, *host_port).start()
        except OSError as exc:
            raise DeliveryError(f"cannot listen on {listen_on} (slack.listen): {exc.strerror or exc}") from exc
        log.info("slack: serving /slack/events on %s", listen_on)
        print(f"wirewatch: Slack commands at http://{listen_on}/slack/events", flush=True)
        link.connected()  # serving: Slack connects to us
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
