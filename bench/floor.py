"""The least that an unchanged cycle and a cycle after a round can cost on the stack the design requires, beside
urlwatch's same cycles in the same run: how far below wirewatch's own figures issue 24's targets sit.

    .venv/bin/python bench/floor.py [--n 1000] [--port 18700] [--reps 3]

It serves ../shared/newsweb as bench/cycle.py does (N sites, 50 ms latency, nothing tuned) and runs, each as a
child process timed with wait4 (wall, CPU):

- ``python``: the interpreter alone (``python -c pass``);
- ``imports``: the interpreter and the HTTP stack wirewatch fetches with (httpx over aiohttp);
- ``floor``: the same, then every source's feed asked for with its ETag through one shared httpx client over
  aiohttp (bot/transport.py), 60 in flight (wirewatch's default at 1,000 sources); after a round, also each
  changed feed parsed with feedparser and each new article page fetched and parsed by lxml, its text taken
  whole; in a first cycle, every feed and page so (once, in one process: two cores could halve its wall time).
  No configuration, no database, no matching, no extraction: any cycle that fetches with httpx and reads with
  feedparser and lxml does this much;
- the memory of the main process's libraries, of wirewatch's main process once imported, and of a reading
  process once it has read 20 of ../shared/realpages accurately (peak RSS);
- urlwatch 2.29's unchanged and after-round cycles (its first cycle primes its cache).

Each figure is the median of ``--reps`` runs; the round is advanced once, after the unchanged runs, and every
after-round run asks with the ETags of before it (urlwatch: from its cache of before it), so each sees the same
10% of changed feeds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cycle  # bench/cycle.py: the server, the hosts, urlwatch's venv and config
from common import REALPAGES

FLOOR = r"""
import asyncio, json, ssl, sys
sys.modules.setdefault("httpx._main", None)
import httpx
from bot.transport import AiohttpTransport
etags, seen, mode = json.load(open(sys.argv[1])), set(json.load(open(sys.argv[2]))), sys.argv[3]
if mode == "first":  # no validators, nothing seen: every feed and every page is new
    etags, seen = dict.fromkeys(etags), set()
reads = mode != "unchanged"
if reads:
    import feedparser, lxml.html

async def main():
    client = httpx.AsyncClient(transport=AiohttpTransport(ssl.create_default_context, 100), follow_redirects=True,
                               timeout=httpx.Timeout(60), trust_env=False,
                               headers={"User-Agent": "floor", "Accept-Encoding": "gzip, deflate, br"})
    gate = asyncio.Semaphore(int(sys.argv[4]) if len(sys.argv) > 4 else 60)

    async def get(url, etag=None):
        async with gate:
            response = await client.get(url, headers={"If-None-Match": etag} if etag else {})
            return response.status_code, response.content

    async def source(url, etag):
        status, body = await get(url, etag)
        if status != 200 or not reads:
            return status, 0
        links = [e.link for e in feedparser.parse(body).entries if e.link not in seen]
        for link in links:
            _, page = await get(link)
            lxml.html.document_fromstring(page).text_content()
        return status, len(links)

    done = await asyncio.gather(*(source(url, etag) for url, etag in etags.items()))
    await client.aclose()
    print(json.dumps({"304": sum(s == 304 for s, _ in done), "200": sum(s == 200 for s, _ in done),
                      "pages": sum(n for _, n in done)}))

asyncio.run(main())
"""

PRIME = r"""
import json, sys, urllib.request
import feedparser
etags, seen = {}, []
for url in json.load(open(sys.argv[1])):
    with urllib.request.urlopen(url) as response:
        etags[url] = response.headers["ETag"]
        seen += [e.link for e in feedparser.parse(response.read()).entries]
json.dump(etags, open(sys.argv[2], "w")); json.dump(seen, open(sys.argv[3], "w"))
"""


WIREWATCH_MAIN = "import bot.check, bot.poll.pipeline"  # what ``check`` and ``run`` import before a cycle
READER = """
import gzip, sys
from pathlib import Path
import bot.poll.reading as reading
from bot.extract.pages import extract_article
from bot.models import Group
reading._start([Group("Deir ez-Zor", ("Deir ez-Zor", "دير الزور"), False, (), ())])
for page in sorted(Path(sys.argv[1]).glob("*.html.gz"))[:20]:  # read accurately, then matched and fingerprinted
    html = gzip.decompress(page.read_bytes()).decode("utf-8", errors="replace")
    article = extract_article(html, "https://x.example/", lambda whole: True)
    reading.digest(article.title, article.text)
"""  # what a reading process holds once it has read accurate pages: the readers, the matcher, the fingerprint


def timed(cmd: list, cwd: Path) -> dict:
    """Wall, CPU and peak RSS of one child process (wait4's rusage is the child's own)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        lines, error = out.read().decode(errors="replace").strip().splitlines(), err.read().decode(errors="replace")
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{error[-2000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        "out": lines[-1:] or [""],
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    settings = argparse.Namespace(port=args.port, latency_ms=50.0, mention_rate=0.05, change_rate=0.1, seed=1,
                                  listing=False, concurrency=None, per_host=None, workers=None)  # fmt: skip
    cycle.check_loopback(args.n)
    urlwatch_python = cycle.venv(cycle.URLWATCH_VENV, [cycle.URLWATCH], "import urlwatch")
    newsweb_python = cycle.venv(cycle.NEWSWEB_VENV, ["aiohttp"], "import aiohttp")
    urls = [f"http://{cycle.site_host(i)}:{args.port}/site{i}/feed.xml" for i in range(args.n)]
    python = sys.executable
    rows: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="wirewatch-floor-") as tmp:
        work = Path(tmp)
        tools = cycle.write_configs(work, urls, settings, {"urlwatch": urlwatch_python})
        (work / "urls.json").write_text(json.dumps(urls))
        server = cycle.start_server(newsweb_python, args.n, settings, work / "server.log")
        try:
            timed([python, "-c", PRIME, work / "urls.json", work / "etags.json", work / "seen.json"], work)
            timed(tools["urlwatch"], work / "urlwatch")  # its first cycle: the cache its next ones compare with
            floor = [python, "-c", FLOOR, work / "etags.json", work / "seen.json"]
            imports = "import sys; sys.modules['httpx._main'] = None; import httpx, aiohttp"
            unchanged = {"python": [python, "-c", "pass"], "imports": [python, "-c", imports]}
            unchanged |= {"floor, unchanged": [*floor, "unchanged"], "urlwatch, unchanged": tools["urlwatch"]}
            main = "import httpx, aiohttp, sqlite_utils, pydantic, feedparser, yaml, bs4, apscheduler"
            unchanged["memory: the main process's libraries"] = [python, "-c", main]
            unchanged["memory: wirewatch's main process, imported"] = [python, "-c", WIREWATCH_MAIN]
            unchanged["memory: a reading process, 20 real pages read"] = [python, "-c", READER, REALPAGES / "html"]
            for name, cmd in unchanged.items():
                rows[name] = [timed(cmd, work / "urlwatch") for _ in range(args.reps)]
            rows["floor, first cycle (one process)"] = [timed([*floor, "first"], work / "urlwatch")]
            cache = work / "urlwatch" / "cache.db"
            kept = cache.read_bytes()  # urlwatch's cache before the round: each after-round run starts from it
            cycle.http(f"http://127.0.0.1:{args.port}/_round", "POST")
            rows["floor, after round"] = [timed([*floor, "round"], work / "urlwatch") for _ in range(args.reps)]
            rows["urlwatch, after round"] = []
            for _ in range(args.reps):
                cache.write_bytes(kept)
                rows["urlwatch, after round"].append(timed(tools["urlwatch"], work / "urlwatch"))
        finally:
            server.terminate()
            server.wait()
    print(f"N = {args.n}, median of {args.reps}, {os.cpu_count()} cores")
    print("| run | wall s | CPU s | peak RSS MB | output |\n| --- | --- | --- | --- | --- |")
    for name, runs in rows.items():
        shown = f"{median(runs, 'wall'):.2f} | {median(runs, 'cpu'):.2f} | {median(runs, 'rss'):.0f}"
        print(f"| {name} | {shown} | {runs[-1]['out'][0][:60]} |")


if __name__ == "__main__":
    main()
