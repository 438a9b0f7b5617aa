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
from contextlib import asynccontextmanager
from typing import Any

from bot.chat.commands import answer
from bot.config import Config
from bot.errors import ConfigError, WirewatchError
from bot.slack import render

log = logging.getLogger(__name__)
COMMAND = "/wirewatch"
# Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that our client's token wins: it does.
_bolt_log = log.getChild("bolt")
_bolt_log.addFilter(lambda record: "will be unused" not in record.getMessage())


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


async def _check_token(web: Any) -> None:
    """auth.test at start: a refused token stops `run` with one line; a passing failure only warns."""
    from bot.slack.post import translate

    try:
        await web.auth_test()
    except Exception as exc:  # translated at the one edge, like every Slack call
        error = translate(exc)
        if error.scope == "token":
            raise WirewatchError(f"Slack refused the bot token ({error}): check SLACK_BOT_TOKEN") from exc
        log.warning("slack: auth.test failed (%s); going on, commands may fail until Slack answers", error)


@asynccontextmanager
async def listening(config: Config):
    """The Slack listener for ``wirewatch run``: Socket Mode with an app token, else HTTP mode on ``listen``.

    Yields a callable that says whether the listener is connected (for /healthz)."""
    settings = config.slack
    if settings is None:
        yield None
        return
    app = build_app(config)
    await _check_token(app.client)
    if settings.app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.app_token.get_secret_value(), web_client=app.client)
        await handler.connect_async()
        log.info("slack: connected in Socket Mode")

        def up() -> bool:
            session = getattr(handler.client, "current_session", None)
            return session is not None and not session.closed

        try:
            yield up
        finally:
            await handler.close_async()
        return
    if settings.signing_secret is None:
        raise ConfigError(f"{config.path}: slack.signing_secret: HTTP mode (no slack.app_token) needs the signing "
                          "secret, to check that requests come from Slack")  # fmt: skip
    from aiohttp import web as aioweb

    runner = aioweb.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    host, port = settings.host_port
    site = aioweb.TCPSite(runner, host, port)
    await site.start()
    log.info("slack: serving /slack/events on %s:%s", host, port)
    print(f"wirewatch: Slack commands at http://{settings.listen}/slack/events", flush=True)
    try:
        yield lambda: True  # serving: Slack connects to us
    finally:
        await runner.cleanup()
