"""Main text only: the article's title and body, never the chrome around it; listing links found."""

from __future__ import annotations

from bot.extract.feeds import parse_feed
from bot.extract.pages import extract_article, listing_links

CHROME = """
<header id="masthead" class="site-header"><nav class="main-navigation"><ul>
  <li><a href="/category/deir-ez-zor/">Deir ez-Zor</a></li><li><a href="/tag/hezbollah/">Hezbollah</a></li></ul></nav>
</header>
<div id="secondary" class="widget-area"><section class="widget"><h2>Most read</h2>
  <ul><li><a href="/2026/11/x/">Hezbollah convoy seen near Deir ez-Zor</a></li></ul></section></div>
"""
FOOTER = '<footer id="colophon"><p>Covering Deir ez-Zor and Hezbollah since 2015.</p></footer>'


def wordpress(body: str, title: str = "Wheat harvest begins in Raqqa") -> str:
    return f"""<!doctype html><html lang="en"><head><title>{title} - Euphrates Post</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2026-11-20T08:00:00+00:00">
<link rel="canonical" href="https://euphrates.example/2026/11/wheat/"></head><body>{CHROME}
<main id="main" class="site-main"><article class="post-12 post type-post">
<header class="entry-header"><h1 class="entry-title">{title}</h1>
<div class="entry-meta"><time datetime="2026-11-20T08:00:00+00:00">Nov 20</time></div></header>
<div class="entry-content">{body}
<div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3><a href="#">Share on Hezbollah</a></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3><p>Nujaba fighters cross into Syria again</p></div>
</div>
<footer class="entry-footer"><a href="/tag/deir-ez-zor/" rel="tag">Deir ez-Zor</a></footer>
</article>
<div id="comments" class="comments-area"><p>A reader wrote about Hezbollah in Deir ez-Zor and more.</p></div>
</main>{FOOTER}</body></html>"""


BODY = (
    "<p>Farmers in the Raqqa countryside began harvesting wheat on Monday, local sources said, "
    "with yields expected to be lower than last year because of the drought.</p>"
    "<p>The agriculture committee said it would buy the crop at a fixed price per tonne, "
    "and that storage silos had been repaired over the summer.</p>"
)


def test_chrome_never_reaches_the_text():
    page = extract_article(wordpress(BODY), "https://euphrates.example/2026/11/wheat/?utm_source=rss")
    assert page.title == "Wheat harvest begins in Raqqa"
    assert "Farmers in the Raqqa countryside" in page.text
    assert "storage silos" in page.text
    for word in ("Deir ez-Zor", "Hezbollah", "Nujaba", "Most read", "Share", "Related", "reader"):
        assert word not in page.text, word
    assert page.published.isoformat() == "2026-11-20T08:00:00+00:00"
    assert page.canonical == "https://euphrates.example/2026/11/wheat/"
    assert page.lang == "en"


def test_keyword_in_body_is_kept():
    body = BODY + "<p>A convoy of <a href='/x'>Hezbollah</a> fighters reached Deir ez-Zor on Tuesday.</p>"
    page = extract_article(wordpress(body), "https://euphrates.example/2026/11/wheat/")
    assert "A convoy of Hezbollah fighters reached Deir ez-Zor on Tuesday." in page.text


def test_paragraphs_are_lines_and_inline_markup_joins():
    body = "<p>Deir <b>ez</b>-Zor is a city.</p><p>Second&nbsp;paragraph,   spaced\n out.</p>" + BODY
    page = extract_article(wordpress(body), "https://euphrates.example/a")
    lines = page.text.splitlines()
    assert lines[0] == "Deir ez-Zor is a city."
    assert lines[1] == "Second paragraph, spaced out."


def test_page_without_cms_classes_uses_paragraph_density():
    html = (
        "<html><body><div class='top'><a href='/'>Home</a> <a href='/hezbollah'>Hezbollah news</a></div>"
        "<div class='x1'><div class='x2'>"
        + "".join(f"<p>Paragraph {i} of the report about the water station, with enough words.</p>" for i in range(6))
        + "</div></div><div class='x3'><ul><li>Hezbollah</li><li>Deir ez-Zor</li></ul></div></body></html>"
    )
    page = extract_article(html, "https://site.example/news/12345")
    assert "Paragraph 5 of the report" in page.text
    assert "Hezbollah" not in page.text and "Deir ez-Zor" not in page.text


def test_home_page_canonical_is_ignored():
    html = wordpress(BODY).replace("https://euphrates.example/2026/11/wheat/", "https://euphrates.example/")
    page = extract_article(html, "https://euphrates.example/2026/11/wheat/")
    assert page.canonical is None


def test_arabic_article():
    html = """<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>خبر</title></head><body>
    <nav class="menu"><a href="/deir">دير الزور</a></nav>
    <article><h1>انقطاع المياه في الميادين</h1><div class="article-body">
    <p>قالت مصادر محلية إن محطة المياه في مدينة الميادين توقفت عن العمل منذ ثلاثة أيام بسبب انقطاع الكهرباء.</p>
    <p>وأضافت المصادر أن الأهالي يعتمدون على الصهاريج لتأمين مياه الشرب، وسط ارتفاع الأسعار.</p>
    </div><div class="also-read">اقرأ أيضاً: حزب الله يرسل تعزيزات</div></article>
    <aside><h3>الأكثر قراءة</h3><p>حزب الله في دير الزور</p></aside></body></html>"""
    page = extract_article(html, "https://ar.example/news/1.html")
    assert page.title == "انقطاع المياه في الميادين"
    assert "محطة المياه" in page.text and "الصهاريج" in page.text
    assert "حزب الله" not in page.text and "دير الزور" not in page.text
    assert page.lang == "ar"


LISTING = """<html><body><header><nav><a href="/section/world">World news from everywhere today</a></nav></header>
<main>
<div class="news-item"><h3><a href="/plain/news/convoy-reaches-city.html">Convoy reaches the city at dawn</a></h3></div>
<div class="news-item"><h3><a href="/plain/news/water-station.html?utm_source=home">Water station repaired</a></h3>
  <a href="/plain/news/water-station.html"><img src="x.jpg"></a></div>
<div class="news-item">
  <a href="/plain/news/2026-11-20-market-prices-rise">Market prices rise again in the east</a></div>
<p><a href="/plain/about">About us</a> <a href="https://facebook.com/share?u=1">Share this story on Facebook</a>
<a href="/plain/tag/syria">All stories tagged with Syria here</a>
<a href="/plain/page/2">Older stories from our archive</a></p>
</main><aside class="trending"><a href="/plain/news/old-story.html">An old trending story from last year</a></aside>
<footer><a href="/plain/news/footer-story.html">A story linked from the footer area</a></footer></body></html>"""


def test_listing_heuristics_take_headlines_only():
    entries = listing_links(LISTING, "https://plain.example/plain/")
    urls = [e.url for e in entries]
    assert urls == [
        "https://plain.example/plain/news/convoy-reaches-city.html",
        "https://plain.example/plain/news/water-station.html?utm_source=home",
        "https://plain.example/plain/news/2026-11-20-market-prices-rise",
    ]
    assert entries[0].title == "Convoy reaches the city at dawn"


def test_listing_with_selector():
    entries = listing_links(LISTING, "https://plain.example/plain/", selector="div.news-item h3 a")
    assert [e.title for e in entries] == ["Convoy reaches the city at dawn", "Water station repaired"]


RSS = (
    b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>
<item><title>Short</title><link>https://x.example/a</link><description>Teaser only.</description>
<pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate></item>
<item><title>Full</title><link>https://x.example/b</link><description>Teaser.</description>
<content:encoded><![CDATA[<p>"""
    + b"Full text of the article. " * 40
    + b"""</p>]]></content:encoded></item>
</channel></rss>"""
)


def test_feed_summary_vs_full_content():
    feed = parse_feed(RSS, "https://x.example/feed")
    short, full = feed.entries
    assert short.url == "https://x.example/a" and short.content == "" and short.summary == "Teaser only."
    assert short.published.isoformat() == "2026-11-20T08:00:00+00:00"
    assert full.content.startswith("Full text of the article.") and len(full.content) > 500
    assert feed.warning is None


def test_truncated_feed_keeps_what_parsed():
    cut = RSS[: RSS.index(b"<item><title>Full")] + b"<item><title>Fu"
    feed = parse_feed(cut, "https://x.example/feed")
    assert [e.url for e in feed.entries] == ["https://x.example/a"]
    assert feed.warning and "damaged" in feed.warning


def test_numeric_wordpress_archives_permalinks_are_articles():
    html = """<html><body><main>
    <h2 class="entry-title"><a href="/archives/2391/">اشتباكات متقطعة في ريف دير الزور الشرقي</a></h2>
    <a href="/archives/">كل الأرشيف من البداية إلى اليوم</a> <a href="/archives/page/2/">الصفحة التالية من الأرشيف</a>
    </main></body></html>"""
    assert [e.url for e in listing_links(html, "https://ar.example/")] == ["https://ar.example/archives/2391/"]


def test_byline_and_tag_box_inside_the_article_are_not_text():
    html = """<html lang="ar"><body><article class="news-single"><h1>افتتاح جسر عائم جديد</h1>
    <div class="news-meta">مراسل الفرات - دير الزور منذ شهر</div>
    <div class="news-body"><p>افتتحت الجهات المحلية جسراً عائماً جديداً يربط ضفتي النهر، ما يختصر الطريق على
    الأهالي والمزارعين الذين كانوا يعتمدون على العبّارات الصغيرة في التنقل بين الضفتين.</p></div>
    <div class="news-tags">الوسوم: <a href="/tag/1">دير الزور</a>، <a href="/tag/2">حزب الله</a></div>
    </article></body></html>"""
    page = extract_article(html, "https://ar.example/news/10190.html")
    assert "جسراً عائماً" in page.text
    assert "دير الزور" not in page.text and "حزب الله" not in page.text and "الوسوم" not in page.text
