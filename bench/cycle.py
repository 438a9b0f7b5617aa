"""Three cycles (first, unchanged, after one round of news) of wirewatch and urlwatch 2.29 over the same
simulated news web, side by side in one run.

    .venv/bin/python bench/cycle.py --n 200 1000 5000

Starts /work/shared/newsweb/server.py (N sites on 127.1.x.y, --latency-ms, --warm), writes a wirewatch config
with N feed sources (``--listing``: N listing pages) and five keyword groups, and urlwatch jobs for the same N
feeds (urlwatch 2.29 is installed into bench/.venv-urlwatch on first use). Per tool and cycle it prints wall
time, CPU time and peak RSS of the whole process tree (worker processes included: sampled from /proc every
50 ms, so a few ms of CPU at exit may be missed), and from the server's /_stats: requests, share answered
304, share conditional, connections opened; plus new alerts (wirewatch: lines of ``check --json``;
urlwatch: NEW/CHANGED jobs in its report). The first wirewatch cycle is also checked against the server's
ground truth: every article that mentions a watched name alerted exactly once, and nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NEWSWEB = Path(os.environ.get("NEWSWEB", ROOT.parent / "shared" / "newsweb"))
URLWATCH_VENV = ROOT / "bench" / ".venv-urlwatch"
KEYWORDS = [
    {"name": "Deir ez-Zor", "terms": ["Deir ez-Zor", "دير الزور"]},
    {"name": "Nujaba", "terms": ["Nujaba", "النجباء"]},
    {"name": "Hezbollah", "terms": ["Hezbollah", "حزب الله"]},
    {"name": "Al-Bukamal", "terms": ["Al-Bukamal", "البوكمال"]},
    {"name": "Fatemiyoun", "terms": ["Fatemiyoun", "الفاطميون"]},
]


def site_host(i: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}"


class Tree:
    """CPU seconds and peak RSS of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.cpu, self.peak_rss, self._stop = pid, {}, 0, threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _pids(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = 0
            for pid in self._pids():
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick
                    rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
                except (OSError, IndexError, ValueError):
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(0.05)

    def stop(self) -> tuple[float, int]:
        self._stop.set()
        self._thread.join()
        return sum(self.cpu.values()), self.peak_rss


def run(cmd: list[str], cwd: Path) -> tuple[float, float, int, str, str]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree = Tree(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    cpu, rss = tree.stop()
    return wall, cpu, rss, out, err


def http(url: str, method: str = "GET") -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as response:
        return json.loads(response.read())


def start_server(n: int, args) -> subprocess.Popen:
    cmd = [sys.executable, str(NEWSWEB / "server.py"), "--sites", str(n), "--port", str(args.port),
           "--latency-ms", str(args.latency_ms), "--mention-rate", str(args.mention_rate), "--warm"]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in server.stdout:
        if line.startswith("serving"):
            return server
    raise SystemExit(f"newsweb server did not start: {cmd}")


def urlwatch() -> Path:
    exe = URLWATCH_VENV / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(URLWATCH_VENV)], check=True)
        subprocess.run([str(URLWATCH_VENV / "bin" / "pip"), "install", "-q", "urlwatch==2.29"], check=True)
    return exe


def ground_truth(n: int, args) -> set[tuple[int, int]]:
    """The articles of the first cycle that mention a watched name, from the server's own generator."""
    sys.path.insert(0, str(NEWSWEB))
    server = importlib.import_module("server")
    state = server.State(argparse.Namespace(sites=n, latency_ms=args.latency_ms, change_rate=0.1, seed=1,
                                            gzip=False, host="127.0.0.1", port=args.port, one_host=False,
                                            mention_rate=args.mention_rate, warm=False, max_seconds=1))  # fmt: skip
    return {(i, j) for i in range(n) for j in state.latest(i) if state.gen.mention(i, j)}


def bench(n: int, args) -> list[dict]:
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    server = start_server(n, args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            path = "/site{i}/" if args.listing else "/site{i}/feed.xml"
            urls = [f"http://{site_host(i)}:{args.port}{path.format(i=i)}" for i in range(n)]
            sources = [{"name": f"site{i}", "url": u, **({"type": "page"} if args.listing else {})}
                       for i, u in enumerate(urls)]  # fmt: skip
            config = {"database": "wirewatch.db", "concurrency": args.concurrency, "timeout": "60s",
                      "sources": sources, "keywords": KEYWORDS}  # fmt: skip
            (work / "wirewatch.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
            (work / "urls.yaml").write_text("---\n".join(f"name: s{i}\nurl: {u}\n" for i, u in enumerate(urls)))
            tools = {"wirewatch": [sys.executable, "-m", "bot", "check", "--config", "wirewatch.yaml", "--json"]}
            if not args.skip_urlwatch:
                tools["urlwatch"] = [str(urlwatch()), "--urls", "urls.yaml", "--config", "urlwatch.yaml",
                                     "--cache", "cache.db", "--hooks", "hooks.py"]  # fmt: skip
                (work / "hooks.py").write_text("")
            for cycle in ("first", "unchanged", "after round"):
                if cycle == "after round":
                    http(f"{base}/_round", "POST")
                for tool, cmd in tools.items():
                    http(f"{base}/_stats/reset", "POST")
                    wall, cpu, rss, out, err = run(cmd, work)
                    stats = http(f"{base}/_stats")
                    total = stats["total"]
                    if tool == "wirewatch":
                        alerts = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
                        new = len(alerts)
                    else:
                        new = len(re.findall(r"^\d+\. (NEW|CHANGED): ", out, re.MULTILINE))
                    row = {"n": n, "tool": tool, "cycle": cycle, "wall": wall, "cpu": cpu, "rss_mb": rss / 2**20,
                           "requests": total["requests"], "304": total["status_304"] / max(1, total["requests"]),
                           "conditional": total["cond_requests"] / max(1, total["requests"]),
                           "connections": stats["connections"], "alerts": new}  # fmt: skip
                    if tool == "wirewatch" and cycle == "first" and not args.listing:
                        got = {
                            tuple(map(int, re.search(r"/site(\d+)/article/(\d+)", a["url"]).groups())) for a in alerts
                        }
                        want = ground_truth(n, args)
                        row["missed"], row["extra"] = len(want - got), len(got - want) + (len(alerts) - len(got))
                    if err.strip() and tool == "wirewatch":
                        row["stderr"] = err.strip().splitlines()[-1]
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait()
    return rows


def table(rows: list[dict]) -> str:
    head = "N tool cycle wall_s CPU_s peak_RSS_MB requests 304 conditional connections new_alerts ww/uw_wall"
    lines = ["| " + " | ".join(h.replace("_", " ") for h in head.split()) + " |", "|" + " --- |" * 12]
    walls = {(r["n"], r["tool"], r["cycle"]): r["wall"] for r in rows}
    for r in rows:
        other = walls.get((r["n"], "urlwatch", r["cycle"]))
        ratio = f"{r['wall'] / other:.2f}" if r["tool"] == "wirewatch" and other else ""
        alerts = str(r["alerts"]) + (f" (missed {r['missed']}, extra {r['extra']})" if "missed" in r else "")
        cells = [r["n"], r["tool"], r["cycle"], f"{r['wall']:.2f}", f"{r['cpu']:.2f}", f"{r['rss_mb']:.0f}",
                 r["requests"], f"{r['304']:.0%}", f"{r['conditional']:.0%}", r["connections"], alerts,
                 ratio]  # fmt: skip
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--mention-rate", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--port", type=int, default=18300)
    parser.add_argument("--listing", action="store_true", help="N listing pages instead of N feeds")
    parser.add_argument("--skip-urlwatch", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401  (the news web server's only dependency)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "aiohttp"], check=True)
    rows = [row for n in args.n for row in bench(n, args)]
    print(table(rows))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
