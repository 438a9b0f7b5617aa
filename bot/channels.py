"""The configured chat channels, built by kind, and one drain of every outbox.

Channel kinds register by name (``KINDS``): a new chat is one package (post, render, listen) and one line
here. ``wirewatch check`` drains once after its cycle; ``wirewatch run`` drains after every poll.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from bot.chat.protocol import Chat
from bot.chat.sender import Drained, Policy, Sender
from bot.config import Channel, Config
from bot.errors import DeliveryError
from bot.store import Store


def _slack(config: Config, channel: Channel, clients: dict[str, Any]) -> Chat:
    from bot.slack.post import SlackChannel

    return SlackChannel(channel.id, channel.target, clients["slack"])  # connected by ``_connect``


def _matrix(config: Config, channel: Channel, clients: dict[str, Any]) -> Chat:
    from bot.matrix.post import MatrixRoom

    return MatrixRoom(channel.id, channel.target, clients["matrix"])  # connected by ``_connect``


KINDS: dict[str, Callable[[Config, Channel, dict[str, Any]], Chat]] = {"slack": _slack, "matrix": _matrix}


def build(config: Config, clients: dict[str, Any] | None = None) -> list[Chat]:
    """One chat per configured channel whose kind has a connected client in ``clients``."""
    clients = {} if clients is None else clients
    return [KINDS[c.kind](config, c, clients) for c in config.channels if c.kind in KINDS and c.kind in clients]


async def drain_all(config: Config, store: Store, policy: Policy | None = None,
                    only: str | None = None) -> list[Drained]:  # fmt: skip
    """Every channel's outbox drained once, the channels side by side (each keeps its own pace)."""
    clients: dict[str, Any] = {}
    try:
        results = await _connect(config, store, clients)
        chats = [chat for chat in build(config, clients) if only is None or chat.id == only]
        drains = (Sender(store, chat, config.digest_after, policy).drain() for chat in chats)
        return results + list(await asyncio.gather(*drains))
    finally:
        await _close(clients)


async def _connect(config: Config, store: Store, clients: dict[str, Any]) -> list[Drained]:
    """A client per chat kind in use; a chat whose login fails leaves its channels pending, with one line."""
    kinds = {channel.kind for channel in config.channels}
    if config.alerts_admin_channel is not None:
        kinds.add(config.alerts_admin_channel.kind)
    out: list[Drained] = []
    if "slack" in kinds:
        from bot.slack.post import client

        assert config.slack is not None  # the config's cross-checks demand the section
        clients["slack"] = client(config.slack.bot_token.get_secret_value(), config.slack.api_url)
    if "matrix" in kinds:
        from bot.matrix.post import connect

        try:
            clients["matrix"] = await connect(config.matrix, store)
        except DeliveryError as exc:
            out.append(Drained("matrix", errors=[f"matrix: {exc}; its alerts stay in the outbox"]))
    return out


async def notify(config: Config, store: Store, body: str) -> bool:
    """One plain message to ``alerts_admin_channel``; whether it was posted (it is tried again later if not)."""
    channel = config.alerts_admin_channel
    if channel is None:
        return False
    clients: dict[str, Any] = {}
    try:
        errors = await _connect(config, store, clients)
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
        close = getattr(client, "close", None)  # nio's client holds an aiohttp session; slack_sdk's does not
        if close is not None:
            await close()


def report(results: list[Drained], out=None) -> None:
    """One line per channel that had something to do or to say, on stderr."""
    out = out or sys.stderr
    for result in results:
        for error in result.errors:
            print(f"wirewatch: delivery: {error}", file=out)
        if result.sent or result.already or result.followups or result.left:
            parts = [f"{result.sent} alert{'s' if result.sent != 1 else ''} sent"]
            if result.already:
                parts.append(f"{result.already} found already posted")
            if result.followups:
                parts.append(f"{result.followups} thread repl{'ies' if result.followups != 1 else 'y'}")
            if result.left:
                parts.append(f"{result.left} still pending")
            print(f"wirewatch: delivery: {result.channel}: {', '.join(parts)}.", file=out)
