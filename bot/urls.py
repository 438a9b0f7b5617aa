"""Story identity, first by URL: one article behind many spellings of its address.

Feeds add tracking parameters, share buttons add fragments, AMP and print versions point back to the
article with ``<link rel=canonical>``. ``canonical_url`` folds the spellings; ``trusted_canonical`` decides
whether a page's own canonical link is believable (many CMSs point every page's canonical at the home page).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a click came from; they never select different content.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid|"
    r"_ga|_gl|_hsenc|_hsmi|mkt_tok|vero_\w+|oly_\w+|rb_clickid|s_cid|at_\w+|ito|cmpid|"
    r"ref_src|ref_url|share|shared|amp|output|__twitter_impression|fb_\w+|spm|ncid|sr_share)$",
    re.IGNORECASE,
)

# Characters that stay percent-encoded; everything else is decoded so that %7E and ~ compare equal.
_SAFE_PATH = "/:@!$&'()*+,;=-._~"


def canonical_url(url: str, base: str | None = None) -> str:
    """The one spelling of ``url`` used as an article's identity in the store."""
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    netloc = host
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH) or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    path = re.sub(r"/(index|default)\.(html?|php|aspx?)$", "", path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def clean_url(url: str) -> str:
    """``url`` as a reader should see it: tracking parameters and fragment gone, nothing else changed."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))


def same_site(a: str, b: str) -> bool:
    """Same host, ignoring ``www.`` and subdomains of each other (news.x.org and x.org)."""

    def host(url: str) -> str:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")

    ha, hb = host(a), host(b)
    return ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha)


def trusted_canonical(page_url: str, canonical: str | None) -> str | None:
    """The page's ``rel=canonical`` target, unless it is implausible for an article.

    A canonical pointing at the site root, or at an ancestor of the page's own path (its section or
    home page), is a CMS misconfiguration: trusting it would fold every article of the site into one.
    """
    if not canonical:
        return None
    try:
        target = urlsplit(canonical)
        page = urlsplit(page_url)
    except ValueError:
        return None
    if target.scheme not in ("http", "https") or not target.hostname:
        return None
    target_path = target.path.rstrip("/")
    if not target_path and not target.query:
        return None
    same_host = (target.hostname or "").removeprefix("www.") == (page.hostname or "").removeprefix("www.")
    page_path = page.path.rstrip("/")
    if same_host and target_path != page_path and page_path.startswith(target_path + "/"):
        return None
    return canonical
