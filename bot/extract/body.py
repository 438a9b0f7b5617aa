"""An article page's main text: three extractors, and the reading the others agree with most.

On 181 real pages whose bodies people labelled (bench/realpages.py, bench/README.md) each extractor alone
fails some page badly: trafilatura keeps a comment thread or loses half of a Wired story, readability
misses a short body, our own rules take a list of teasers for the body. They rarely fail on the same
page. So trafilatura (the best alone) and our rules run on every page; when the
two readings agree they are right, and when they do not, readability-lxml casts the deciding vote: the
reading most similar to the other two (the medoid) is kept.

Similarity is the F1 of the two texts' word 4-gram sets: the benchmark's own measure (it counts repeated
grams too, which changes nothing here and costs 5x the time), so "agree" means what it means by "the
same text".
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from bot.extract.html import Element, block_text, parse, strip_chrome, stripped_length, text_length

# Two readings this similar tell the same text: the third extractor is not asked (79% of the real pages).
# F1 on the real pages: 0.972-0.973 from 0.7 to 0.85, 0.969-0.970 at 0.6 and 0.9, with one page under
# half its body at those two (bench/README.md).
AGREE = 0.8

_MIN_BODY = 120  # characters: an <article> with less is a teaser, not a body

for _noisy in ("trafilatura", "readability", "readability.readability"):  # they log every empty page
    logging.getLogger(_noisy).setLevel(logging.CRITICAL)


def main_text(root: Element, markup: str, url: str, article: bool = True) -> str:
    """The article's own text, one line per paragraph. ``root`` (parsed from ``markup``) is consumed.

    ``article``: the page says it is an article (og:type, JSON-LD). Other pages (a forum thread, a notice, a
    report, a shop's page) are read for recall (``fullest``). Either reading gives way to a thread's posts
    (``thread_posts``) that hold it."""
    posts = thread_posts(root)  # before our rules strip the tree of what they take for chrome
    chosen = _article(root, markup, url) if article else fullest(root, markup, url)
    if not posts:
        return chosen
    shingled = _shingles(chosen)
    if _holds(posts, chosen, shingled, *THREAD):
        return posts
    if shingled and _THREAD_PAGE.search(markup) and len(shingled & _shingles(posts)) <= REPLIES * len(shingled):
        return f"{chosen}\n{posts}"  # the opening post, then the replies
    return chosen


def _article(root: Element, markup: str, url: str) -> str:
    engine = _trafilatura(root, url)  # works on its own copy of the tree
    rules = own_rules(root)
    chosen = engine if similarity(engine, rules) >= AGREE else medoid([engine, rules, _readability(markup)])
    return _whole(chosen, markup, url) if len(chosen) < SHORT else chosen


# A forum thread or a Q&A page marks each post's text with schema.org microdata (itemprop="text": Discourse,
# Stack Exchange, XenForo). Where a page marks two or more, their texts together are a reading, kept when it is
# over 1.5 times as long as the vote's and holds 80% of its 4-grams: the vote read the first post alone (three
# Discourse threads: F1 0.39-0.62 -> 0.91-0.96). On the labelled pages beyond news (2026-12-07): F1 0.909 ->
# 0.913, recall 0.899 -> 0.909, precision 0.920 -> 0.917, pages under half their body 10 -> 7; news unchanged
# (0.972). 1.2 to 1.8 times read the same; 2.0 times 0.912.
THREAD = (1.5, 0.8)
# XenForo marks the replies only: on a page that says it is a thread (schema.org DiscussionForumPosting or
# QAPage), posts that share at most this share of the chosen reading's 4-grams are the replies to it, and the
# two are read together: alsforums.com's thread F1 0.44 -> 0.94, no other labelled page changed (2026-12-07).
REPLIES = 0.2
_THREAD_PAGE = re.compile(r"DiscussionForumPosting|QAPage")
_ITEMPROP = etree.XPath("//*[@itemprop]")  # ~0.5 ms a real page, twice that with the token test in XPath


def thread_posts(root: Element) -> str:
    """The texts of a thread's posts, one after the other; "" for a page that does not mark two posts."""
    marked = [tag for tag in _ITEMPROP(root) if "text" in tag.get("itemprop", "").split()]
    if len(marked) < 2:
        return ""
    inside = set(marked)
    posts = [tag for tag in marked if not any(parent in inside for parent in tag.iterancestors())]
    return "\n".join(block_text(post) for post in posts) if len(posts) >= 2 else ""


# An article's reading is taken for one section of a longer text when trafilatura's defaults read over twice as
# much and hold this share of its 4-grams: then theirs is kept. favor_precision stops a checklist, a guide or a
# forum thread after its first part, and our rules, reading the same first block, agree with it. On the labelled
# pages beyond news (2026-12-07): F1 0.896 -> 0.909, recall 0.872 -> 0.899, precision 0.921 -> 0.920, pages under
# half their body 17 -> 10; the news pages unchanged (0.972). Asking the defaults on every article read 0.911 /
# 0.902 beyond news but 0.970 on news, under a third of their length 0.905, a quarter 0.903; their fast mode 0.905.
SECTION = (2.0, 0.8)
SHORT = 4000  # characters: a reading this long is not taken for a section (the pages changed read 600-2,800)


def _whole(chosen: str, markup: str, url: str) -> str:
    """``chosen``, or trafilatura's defaults' reading of the page where ``chosen`` looks like one section of it.

    The defaults cost a real page ~25 ms, so they are asked only where ``chosen`` is under ``SHORT`` and under
    half the text of the page's paragraphs, lists and tables: 59 of the 181 real news pages, none of the
    simulated web's (bench/README.md)."""
    longer, held = SECTION
    root = parse(markup)  # our rules stripped the first tree of its chrome
    if len(chosen) * longer >= sum(text_length(p) for p in root.iter("p", "li", "pre", "blockquote", "td", "dd")):
        return chosen
    fuller = _trafilatura(root, url, precise=False)
    return fuller if _holds(fuller, chosen, _shingles(chosen), longer, held) else chosen


def _holds(other: str, chosen: str, shingled: set, longer: float, held: float, alike: float = 0.0) -> bool:
    """Whether ``other`` is over ``longer`` times as long as ``chosen``, holds ``held`` of its 4-grams
    (``shingled``) and is at least ``alike`` like it (F1 of the two sets): a fuller reading of the same text."""
    if len(other) <= len(chosen) * longer or not shingled:
        return False
    grams = _shingles(other)
    return len(shingled & grams) >= held * len(shingled) and _f1(shingled, grams) >= alike


def fullest(root: Element, markup: str, url: str) -> str:
    """A page that is not an article: trafilatura's defaults for the engine, the vote as for articles, then
    the fullest reading that holds the chosen one (``FULLER``).

    favor_precision stops such pages after their first section (a Discourse thread's first post, a checklist's
    intro) and the vote keeps the short reading that sits inside the others. On the labelled pages beyond news
    (tests/data/beyondnews, bench/README.md) this reads 0.895 F1 (precision 0.920, recall 0.872) where the
    article rule read 0.875 (0.917 / 0.836) and trafilatura alone 0.888; on the news pages that do not say
    they are articles it changes one page in 181 (0.972 -> 0.971)."""
    engine = _trafilatura(root, url, precise=False)
    rules = own_rules(root)
    if similarity(engine, rules) >= AGREE:  # readability asked only on disagreement, as for articles (same F1)
        readings, chosen = [engine, rules], engine
    else:
        readings = [engine, rules, _readability(markup)]
        chosen = medoid(readings)
    shingled = _shingles(chosen)
    for other in sorted(readings, key=len, reverse=True):
        if _holds(other, chosen, shingled, *FULLER):
            return other
    return chosen


# A reading replaces the vote's on a page that is not an article when it is this much longer, holds this share of
# the chosen reading's 4-grams, and is at least this similar (F1 of the two sets): 1.2/0.85/0.3 read 0.900 on the
# pages beyond news, 1.3/0.9/0.3 0.899, 1.1/0.8/0.2 0.904.
FULLER = (1.1, 0.8, 0.2)


def cheap_text(root: Element, markup: str, url: str, article: bool = True) -> str:
    """Our rules alone (F1 0.935 on the real pages at a fifth of the ensemble's CPU, bench/README.md): for a
    page no alert can come from, whose text serves search and stories. Where they find no body (6 of the
    181 real pages), the ensemble reads the page."""
    text = own_rules(root)
    return text if len(text) >= _MIN_BODY else main_text(parse(markup), markup, url, article)


def medoid(readings: list[str]) -> str:
    """The reading with the highest summed similarity to the others; the longer one on a tie.

    A tie is what one empty or unrelated reading leaves: the other two score the same. Then the fuller
    one is kept, since a keyword lost with half a body costs more than a stray line of chrome.
    """
    shingled = [_shingles(text) for text in readings]
    scores = [sum(_f1(a, b) for j, b in enumerate(shingled) if j != i) for i, a in enumerate(shingled)]
    best = max(range(len(readings)), key=lambda i: (round(scores[i], 9), len(shingled[i]), -i))
    return readings[best]


def similarity(a: str, b: str) -> float:
    return _f1(_shingles(a), _shingles(b))


_WORD = re.compile(r"\w+")


def _shingles(text: str) -> set[tuple[str, ...]]:
    """The text's distinct word 4-grams (a text of under four words: its words as one gram)."""
    words = _WORD.findall(text.lower())
    if len(words) < 4:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:], words[2:], words[3:], strict=False))  # C-level sets: 5x a Counter


def _f1(a: set, b: set) -> float:
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 1.0


# ------------------------------------------------------------------------------------------ engines


def _trafilatura(root: Element, url: str, precise: bool = True) -> str:
    import trafilatura

    # favor_precision: +0.006 F1 on the real pages; comments are never the article's own text
    return trafilatura.extract(root, url=url, favor_precision=precise, include_comments=False) or ""


def _readability(markup: str) -> str:
    from readability import Document

    try:  # no url: it would only make the links absolute, half of readability's time
        summary = Document(markup).summary(html_partial=True)
    except Exception:  # readability raises its own Unparseable and lxml's errors on hopeless markup
        return ""
    return block_text(parse(summary)) if summary.strip() else ""


# ------------------------------------------------------------------------------------------ own rules


def own_rules(root: Element) -> str:
    """Chrome stripped, then a single <article>, or the container whose paragraphs carry the most text.

    A list of 17 CMS body containers (.entry-content, [itemprop=articleBody], ...) stood before these
    until 2026-12-04: in the ensemble it was worth 0.001 F1 on the real pages and nothing on our
    fixtures, so it went (bench/README.md, --ablation).
    """
    strip_chrome(root, keep_wrappers=True)
    return block_text(_body_root(root))


def _body_root(root: Element) -> Element:
    articles = [t for t in root.iter("article") if text_length(t) >= _MIN_BODY]
    if len(articles) == 1:
        return articles[0]
    densest = _densest(root)
    if densest is not None:
        return densest
    main = next(root.iter("main"), None)
    return main if main is not None else next(root.iter("body"), root)


def _densest(root: Element) -> Element | None:
    """Readability's core idea: the container whose paragraphs carry the most text."""
    scores: dict[Element, float] = {}
    for p in root.iter("p", "pre", "blockquote"):
        pieces = list(p.itertext())  # one walk for both the length and the commas
        text = "".join(pieces)
        length = stripped_length(pieces)
        if length < 25:
            continue
        weight = length + 10 * text.count(",") + 10 * text.count("،")
        parent = p.getparent()
        for container, share in ((parent, 1.0), (parent.getparent() if parent is not None else None, 0.5)):
            if container is not None:
                scores[container] = scores.get(container, 0.0) + weight * share
    if not scores:
        return None
    return max(scores, key=scores.__getitem__)
