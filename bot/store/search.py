"""``wirewatch search``, ``/wirewatch search``, ``!wirewatch search``: stored articles that name something, in
every spelling and both scripts the alerts would match, newest first, one row per story.

A query is words, "phrases", AND / OR / NOT, parentheses and prefix*, as in FTS5; but a plain word, a name
typed without quotes (Deir ez-Zor), an apostrophe (Asa'ib), a hyphen or a quote left open is never a syntax
error: each word or phrase (a *leaf*) is quoted before SQLite sees it. Consecutive plain words that a configured
keyword group reads as one name are one leaf (Deir ez-Zor is the name, not Deir AND ez AND Zor).

Each leaf is looked up twice, and the two lists merged newest first:

- in the text index (``articles_fts``): the leaf as written, as FTS5 reads it;
- in the key index (``article_keys``, schema 7): the leaf's spellings as the matcher derives them
  (bot/text/variants.py), and, when the leaf names a configured keyword group, every spelling of every one of
  that group's terms (search Bukamal finds al-Boukamal and البوكمال). The key index holds each article's loose
  key stream (bot/text/normalise.py), so a spelling is a phrase of keys; what it finds is then confirmed by
  the matcher on the article's own text, which also gives the snippet.

A prefix* leaf has no spellings to derive: a query with one is looked up in the text index only.
"""

from __future__ import annotations

import heapq
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import QueryError
from bot.match import Matcher, search_keys, snippet
from bot.models import Group, Match
from bot.store.queries import story, with_articles
from bot.text.normalise import fold, is_arabic, key, loose_word, single, skeleton, words
from bot.text.variants import ARTICLE_WORDS

if TYPE_CHECKING:
    from bot.store.db import Store

_TOKENS = re.compile(r'"((?:[^"]|"")*)(?:"(\*?)|$)|(\()|(\))|([^\s()"]+)')  # a quote left open closes at the end
OPERATORS = ("AND", "OR", "NOT")


@dataclass(slots=True)
class Leaf:
    text: str
    prefix: bool = False  # text*: FTS5's prefix query, in the text index only
    quoted: bool = False  # "text": as typed, unless it is a configured group's name


Item = Leaf | str  # a leaf, an operator or a parenthesis


_ARTICLE_KEYS = frozenset({key(w).strip("#") for w in ARTICLE_WORDS} | {loose_word(w) for w in ARTICLE_WORDS})


def parse(query: str, names: Matcher | None = None) -> list[Item]:
    """The query as leaves, operators and parentheses; plain words in a row that ``names`` reads as one name
    (a configured keyword group's) are one leaf."""
    items: list[Item] = []
    run: list[str] = []

    def flush() -> None:
        items.extend(_runs(run, names))
        run.clear()

    for phrase, star, opened, closed, word in _TOKENS.findall(query):
        if word and word in OPERATORS:
            flush()
            items.append(word)
        elif word and word.endswith("*") and word.strip("*"):
            flush()
            items.append(Leaf(word.rstrip("*"), prefix=True))
        elif word:
            run.append(word)
        else:
            flush()
            if opened or closed:
                items.append(opened or closed)
            elif phrase.strip():
                items.append(Leaf(phrase.replace('""', '"'), prefix=bool(star), quoted=True))
    flush()
    return items


def _runs(words: list[str], names: Matcher | None) -> list[Leaf]:
    """Plain words: each one a leaf, but the longest run of them that is a name."""
    out: list[Leaf] = []
    i = 0
    while i < len(words):
        for j in range(len(words), i + 1, -1):
            text = " ".join(words[i:j])
            if names is not None and any(hit.start == 0 and hit.end == len(text) for hit in names.find(text)):
                out.append(Leaf(text))
                i = j
                break
        else:
            out.append(Leaf(words[i]))
            i += 1
    return out


def _is_name(leaf: Leaf, names: Matcher | None) -> bool:
    """Whether ``leaf`` may be a name, to be read in every spelling: a configured group's; else, unless it is
    in quotes (which ask for the words as typed), a capitalised word or one in another script than English's
    (Arabic has no capitals). Everyday words are searched as typed: in every spelling they would cost a second
    index's search for nothing."""
    if names is not None and any(h.end - h.start >= 0.8 * len(leaf.text) for h in names.find(leaf.text)):
        return True
    return not leaf.quoted and (not leaf.text.isascii() or any(word[:1].isupper() for word in leaf.text.split()))


def _as_typed(leaf: Leaf) -> str:
    """A word that is not a name, in the key index: its own keys, as a phrase."""
    keys = key(fold(leaf.text)).strip("#")
    return '"' + keys.replace("#", " ") + '"' if keys else ""


def _quoted(leaf: Leaf) -> str:
    return '"' + leaf.text.replace('"', '""') + '"' + ("*" if leaf.prefix else "")


def text_query(items: list[Item]) -> str:
    """The FTS5 query of the text index: every leaf quoted."""
    return " ".join(_quoted(item) if isinstance(item, Leaf) else item for item in items)


def spellings(leaf: Leaf, groups: list[Group], names: Matcher | None) -> Matcher:
    """A matcher for every spelling of ``leaf``: its own, and, when it names configured keyword groups, every
    spelling of each of their terms."""
    terms = [leaf.text]
    if names is not None:
        named = {hit.term.group for hit in names.find(leaf.text) if hit.end - hit.start >= 0.8 * len(leaf.text)}
        terms += [term for group in groups if group.name in named for term in group.terms]
    return Matcher([Group(leaf.text, tuple(dict.fromkeys(terms)))])


def key_phrases(matcher: Matcher) -> str:
    """The FTS5 query of the key index that finds any of ``matcher``'s spellings: an OR of key phrases."""
    sequences = {tuple(p.strip("#").split("#")) for term in matcher.terms for p in term.patterns | term.loose_patterns}
    sequences = {s for s in sequences if any(k and k not in _ARTICLE_KEYS for k in s)}  # never an article alone
    kept: set[tuple[str, ...]] = set()
    for sequence in sorted(sequences, key=len):  # a phrase that holds a shorter one adds no article
        n = len(sequence)
        if not any(sequence[i:j] in kept for i in range(n) for j in range(i + 1, n + 1)):
            kept.add(sequence)
    return "(" + " OR ".join(sorted('"' + " ".join(s) + '"' for s in kept)) + ")" if kept else ""


def named(query: str, groups: Iterable[Group]) -> list[Group]:
    """The keyword groups ``query`` may name: those with a term whose consonants it holds, in any script's
    spelling (a term's consonants are the same in Deyrizor, Deir ez-Zor and Дейр-эз-Зор). Compiling a group
    costs milliseconds a term; a query names one group or two of a config's hundreds."""
    held = _consonants(query)
    return [g for g in groups if any((c := _consonants(t)) and c in held for t in g.terms)]


def _consonants(text: str) -> str:
    """A text's consonants, the article off each word (al-Bukamal, Albukamal and Bukamal are one)."""
    parts = []
    for word in words(fold(text)):
        if is_arabic(word):
            parts.append(skeleton(word))
        elif word not in ARTICLE_WORDS:
            word = word[2:] if word[:2] in ("al", "el") and len(word) > 4 and word[2] not in "aeiou" else word
            parts.append(_VOWELS_AND_GLIDES.sub("", loose_word(word)))
    return single("".join(parts))


_VOWELS_AND_GLIDES = re.compile("[VAIOWj]")


def search(store: Store, query: str, limit: int = 20, articles: bool = False, marks: tuple[str, str] = ("[", "]"),
           groups: Iterable[Group] = ()) -> list[dict]:  # fmt: skip
    """Stories with an article that answers ``query``, the story with the newest such article first.

    Newest first, not best first (bm25), because that is what someone watching the news asks of a search (the
    latest on a name, like ``recent``), and because it is cheap whatever the query: FTS5 walks its index in
    rowid order, so the rows are read newest first and reading stops at the ``limit``-th story."""
    groups = named(query, groups)
    names = Matcher(groups) if groups else None
    items = parse(query, names)
    leaves = [item for item in items if isinstance(item, Leaf)]
    if not leaves:
        raise QueryError(f'cannot search for "{query}": there is nothing to look for')
    keyed: list[tuple[str, list[Matcher]]] = []
    named_leaves = [leaf for leaf in _positive(items) if _is_name(leaf, names)]
    if named_leaves and not any(leaf.prefix for leaf in leaves):
        matchers = {id(leaf): spellings(leaf, groups, names) for leaf in leaves if _is_name(leaf, names)}
        phrases = {id(leaf): key_phrases(matchers[id(leaf)]) if id(leaf) in matchers else _as_typed(leaf)
                   for leaf in leaves}  # fmt: skip
        if all(phrases.values()):
            expression = " ".join(phrases[id(i)] if isinstance(i, Leaf) else i for i in items)
            keyed.append((expression, [matchers[id(leaf)] for leaf in named_leaves]))
    text = text_query(items)
    newest: dict[int, int] = {}  # story -> its newest matching article, newest first
    found_by: dict[int, Match | None] = {}  # that article -> the spelling the key index found (None: the text)
    try:
        streams = [_text_hits(store, text)] + [_key_hits(store, expression, positive) for expression, positive in keyed]
        for article_id, story_id, match in _newest_first(streams):
            if story_id is not None and story_id not in newest:
                newest[story_id] = article_id
                found_by[article_id] = match
                if len(newest) >= limit:
                    break
    except sqlite3.OperationalError as exc:
        message = str(exc).removeprefix("fts5: ")
        raise QueryError(
            f'cannot search for "{query}": {message}. Use AND / OR / NOT between words and phrases, and close '
            "each ( and each quote"
        ) from exc
    rows, best = [], []
    for story_id, article_id in newest.items():
        row = story(store, story_id, members=False)
        if row:
            rows.append(row)
            best.append(article_id)
    texts = _snippets(store, text, [i for i in best if found_by[i] is None], marks)
    for row, article_id in zip(rows, best, strict=True):
        match = found_by[article_id]
        row["snippet"] = texts.get(article_id, "") if match is None else _around(store, article_id, match, marks)
    return with_articles(store, rows) if articles else rows


def _positive(items: list[Item]) -> list[Leaf]:
    """The leaves an answer must contain one of (not those after NOT)."""
    out, negated = [], False
    for item in items:
        if item == "NOT":
            negated = True
        elif isinstance(item, Leaf):
            if not negated:
                out.append(item)
            negated = False
    return out


def _text_hits(store: Store, query: str) -> Iterator[tuple[int, int | None, Match | None]]:
    cursor = store.db.execute(
        "SELECT a.id, a.story_id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY articles_fts.rowid DESC",
        [query],
    )
    try:
        for article_id, story_id in cursor:
            yield article_id, story_id, None
    finally:
        cursor.close()


def _key_hits(store: Store, query: str, positive: list[Matcher]) -> Iterator[tuple[int, int | None, Confirm]]:
    """Articles the key index finds, each with how to confirm it: by the matcher on its text (a phrase of keys
    can also be found across punctuation a name never spans)."""
    cursor = store.db.execute(
        "SELECT a.id, a.story_id FROM article_keys JOIN articles a ON a.id = article_keys.rowid "
        "WHERE article_keys MATCH ? ORDER BY article_keys.rowid DESC",
        [query],
    )

    def confirm(article_id: int) -> Match | None:
        title, body = store.db.execute("SELECT title, text FROM articles WHERE id = ?", [article_id]).fetchone()
        text = f"{title}\n{body}" if title else body or ""
        for matcher in positive:
            hits = matcher.find(text)
            if hits:
                hit = hits[0]
                return Match(hit.term.group, hit.term.text, hit.found, hit.start, hit.end)
        return None

    try:
        for article_id, story_id in cursor:
            yield article_id, story_id, confirm
    finally:
        cursor.close()


Confirm = Callable[[int], "Match | None"]


def _newest_first(streams: list[Iterator]) -> Iterator[tuple[int, int | None, Match | None]]:
    """The streams (each newest first) as one, newest first, each article once. An article the text index
    found as typed is taken as it is; one only the key index found is confirmed on its text first (about a
    millisecond each), with the spelling found, which the snippet marks."""
    merged = heapq.merge(*streams, key=lambda row: (-row[0], row[2] is not None))
    last = None
    for article_id, story_id, confirm in merged:
        if article_id == last:
            continue
        if confirm is None:
            last = article_id
            yield article_id, story_id, None
            continue
        match = confirm(article_id)
        if match is not None:
            last = article_id
            yield article_id, story_id, match


def _around(store: Store, article_id: int, match: Match, marks: tuple[str, str]) -> str:
    """The text around the spelling the key index found, marked."""
    title, body = store.db.execute("SELECT title, text FROM articles WHERE id = ?", [article_id]).fetchone()
    around, start, end = snippet(f"{title}\n{body}" if title else body or "", match)
    return around[:start] + marks[0] + around[start:end] + marks[1] + around[end:]


def _snippets(store: Store, query: str, rowids: list[int], marks: tuple[str, str]) -> dict[int, str]:
    """FTS5's snippet() of the shown articles the text index found (it is costly). Each is looked up by rowid, with
    LIMIT 1 (else FTS5 looks ahead for the next match, far off for a rare phrase), but for a prefix* query, which
    FTS5 would expand again at every lookup (5 ms for a common prefix): one pass over its matches then."""
    column = "snippet(articles_fts, 1, ?, ?, ' … ', 16)"
    if "*" not in query:
        sql = f"SELECT {column} FROM articles_fts WHERE articles_fts MATCH ? AND rowid = ? LIMIT 1"  # noqa: S608
        return {rowid: store.db.execute(sql, [*marks, query, rowid]).fetchone()[0] for rowid in rowids}
    places = ",".join("?" * len(rowids))
    sql = (  # +rowid: a filter on the pass, not a lookup per value
        f"SELECT rowid, {column} FROM articles_fts WHERE articles_fts MATCH ? "  # noqa: S608
        f"AND rowid BETWEEN ? AND ? AND +rowid IN ({places}) LIMIT ?"
    )
    params = [*marks, query, min(rowids), max(rowids), *rowids, len(rowids)]
    return dict(store.db.execute(sql, params)) if rowids else {}


def index_backlog(store: Store, batch: int = 200) -> int:
    """Keys for up to ``batch`` articles stored before search read every spelling (schema 7), newest first: ``run``
    calls it every few seconds until none is left. Returns how many it keyed."""
    rows = store.unkeyed(batch)
    store.save_keys([(article_id, search_keys(title, text)) for article_id, title, text in rows])
    return len(rows)
