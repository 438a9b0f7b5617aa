"""``/wirewatch`` in Slack: slack-bolt's app, in Socket Mode or HTTP mode, over the shared command layer.

The listeners are thin (bot/commands/chat.py does the work): ack at once, so Slack's 3 seconds are
never at stake however slow a query is, then answer through ``respond`` (the command's response_url),
ephemeral, rendered here as Block Kit with every stored string made inert (bot/deliver/blocks.py).
HTTP mode serves Bolt's aiohttp app on ``slack.listen`` (127.0.0.1:3000 by default, never 0.0.0.0
unless configured); Bolt checks every request's v0 signature and timestamp and answers 401 otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any

from bot.commands.chat import Reply, answer, hits
from bot.config import Config
from bot.deliver import blocks
from bot.deliver.blocks import date_token, link, mrkdwn
from bot.errors import ConfigError, WirewatchError
from bot.store import from_iso

log = logging.getLogger(__name__)
COMMAND = "/wirewatch"
# Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that our client's token wins: it does.
_bolt_log = log.getChild("bolt")
_bolt_log.addFilter(lambda record: "will be unused" not in record.getMessage())


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[: blocks.SECTION], "verbatim": True}}


def _highlighted(snippet: str) -> str:
    """A search snippet with the hits in bold; the hit markers are split on before the text is made inert."""
    out = []
    for part, hit in hits(snippet):
        text = mrkdwn(part, 600)
        out.append(f"*{text}*" if hit and text.strip() else text)
    return "".join(out)


def _story_line(row: dict) -> str:
    seen = from_iso(row.get("last_seen"))
    groups = ", ".join(mrkdwn(k, 100) for k in row.get("keywords") or [])
    line = (
        f"*{link(row.get('url') or '', row.get('title') or row.get('url'), 300)}*\n"
        f"story {row['story']} · {mrkdwn(row.get('source'), 100)} · {row.get('sources', 1)} source"
        f"{'s' if row.get('sources', 1) != 1 else ''}{' · ' + groups if groups else ''}"
        f"{' · ' + date_token(seen) if seen else ''}"
    )
    if row.get("snippet"):
        line += "\n" + _highlighted(row["snippet"])
    return line


def render(reply: Reply) -> dict:
    """A Reply as response_url arguments: ephemeral Block Kit with a plain fallback."""
    title = f"*{mrkdwn(reply.title, 300)}*"
    parts = [_section(title)]
    if reply.kind == "stories":
        parts += [_section(_story_line(row)) for row in reply.rows[:40]]
    elif reply.kind == "story":
        row = reply.rows[0]
        parts.append(_section(_story_line(row)))
        for article in row.get("articles", [])[:40]:
            headline = link(article["url"], article.get("title") or article["url"], 300)
            seen = mrkdwn(article.get("seen"), 40)
            parts.append(_section(f"• {headline}\n{mrkdwn(article['source'], 100)} · seen {seen}"))
    elif reply.kind == "sources":
        lines = []
        for row in reply.rows:
            state = f"last error: {mrkdwn(row['last_error'], 200)}" if row["last_error"] else "ok"
            lines.append(f"• *{mrkdwn(row['name'], 100)}* ({row['type']}): {state} · last success "
                         f"{mrkdwn(row['last_ok'] or 'never', 40)} · {row['articles']} articles · next poll "
                         f"{mrkdwn(row['next_poll'] or 'at start', 40)}")  # fmt: skip
        parts += [_section("\n".join(lines[i : i + 15])) for i in range(0, len(lines), 15)][:45]
    elif reply.kind == "keywords":
        for row in reply.rows[:45]:
            terms = ", ".join(mrkdwn(t, 80) for t in row["terms"])
            muted = f" · muted until {mrkdwn(row['muted_until'], 40)}" if row["muted_until"] else ""
            parts.append(
                _section(f"• *{mrkdwn(row['name'], 100)}*: {terms}{' (exact)' if row['exact'] else ''}{muted}")
            )
    elif reply.kind == "status":
        for row in reply.rows[:45]:
            error = f" · last error: {mrkdwn(row['last_error'], 300)}" if row["last_error"] else ""
            parts.append(_section(f"• *{mrkdwn(row['channel'], 100)}*: {row['pending']} pending, {row['sent']} sent, "
                                  f"{row['failed']} failed, {row['muted']} muted{error}"))  # fmt: skip
    if reply.text:
        parts.append(_section(mrkdwn(reply.text, blocks.SECTION)))
    return {"response_type": "ephemeral", "text": mrkdwn(reply.title, 300), "blocks": parts[: blocks.MAX_BLOCKS]}


def _answer(config: Config, text: str, user: str, channel_id: str | None, channel_name: str | None) -> dict:
    admins = set(config.slack.admins) if config.slack else set()
    return render(answer(config, "slack", text, user, (channel_id, channel_name), user in admins))


def build_app(config: Config, web: Any = None):
    """Bolt's AsyncApp with the /wirewatch command and the alerts' overflow menu."""
    from slack_bolt.async_app import AsyncApp

    from bot.deliver.slack import client

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

    @app.action(blocks.MENU_ACTION)
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
    from bot.deliver.slack import translate

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
