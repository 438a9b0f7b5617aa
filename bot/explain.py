"""``wirewatch explain TEXT_OR_URL``: which groups match, on which spelling, or what stopped them.

Users tune their groups with it: it shows the variant that fired ("Deir Al-Zour" for the term
"Deir ez-Zor"), and for a group that did not match, whether no term occurred, a required term was
missing, or an excluded term was found.
"""

from __future__ import annotations

import asyncio
import json
import sys

from bot.config import Config
from bot.console import clean
from bot.match import Matcher, article_text, spelling


def explain(config: Config, target: str, as_json: bool = False) -> int:
    text, where = _text_of(config, target)
    matcher = Matcher(config.keywords)
    explanations = matcher.explain(text)
    if as_json:
        for e in explanations:
            record = {
                "keyword": e.group,
                "matched": e.matched,
                "reason": e.reason or None,
                "hits": [
                    {
                        "term": h.term.text,
                        "found": h.found,
                        "start": h.start,
                        "end": h.end,
                        "spelling": spelling(h, text),
                    }
                    for h in e.hits
                ],
                "required": [{"term": h.term.text, "found": h.found} for h in e.required],
                "excluded": [{"term": h.term.text, "found": h.found} for h in e.excluded],
            }
            print(json.dumps(record, ensure_ascii=False))
        return 0
    print(f"{where}: {len(text)} characters, {sum(e.matched for e in explanations)} of "
          f"{len(explanations)} keyword groups match")  # fmt: skip
    for e in explanations:
        mark = "MATCH   " if e.matched else "no match"
        print(f"  {mark}  {e.group}" + ("" if e.matched else f": {e.reason}"))
        for hit in e.hits[:10]:
            how = spelling(hit, text)
            context = clean(text[max(0, hit.start - 40) : hit.end + 40])
            print(f'{"":12}term "{hit.term.text}" found "{clean(hit.found)}" ({how}) at {hit.start}: …{context}…')
        for hit in e.required[:3]:
            print(f'{"":12}required "{hit.term.text}" found "{clean(hit.found)}"')
        for hit in e.excluded[:3]:
            print(f'{"":12}excluded by "{hit.term.text}" found "{clean(hit.found)}"')
    return 0


def _text_of(config: Config, target: str) -> tuple[str, str]:
    if not target.startswith(("http://", "https://")):
        return target, "text"
    from bot.poll.telegram import preview_of

    if preview_of(target, config.sources) is not None:
        return _message_text(config, target), target
    from bot.extract.encoding import decode
    from bot.extract.pages import extract_article
    from bot.fetch import Fetcher, FetchSettings

    async def get():
        async with Fetcher(FetchSettings.from_config(config)) as fetcher:
            return await fetcher.get(target)

    response = asyncio.run(get())
    page = extract_article(decode(response.content, response.charset), response.url)
    print(f"{target}: extracted title and main text ({len(page.text)} characters)", file=sys.stderr)
    return article_text(page.title, page.text), target


def _message_text(config: Config, permalink: str) -> str:
    """A Telegram message's own text (never the message it quotes), read from its channel's preview page."""
    from bot.fetch import Fetcher, FetchSettings
    from bot.poll.telegram import preview_of, read_message

    preview, message_id = preview_of(permalink, config.sources)  # type: ignore[misc]

    async def get():
        async with Fetcher(FetchSettings.from_config(config)) as fetcher:
            return await read_message(fetcher, preview, message_id)

    message = asyncio.run(get())
    print(f"{permalink}: Telegram message, its own text ({len(message.text)} characters)", file=sys.stderr)
    return article_text(message.title, message.text)
