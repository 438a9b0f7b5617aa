"""The configured chat channels, built by kind, and one drain of every outbox.

Channel kinds register by name (``KINDS``): a new chat is one package (post, render, listen) and one line
here. ``wirewatch check`` drains once after its cycle; ``wirewatch run`` runs a sender per channel
(``send_forever``) and each chat's listener (``listeners``), each supervised by bot/chat/supervise.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.chat.link import Link
from bot.chat.protocol import Chat
from bot.chat.sender import Drained, Policy, Sender
from bot.chat.supervise import Backoff, describe, refused
from bot.config import Channel, Config
from bot.errors import DeliveryError
from bot.store import Store

log = logging.getLogger(__name__)


def _slack(config: Config, channel: Channel, clients: dict[str, Any]) -> Chat:
    from bot.slack.post import SlackChannel

    return SlackChannel(channel.id, channel.target, clients["slack"])  # connected by ``_connect``


def _matrix(config: Config, channel: Channel, clients: dict[str, Any]) -> Chat:
    from bot.matrix.post import MatrixRoom

    return MatrixRoom(channel.id, channel.target, clients["matrix"])  # connected by ``_connect``


def _webhook(config: Config, channel: Channel, clients: dict[str, Any]) -> Chat:
    from bot.hooks import webhook

    return webhook.make(channel, clients["webhook"])


def _apprise(config: Config, channel: Channel, clients: dict[str, Any]) -> Chat:
    from bot.hooks import notify

    return notify.make(channel)


KINDS: dict[str, Callable[[Config, Channel, dict[str, Any]], Chat]] = {
    "slack": _slack, "matrix": _matrix, "webhook": _webhook, "apprise": _apprise,
}  # fmt: skip


def build(config: Config, clients: dict[str, Any], channels: list[Channel]) -> list[Chat]:
    """One chat per channel whose kind has a connected client in ``clients``."""
    return [KINDS[c.kind](config, c, clients) for c in channels if c.kind in KINDS and c.kind in clients]


async def drain_all(config: Config, store: Store, policy: Policy | None = None,
                    only: str | None = None) -> list[Drained]:  # fmt: skip
    """Every channel's outbox (or ``only`` that one's) drained once, the channels side by side (each keeps its
    own pace)."""
    channels = [c for c in config.channels if only is None or c.id == only]
    clients: dict[str, Any] = {}
    try:
        results = await _connect(config, store, clients, {c.kind for c in channels}, channels)
        drains = (Sender(store, chat, config.digest_after, policy).drain() for chat in build(config, clients, channels))
        return results + list(await asyncio.gather(*drains))
    finally:
        await _close(clients)


async def _connect(config: Config, store: Store, clients: dict[str, Any], kinds: set[str],
                   channels: list[Channel]) -> list[Drained]:  # fmt: skip
    """A client per chat kind in ``kinds``; a chat whose login fails leaves its channels pending, with one line
    (and the failure as each one's ``problem``)."""
    out: list[Drained] = []
    if "slack" in kinds:
        from bot.slack.post import client

        assert config.slack is not None  # the config's cross-checks demand the section
        clients["slack"] = client(config.slack.bot_token.get_secret_value(), config.slack.api_url)
    if "webhook" in kinds:
        from bot.hooks import webhook

        clients["webhook"] = webhook.client(config.user_agent)
    if "apprise" in kinds:
        clients["apprise"] = None  # each channel holds its own Apprise object
    if "matrix" in kinds:
        from bot.matrix.post import connect

        try:
            clients["matrix"] = await connect(config.matrix, store)
        except DeliveryError as exc:
            out += [Drained(c.id, errors=[f"{c.id}: {exc}; its alerts stay in the outbox"], problem=exc)
                    for c in channels if c.kind == "matrix"]  # fmt: skip
    return out


@contextlib.asynccontextmanager
async def connected(config: Config, store: Store, channel: Channel):
    """``(chat, None)`` for one channel, its client open for the block; ``(None, problem)`` when its chat's login
    failed (a Drained that says why)."""
    clients: dict[str, Any] = {}
    try:
        failed = await _connect(config, store, clients, {channel.kind}, [channel])
        chats = build(config, clients, [channel])
        yield (chats[0], None) if chats else (None, failed[0] if failed else Drained(channel.id))
    finally:
        await _close(clients)


async def notify(config: Config, store: Store, body: str) -> bool:
    """One plain message to ``alerts_admin_channel``; whether it was posted (it is tried again later if not)."""
    channel = config.alerts_admin_channel
    if channel is None:
        return False
    clients: dict[str, Any] = {}
    try:
        errors = await _connect(config, store, clients, {channel.kind}, [channel])
        if errors or channel.kind not in clients:
            return False
        chat = KINDS[channel.kind](config, channel, clients)
        await chat.post(chat.render_notice(body))
        return True
    except DeliveryError as exc:
        print(f"wirewatch: admins' channel {channel.id}: {exc}", file=sys.stderr)
        return False
    finally:
        await _close(clients)


async def _close(clients: dict[str, Any]) -> None:
    for client in clients.values():
        # nio's client holds an aiohttp session (close), httpx's a pool (aclose); slack_sdk's holds none
        close = getattr(client, "aclose", None) or getattr(client, "close", None)
        if close is not None:
            await close()


def report(results: list[Drained], out=None, problems: bool = True) -> None:
    """One line per channel that had something to do or to say, on stderr. ``problems=False`` (the service, whose
    chat links say once when a channel fails and when it is back): leaves out what stopped a drain (the last of
    its errors) and a line that says only what is still pending."""
    out = out or sys.stderr
    for result in results:
        errors = result.errors[:-1] if result.problem is not None and not problems else result.errors
        for error in errors:
            print(f"wirewatch: delivery: {error}", file=out)
        if result.briefs:
            print(f"wirewatch: delivery: {result.channel}: the day's brief posted.", file=out)
        if result.sent or result.already or result.followups or (result.left and problems):
            parts = [f"{result.sent} alert{'s' if result.sent != 1 else ''} sent"]
            if result.already:
                parts.append(f"{result.already} found already posted")
            if result.followups:
                parts.append(f"{result.followups} thread repl{'ies' if result.followups != 1 else 'y'}")
            if result.left:
                parts.append(f"{result.left} still pending")
            print(f"wirewatch: delivery: {result.channel}: {', '.join(parts)}.", file=out)


# ------------------------------------------------------------------------- the service's chat tasks


def listeners(config: Config) -> list[tuple[Link, Callable[[Link], Awaitable[None]] | None]]:
    """Each chat's listener that the config sets up: its link and what runs it; a Slack section with a bot token
    alone runs none (its link is ``off``, and says so once)."""
    out: list[tuple[Link, Callable[[Link], Awaitable[None]] | None]] = []
    if config.slack is not None:
        from bot.slack import listen as slack

        link = Link("slack")
        if slack.mode(config) is None:
            link.off("alerts are posted with the bot token; commands are off (set slack.app_token for Socket "
                     "Mode, or slack.signing_secret for HTTP mode, to answer /wirewatch)")  # fmt: skip
        out.append((link, functools.partial(slack.listen, config) if link.state != "off" else None))
    if config.matrix is not None:
        from bot.matrix import listen as matrix

        out.append((Link("matrix"), functools.partial(matrix.listen, config)))
    return out


async def send_forever(config: Config, store: Store, channel: Channel, link: Link, wake: asyncio.Event,
                       drained: Callable[[list[Drained]], None], every: float = 30.0) -> None:  # fmt: skip
    """One channel's sender for ``wirewatch run``: drains its outbox at start (what a crash left), whenever
    ``wake`` is set (a poll raised alerts) and every ``every`` seconds; after a failure that stopped a drain, it
    waits its backoff (bot/chat/supervise.py), whatever ``wake`` says, so a chat that is down is not hammered."""
    backoff = Backoff()
    while True:
        wake.clear()
        try:
            results = await drain_all(config, store, only=channel.id)
        except Exception as exc:  # a bug in delivery must not stop polling: one line, and the backoff
            log.debug("delivery to %s failed", channel.id, exc_info=True)
            results = [Drained(channel.id, problem=DeliveryError(describe(exc)))]
        drained(results)
        problem = next((r.problem for r in results if r.problem is not None), None)
        if problem is None:
            link.connected()
            backoff.reset()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), every)
            continue
        wait = max(backoff.next(refused(problem)), problem.retry_after or 0.0)
        link.failed(str(problem), wait, refused(problem))
        await asyncio.sleep(wait)
