"""HTML tree helpers shared by the listing and article extractors: parse, strip page chrome, read text.

Page chrome is recognised the way readability does it: by tag (nav, aside, footer, ...), by ARIA role,
and by class/id words. A keyword in a site's menu, "most read" box or footer appears on every page of
the site; if it reached the matcher, every article of that site would alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import islice

from lxml import etree
from lxml import html as lxml_html

Element = lxml_html.HtmlElement

_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select", "input",
    "textarea", "nav", "aside", "footer", "header", "menu", "dialog", "object", "embed", "canvas",
)  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}

# Always chrome, whatever else the element's class says (a "related-content" box is still related links).
_STRONG = re.compile(
    r"sidebar|widget|related|relatedposts|most-?read|mostpopular|popular|trending|also-?read|read-?also|"
    r"more-?stories|more-?news|recommend|newsletter|subscribe|share|sharing|social|comment|disqus|"
    r"breadcrumb|advert|sponsor|promo|cookie|gdpr|modal|popup|paywall|skip-link|screen-reader|"
    r"author-?bio|tag-?cloud|tags-?links|post-?tags|pagination|pager|more-topics|nav-?links|"
    r"ad-?slot|ad-?container|google-?ad|dfp|(^|[-_ ])tags?([-_ ]|$)|keywords",
    re.IGNORECASE,
)
# Chrome unless the same element also looks like the content (e.g. "entry-header" vs "site-header").
_WEAK = re.compile(
    r"(^|[-_ ])(header|footer|menu|nav|navbar|navigation|masthead|colophon|banner|meta|ads?|"
    r"byline|caption|toolbar|topbar|ticker|breaking|logo)([-_ ]|$)",
    re.IGNORECASE,
)

BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "blockquote", "pre", "table", "tr", "td", "th", "dd", "dt", "figcaption", "br", "hr",
)  # fmt: skip
_BREAK = "\ue000"  # a private-use character marks block boundaries while the text is folded
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2000-\u200a\u202f\u205f\u3000]+")


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse(markup: str) -> Element:
    """The page's <html> element, parsed by libxml2 through lxml.

    BeautifulSoup building the same tree was 28% of a first cycle's CPU (bench/README.md, profiles);
    lxml's own tree is several times cheaper, and both use the same libxml2 parser underneath.
    """
    markup = _NOT_XML.sub("", _XML_DECLARATION.sub("", markup, count=1))  # lxml refuses both in a str
    try:
        return lxml_html.document_fromstring(markup)
    except etree.ParserError:  # "Document is empty": nothing but whitespace or comments
        return lxml_html.document_fromstring("<html><body></body></html>")


def _names(tag: Element) -> str:
    return " ".join(f"{tag.get('class') or ''} {tag.get('id') or ''}".split())


def text_length(tag: Element) -> int:
    """Characters of text under ``tag``, each piece stripped (BeautifulSoup's len(get_text(strip=True)))."""
    return stripped_length(tag.itertext())


def stripped_length(pieces: Iterable[str]) -> int:
    return sum(len(piece.strip()) for piece in pieces)


def inside(tag: Element, *names: str) -> bool:
    return next(tag.iterancestors(*names), None) is not None


_ARTICLE_PARTS = ("header", "footer")  # inside an <article> these are its own headline and byline


def is_chrome(tag: Element, keep_article_parts: bool = False) -> bool:
    """``keep_article_parts``: on a listing page the teasers' own <header>/<footer> hold the headline links."""
    name = tag.tag
    if name in ("body", "html", "main", "article"):
        return False
    inside_article = keep_article_parts and inside(tag, "article")
    if name in _DROP_TAGS and not (inside_article and name in _ARTICLE_PARTS):
        return True
    attrib = tag.attrib
    if not attrib:
        return False
    role = (attrib.get("role") or "").lower()
    if role in _DROP_ROLES:
        return True
    if attrib.get("hidden") is not None or (attrib.get("aria-hidden") or "").lower() == "true":
        return True
    style = (attrib.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if name == "a" and {"tag", "category"} & set((attrib.get("rel") or "").lower().split()):
        return True  # WordPress "Posted in / Tagged" links name the site's topics, not the article's
    names = _names(tag)
    if not names:
        return False
    kind = _chrome_kind(names)
    return kind == _ALWAYS or (kind == _UNLESS_BODY and not inside_article and not _holds_body(tag))


_ALWAYS, _UNLESS_BODY, _NEVER = 2, 1, 0


@lru_cache(maxsize=65_536)
def _chrome_kind(names: str) -> int:
    """What an element's class and id say: the two case-blind alternations cost ~2 ms a real page, and a page
    repeats its class names (a CMS's, a CSS framework's) on many elements, and across its site's pages."""
    if _STRONG.search(names):
        return _ALWAYS
    return _UNLESS_BODY if _WEAK.search(names) else _NEVER


def _holds_body(tag: Element) -> bool:
    """A weak chrome name ("content-header") on an element that really holds the article's paragraphs."""
    return sum(text_length(p) for p in islice(tag.iterdescendants("p"), 20)) >= 200


def strip_chrome(root: Element, keep_article_parts: bool = False, keep_wrappers: bool = False) -> None:
    """Remove page chrome (and comments) under ``root`` in place; text after a removed element stays.

    ``keep_wrappers``: an element named like chrome that holds most of the page's paragraph text is a wrapper
    of the article, not chrome ("ArticlePage-content paywall", "l-sidebar-fixed l-article-body-segment", an
    ASP.NET page's one <form>): it stays and its children are judged one by one. Without this, our rules lost
    the whole body on 28 of the 181 real pages (bench/README.md)."""
    body = _paragraph_text(root) if keep_wrappers else 0
    doomed = []
    stack = [root]
    while stack:  # chrome is not descended into: its children go with it
        for child in stack.pop():
            if not isinstance(child.tag, str) or (is_chrome(child, keep_article_parts) and not _wraps(child, body)):
                doomed.append(child)
            else:
                stack.append(child)
    for tag in doomed:
        tag.drop_tree()


def _wraps(tag: Element, body: int) -> bool:
    """Whether ``tag`` holds most of ``body``, the page's paragraph text (0: not asked)."""
    return bool(body) and _paragraph_text(tag) * 2 > body


def _paragraph_text(tag: Element) -> int:
    return sum(text_length(p) for p in tag.iter("p"))


_BLOCKS = frozenset(BLOCK_TAGS)


def block_text(root: Element) -> str:
    """The text of ``root``: one line per block element, inline elements joined, whitespace folded.

    Line breaks inside the HTML source are just spaces; only block boundaries become lines.
    """
    parts: list[str] = []
    stack: list[tuple[Element, bool]] = [(root, False)]
    while stack:
        tag, closing = stack.pop()
        name = tag.tag
        if closing:
            if name in _BLOCKS:
                parts.append(_BREAK)
            if tag is not root and tag.tail:
                parts.append(tag.tail)
            continue
        if not isinstance(name, str):  # a comment or processing instruction: only its tail is text
            if tag.tail and tag is not root:
                parts.append(tag.tail)
            continue
        if name in _BLOCKS and name not in ("br", "hr"):
            parts.append(_BREAK)
        if tag.text:
            parts.append(tag.text)
        stack.append((tag, True))
        stack.extend((child, False) for child in reversed(tag))
    text = "".join(parts)
    if "\u200b" in text:
        text = text.replace("\u200b", " ")
    text = " ".join(text.split())  # every Unicode space and U+200B folded: 4x faster than a regex sub
    lines = (line.strip() for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def inline_text(tag: Element) -> str:
    return _SPACES.sub(" ", " ".join(tag.itertext())).strip()


def metas(root: Element) -> dict[str, str]:
    """Every <meta property|name|itemprop=... content=...> of the page, by lower-cased name (one tree walk)."""
    found: dict[str, str] = {}
    for tag in root.iter("meta"):
        content = (tag.get("content") or "").strip()
        name = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        if content and name and name not in found:
            found[name] = content
    return found


def first(values: dict[str, str], *names: str) -> str | None:
    return next((values[n.lower()] for n in names if n.lower() in values), None)
