"""A Slack channel for the outbox: post a message, find one already posted, and Slack's errors translated.

Posting goes through slack_sdk's ``AsyncWebClient`` (the client slack-bolt uses) with its own retries off:
the outbox decides when to retry, and it looks in the channel first (message metadata carries the alert
ids), so a request that reached Slack before its answer was lost is never posted twice.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.chat.protocol import Message, transport_error
from bot.errors import DeliveryError
from bot.slack import render

# Slack's error codes by what they cover (docs.slack.dev/reference/methods/chat.postMessage#errors).
_CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "restricted_action"}
_TOKEN_BAD = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope",
              "no_permission", "team_access_not_granted", "ekm_access_denied", "org_login_required"}  # fmt: skip
_TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def client(bot_token: str, api_url: str):
    """The Web API client: the configured base URL (tests point it at a local fake), no retries of its own."""
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(token=bot_token, base_url=api_url.rstrip("/") + "/", timeout=30, retry_handlers=[])


def translate(exc: BaseException) -> DeliveryError:
    """Any failure of a Slack call as a DeliveryError with its scope; the one edge where Slack's errors enter."""
    from slack_sdk.errors import SlackApiError, SlackRequestError

    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"HTTP {status}")
        if status == 429:
            retry = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after") or "1"
            try:
                after = float(retry)
            except ValueError:
                after = 1.0
            return DeliveryError(f"rate limited (Retry-After {retry})", "rate", after)
        if error in _CHANNEL_GONE:
            return DeliveryError(error, "channel")
        if error in _TOKEN_BAD:
            return DeliveryError(error, "token")
        if status >= 500 or error in _TRANSIENT:
            return DeliveryError(f"Slack answered {status} {error}".strip(), "transient")
        return DeliveryError(error, "message")
    if isinstance(exc, SlackRequestError):
        return DeliveryError(str(exc), "message")
    return DeliveryError(transport_error(exc), "transient")


class SlackChannel:
    """One ``channels: - slack: ...`` entry: ``target`` is a channel id (C0123...) or name (#alerts)."""

    kind = "slack"

    def __init__(self, outbox_id: str, target: str, web: Any) -> None:
        self.id = outbox_id
        self.target = target
        self.web = web
        self._channel: str | None = target if _CHANNEL_ID.match(target) else None

    render_alert = staticmethod(render.alert_message)
    render_digest = staticmethod(render.digest_messages)
    render_followup = staticmethod(render.followup_message)
    render_notice = staticmethod(render.notice_message)
    render_brief = staticmethod(render.brief_message)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.web, method)(**kwargs)
        except DeliveryError:
            raise
        except Exception as exc:  # slack_sdk, aiohttp and the network raise many kinds: all are translated
            raise translate(exc) from exc

    async def channel_id(self) -> str:
        """The id of a channel configured by name (conversations.list, public and private, paged)."""
        if self._channel:
            return self._channel
        name = self.target.lstrip("#").lower()
        cursor = None
        while True:
            page = await self._call("conversations_list", types="public_channel,private_channel",
                                    exclude_archived=False, limit=1000, cursor=cursor)  # fmt: skip
            for channel in page.get("channels", []):
                if channel.get("name", "").lower() == name:
                    if channel.get("is_archived"):
                        raise DeliveryError("is_archived", "channel")
                    self._channel = channel["id"]
                    return self._channel
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise DeliveryError(f"channel_not_found: no channel named #{name} is visible to the bot", "channel")

    async def post(self, message: Message, thread: str | None = None) -> str:
        channel = await self.channel_id()
        extra = {"thread_ts": json.loads(thread)["ts"]} if thread else {}
        response = await self._call("chat_postMessage", channel=channel, **message.body, **render.POST_DEFAULTS,
                                    **extra)  # fmt: skip
        return json.dumps({"channel": response.get("channel") or channel, "ts": response["ts"]})

    async def find(
        self, event_type: str, key: str, ids: set[int], since: str, thread: str | None = None
    ) -> dict[int, str]:
        """Which of ``ids`` a message posted since ``since`` already carries: id -> that message's receipt."""
        channel = await self.channel_id()
        found: dict[int, str] = {}
        cursor = None
        for _ in range(10):  # 2,000 messages back at most: the crash window is minutes, not days
            if thread:
                page = await self._call("conversations_replies", channel=channel, ts=json.loads(thread)["ts"],
                                        oldest=since, limit=200, include_all_metadata=True, cursor=cursor)  # fmt: skip
            else:
                page = await self._call("conversations_history", channel=channel, oldest=since, limit=200,
                                        include_all_metadata=True, cursor=cursor)  # fmt: skip
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") != event_type:
                    continue
                carried = set((metadata.get("event_payload") or {}).get(key) or [])
                for item in carried & ids:
                    found[item] = json.dumps({"channel": channel, "ts": message["ts"]})
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor or found.keys() >= ids:
                break
        return found
