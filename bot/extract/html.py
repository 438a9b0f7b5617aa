"""HTML tree helpers shared by the listing and article extractors: parse, strip page chrome, read text.

Page chrome is recognised the way readability does it: by tag (nav, aside, footer, ...), by ARIA role,
and by class/id words. A keyword in a site's menu, "most read" box or footer appears on every page of
the site; if it reached the matcher, every article of that site would alert.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag

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
_ANY_SPACE = re.compile(r"[\s\u00a0\u200b\u2000-\u200a\u202f\u205f\u3000]+")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2000-\u200a\u202f\u205f\u3000]+")


def parse(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "lxml")


def _names(tag: Tag) -> str:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    return " ".join([*classes, str(tag.get("id") or "")]).strip()


_ARTICLE_PARTS = ("header", "footer")  # inside an <article> these are its own headline and byline


def is_chrome(tag: Tag, keep_article_parts: bool = False) -> bool:
    """``keep_article_parts``: on a listing page the teasers' own <header>/<footer> hold the headline links."""
    if tag.name in ("body", "html", "main", "article"):
        return False
    inside_article = keep_article_parts and tag.find_parent("article") is not None
    if tag.name in _DROP_TAGS and not (inside_article and tag.name in _ARTICLE_PARTS):
        return True
    role = str(tag.get("role") or "").lower()
    if role in _DROP_ROLES:
        return True
    if tag.get("hidden") is not None or str(tag.get("aria-hidden") or "").lower() == "true":
        return True
    style = str(tag.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if tag.name == "a" and {"tag", "category"} & set(tag.get("rel") or ()):
        return True  # WordPress "Posted in / Tagged" links name the site's topics, not the article's
    names = _names(tag)
    if not names:
        return False
    if _STRONG.search(names):
        return True
    return bool(_WEAK.search(names)) and not inside_article and not _holds_body(tag)


def _holds_body(tag: Tag) -> bool:
    """A weak chrome name ("content-header") on an element that really holds the article's paragraphs."""
    return sum(len(p.get_text(strip=True)) for p in tag.find_all("p", limit=20)) >= 200


def strip_chrome(soup: BeautifulSoup | Tag, keep_article_parts: bool = False) -> None:
    """Remove page chrome in place."""
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    # Collect first, then remove: decomposing while walking would skip siblings.
    doomed = [tag for tag in soup.find_all(True) if is_chrome(tag, keep_article_parts)]
    for tag in doomed:
        if not tag.decomposed:
            tag.decompose()


def block_text(root: Tag) -> str:
    """The text of ``root``: one line per block element, inline elements joined, whitespace folded.

    Line breaks inside the HTML source are just spaces; only block boundaries become lines.
    """
    for tag in root.find_all(BLOCK_TAGS):
        tag.insert_after(_BREAK)
        if tag.name not in ("br", "hr"):
            tag.insert_before(_BREAK)
    text = _ANY_SPACE.sub(" ", root.get_text())
    lines = (line.strip() for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def inline_text(tag: Tag) -> str:
    return _SPACES.sub(" ", tag.get_text(" ")).strip()


def metas(soup: BeautifulSoup) -> dict[str, str]:
    """Every <meta property|name|itemprop=... content=...> of the page, by lower-cased name (one tree walk)."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = str(tag.get("content") or "").strip()
        name = str(tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        if content and name and name not in found:
            found[name] = content
    return found


def first(values: dict[str, str], *names: str) -> str | None:
    return next((values[n.lower()] for n in names if n.lower() in values), None)
