"""Scraped text made inert before any chat sees it: no mention, no link, nothing invisible.

A headline or a snippet is written by whoever runs the site, or by whoever broke into it. In a chat
message it could ping a whole channel (``@channel``, ``@room``), smuggle a link, or hide either behind
invisible characters, full-width look-alikes or direction overrides. So every piece of scraped text
goes through ``inert`` first, whatever the chat: Unicode compatibility forms are folded (``＠`` is
``@``, ``ｈｔｔｐ`` is ``http``), invisible and control characters are dropped, then what could still
act is defanged the way analysts defang indicators: ``hxxps://evil[.]example``, ``＠channel``. Each chat's
renderer then escapes its own markup (bot/slack/render.py for mrkdwn, bot/matrix/render.py for HTML).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

# Fillers that render as nothing although Unicode does not class them as format characters.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180e")
# Any scheme followed by //, and the schemes that act without it (a "note: the rest" stays as it is).
_SCHEME = re.compile(
    r"(?i)\b([a-z][a-z0-9+.-]{1,30}):(//)(?=\S)|"
    r"\b(mailto|javascript|vbscript|data|matrix|tel|sms|file|magnet|tg|irc|xmpp|sip):()(?=\S)"
)
# A host name: labels of letters, digits or hyphens, dot-separated, ending in a label of letters.
_HOST = re.compile(r"(?<![\w.-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])")


def _visible(char: str) -> bool:
    if char in _FILLERS:
        return False
    category = unicodedata.category(char)
    # Cf: zero-width space/joiners, direction marks, overrides and isolates, soft hyphen, BOM, tag chars;
    # Cc: controls; Co/Cn: private use and unassigned (no font shows them, a parser might)
    return category not in ("Cf", "Cc", "Co", "Cn") and not 0xFE00 <= ord(char) <= 0xFE0F


def plain(text: str | None) -> str:
    """One line: compatibility forms folded, invisible characters dropped, whitespace folded."""
    folded = unicodedata.normalize("NFKC", text or "")
    if not folded.isascii():
        folded = "".join(char if char.isspace() or _visible(char) else "" for char in folded)
    return " ".join(folded.split())


def _scheme(match: re.Match) -> str:
    scheme, slashes = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), "")
    if scheme.lower() in ("http", "https"):
        return scheme[0] + "xx" + scheme[3:] + ":" + slashes
    return f"{scheme}[:]{slashes}"


def defang(text: str) -> str:
    """``text`` (already ``plain``) with every link-like and mention-like piece disarmed."""
    text = _SCHEME.sub(_scheme, text)
    text = _HOST.sub(lambda m: m.group(0).replace(".", "[.]"), text)
    return text.replace("@", "＠")


def inert(text: str | None) -> str:
    return defang(plain(text))


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - 1)]
    space = head.rfind(" ")
    if space > limit * 0.6:
        head = head[:space]
    return head.rstrip() + "…"


def article_url(url: str) -> str | None:
    """An http(s) URL with every character that could end or split a link (``|<>"`` spaces ...) percent-encoded;
    None for anything else (javascript:, matrix:, a bare word). Each chat escapes the result for its markup."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._")


def marked(text: str, mark: tuple[int, int] | None) -> tuple[str, str, str] | None:
    """``text`` made inert in three pieces: before ``mark`` (the spelling that fired), the spelling, after it; a
    space at a piece's edge is kept, so the highlighted spelling stays a word of its own. None when there is
    nothing to mark, or when cutting would change what ``inert`` makes of the whole: a link or a mention that
    straddles a cut (``evil`` + ``.example``) is then not defanged piecewise, so the caller shows the whole,
    inert, without a highlight."""
    if not mark or not 0 <= mark[0] < mark[1] <= len(text):
        return None
    start, end = mark
    pieces = [_plain_keeping_edges(piece) for piece in (text[:start], text[start:end], text[end:])]
    if not pieces[1].strip():
        return None
    before, spelling, after = (defang(piece) for piece in pieces)
    if before + spelling + after != defang("".join(pieces)):
        return None
    return before.lstrip(), spelling, after.rstrip()


def _plain_keeping_edges(piece: str) -> str:
    core = plain(piece)
    if not core:
        return " " if piece else ""
    return (" " if piece[0].isspace() else "") + core + (" " if piece[-1].isspace() else "")
