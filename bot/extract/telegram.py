"""A public Telegram channel's preview page (``https://t.me/s/<name>``) as its messages.

Telegram serves every public channel's last ~20 messages as plain HTML, without an account or an API key.
The markup, as public readers of these pages parse it (RSS-Bridge's bridges/TelegramBridge.php, and
others that saved real pages as test fixtures; tests/data/telegram/page.html says which):

    <link rel="prev" href="/s/<name>?before=<oldest id on the page>">     older messages exist
    <section class="tgme_channel_history js-message_history">             the channel's history
      <a class="tme_messages_more js-messages_more" data-before="<id>" href="/s/<name>?before=<id>">
      <div class="tgme_widget_message_wrap js-widget_message_wrap">       one per message, oldest first
        <div class="tgme_widget_message js-widget_message" data-post="<name>/<id>">  (+ service_message)
          <a class="tgme_widget_message_owner_name">                    the channel's name: not the message
          <div class="tgme_widget_message_forwarded_from">Forwarded from
            <a class="tgme_widget_message_forwarded_from_name" href="https://t.me/<origin>/<id>">
          <a class="tgme_widget_message_reply" href=...>                 the message it replies to:
            <div class="tgme_widget_message_metatext js-message_reply_text">  its quoted text, not ours
          <a class="tgme_widget_message_photo_wrap" style="background-image:url(...)">
          <a class="tgme_widget_message_video_player"> <time class="message_video_duration">
          <div class="tgme_widget_message_text js-message_text">        the message's own text, or the
                                                                          caption of its photo or video
          <a class="tgme_widget_message_link_preview">                   the linked page's teaser: not ours
          <span class="tgme_widget_message_views">4.4K</span>           the view counter: not ours
          <span class="tgme_widget_message_meta">[edited] <a class="tgme_widget_message_date"
            href="https://t.me/<name>/<id>"><time datetime="2026-11-20T08:15:00+00:00">

A name that is not a public channel (a private channel, a group, a user, a bot, no such name) has no
preview: ``/s/<name>`` redirects to the plain ``t.me/<name>`` page, which has no history and no messages.
This module only reads; ``bot/telegram.py`` decides which pages a poll reads. It runs in the worker pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from bot.extract.dates import parse_date
from bot.extract.html import Element, parse
from bot.models import Forwarded

TITLE_CHARS = 120  # a message has no headline: its opening paragraph, cut to this, stands for one

_MESSAGE = ".//div[@data-post and contains(concat(' ', normalize-space(@class), ' '), ' tgme_widget_message ')]"
_POST = re.compile(r"^\s*([A-Za-z0-9_]+)/(\d+)\s*$")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCKS = frozenset(("div", "p", "blockquote", "pre", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"))


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_OWN_TEXT = f".//*[{_has_class('js-message_text')}]"
_ANY_TEXT = f".//*[{_has_class('tgme_widget_message_text')}]"
_REPLY = f"ancestor::*[{_has_class('tgme_widget_message_reply')}]"
_FORWARDED = f".//*[{_has_class('tgme_widget_message_forwarded_from_name')}]"
_DATE_TIME = f".//*[{_has_class('tgme_widget_message_date')}]//time[@datetime]"
_META_TIME = f".//*[{_has_class('tgme_widget_message_meta')}]"
_PHOTO = f".//*[{_has_class('tgme_widget_message_photo_wrap')}]"
_VIDEO = f".//*[{_has_class('tgme_widget_message_video_player')}] | .//video"
_HISTORY = f"//*[{_has_class('tgme_channel_history')}]"
_MORE = f"//a[{_has_class('tme_messages_more')} and @data-before]"
_CHANNEL_TITLE = f"//*[{_has_class('tgme_channel_info_header_title')}]"


@dataclass(slots=True)
class Message:
    id: int
    channel: str  # as ``data-post`` spells it
    text: str  # its own text (or its photo's or video's caption), line breaks kept; "" for bare media
    published: datetime | None
    forwarded: Forwarded | None = None
    media: tuple[str, ...] = ()  # "photo", "video"
    edited: bool = False

    @property
    def url(self) -> str:
        """The message's permanent link, wherever the page was served from."""
        return f"https://t.me/{self.channel}/{self.id}"

    @property
    def title(self) -> str:
        """Its opening, cut at a word: a message has no headline."""
        return title_of(self.text)


@dataclass(slots=True)
class ChannelPage:
    url: str
    is_channel: bool  # a channel's history at all (a page without one: no public channel by that name)
    title: str = ""  # the channel's name, as its header shows it
    messages: list[Message] = field(default_factory=list)  # readable messages, oldest first
    ids: list[int] = field(default_factory=list)  # every message id on the page, service messages included
    before: str | None = None  # absolute URL of the page of older messages, when there are older messages

    @property
    def newest(self) -> int | None:
        return max(self.ids) if self.ids else None

    @property
    def oldest(self) -> int | None:
        return min(self.ids) if self.ids else None


def parse_channel_page(markup: str, url: str) -> ChannelPage:
    """The messages of a preview page, oldest first, each with its own text only."""
    root = parse(markup)
    messages: dict[int, Message] = {}
    ids: set[int] = set()
    for tag in root.xpath(_MESSAGE):
        post = _POST.match(tag.get("data-post") or "")
        if not post:
            continue
        ids.add(int(post.group(2)))
        if "service_message" in (tag.get("class") or "").split():  # "Channel created", "pinned a message"
            continue
        message = _message(tag, post.group(1), int(post.group(2)))
        if message.text and message.id not in messages:
            messages[message.id] = message
    history = bool(root.xpath(_HISTORY))
    titles = root.xpath(_CHANNEL_TITLE)
    return ChannelPage(
        url=url,
        is_channel=history or bool(ids),
        title=_inline(titles[0]) if titles else "",
        messages=[messages[i] for i in sorted(messages)],
        ids=sorted(ids),
        before=_before(root, url),
    )


def _message(tag: Element, channel: str, id_: int) -> Message:
    body = _own_text(tag)
    forwarded = None
    names = tag.xpath(_FORWARDED)
    if names:
        href = (names[0].get("href") or "").strip()
        forwarded = Forwarded(_inline(names[0]), href if href.startswith(("https://", "http://")) else None)
    media = tuple(kind for kind, path in (("photo", _PHOTO), ("video", _VIDEO)) if tag.xpath(path))
    # the message's own date: a video's duration is a <time> too, without a datetime
    times = tag.xpath(_DATE_TIME) or tag.xpath(f"{_META_TIME}//time[@datetime]") or tag.xpath(".//time[@datetime]")
    metas = tag.xpath(_META_TIME)
    edited = bool(metas) and "edited" in " ".join(metas[0].itertext()).lower()
    return Message(
        id=id_,
        channel=channel,
        text=text_of(body) if body is not None else "",
        published=parse_date(times[0].get("datetime")) if times else None,
        forwarded=forwarded,
        media=media,
        edited=edited,
    )


def _own_text(tag: Element) -> Element | None:
    """The message's own text block: never the quoted text of the message it replies to (the reply block
    carries a text block too), nor a link preview's teaser. An album caption nests a second text block in
    the first: the outermost one is taken, whole."""
    for path in (_OWN_TEXT, _ANY_TEXT):
        for candidate in tag.xpath(path):
            classes = (candidate.get("class") or "").split()
            if "js-message_reply_text" in classes or candidate.xpath(_REPLY):
                continue
            return candidate
    return None


def text_of(tag: Element) -> str:
    """The text under ``tag`` with its line breaks: ``<br>`` and block ends are new lines (a name written
    across two lines is two words on two lines, never one glued word); spaces within a line are folded;
    emoji are their characters (``<i class="emoji"><b>🔥</b></i>``); links keep their words."""
    parts: list[str] = []
    stack: list[tuple[Element, bool]] = [(tag, False)]
    while stack:
        node, closing = stack.pop()
        name = node.tag
        if closing:
            if name in _BLOCKS and node is not tag:
                parts.append("\n")
            if node is not tag and node.tail:
                parts.append(node.tail)
            continue
        if not isinstance(name, str):  # a comment: only its tail is text
            if node.tail and node is not tag:
                parts.append(node.tail)
            continue
        if name == "br":
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def title_of(text: str) -> str:
    """A message's opening paragraph on one line (a line break inside it is a space), cut at a word."""
    paragraph = next((p for p in text.split("\n\n") if p.strip()), "")
    line = " ".join(paragraph.split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] if " " in line[:TITLE_CHARS] else line[:TITLE_CHARS]
    return cut.rstrip(" ,;:-–—") + " …"


def _inline(tag: Element) -> str:
    return _SPACES.sub(" ", " ".join(tag.itertext())).strip()


def _before(root: Element, url: str) -> str | None:
    """The page of older messages: ``<link rel="prev">``, else the "load more" link (never rel=canonical,
    which is this page itself)."""
    for link in root.iter("link"):
        if "prev" in (link.get("rel") or "").lower().split() and link.get("href"):
            return urljoin(url, link.get("href").strip())
    more = root.xpath(_MORE)
    if more:
        href = (more[0].get("href") or "").strip()
        return urljoin(url, href) if href else None
    return None
