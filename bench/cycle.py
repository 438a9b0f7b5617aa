"""Three cycles (first, unchanged, after one round of news) of wirewatch and urlwatch 2.29 over the same
simulated news web, side by side in one run, plus a check of wirewatch's alerts against the server's truth.

    python3 -m venv .venv && .venv/bin/pip install -U pip && .venv/bin/pip install -e .
    .venv/bin/python bench/cycle.py --n 200 1000 5000

Per N it starts ../shared/newsweb/server.py (N sites, each on its own address 127.1.x.y, --latency-ms,
--warm so that page rendering stays out of the timed cycles), writes a wirewatch config with N feed sources
(``--listing``: N listing pages) and five keyword groups and nothing tuned (``--concurrency``, ``--per-host``,
``--workers`` set them), and urlwatch ``url:`` jobs for the same N URLs.
Each tool runs as a child process; per tool and cycle the table shows wall time and CPU (user + sys) from
``wait4`` (this process is a child subreaper, so wirewatch's forkserver and the worker processes it reaped are
counted too), memory as the peak of the RSS summed over every process of the tool's session (sampled every
50 ms; also of the PSS, which splits the pages processes share, such as the forkserver's with its workers),
how many cores the tool kept busy (the median second, and the seconds under 1.5 cores), and from the server's
/_stats, reset before each run: requests, MB served, share answered 304, share conditional, connections
opened. New alerts: wirewatch, lines of ``check --json``; urlwatch, NEW/CHANGED jobs in its stdout report.
From wirewatch's ``check --stats``: the article pages read cheaply and accurately (bot/prefilter.py), the CPU of a
reading of each, and the share that took the accurate path.

Correctness: the server's own generator (SiteGen.mention, run in the server's interpreter) says which
articles name a watched name; every such article should be alerted exactly once, in the right keyword group,
and nothing else. urlwatch is not checked: it reports changed documents, it does not read articles.

The server needs aiohttp, urlwatch its own dependencies: both are installed on first use into venvs of their
own (bench/.venv-newsweb, bench/.venv-urlwatch) so the project's venv stays as its pyproject makes it.
"""

from __future__ import annotations

import argparse
import ast
import collections
import ctypes
import datetime
import json
import os
import platform
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

try:
    import yaml

    import bot  # noqa: F401  (wirewatch itself: its venv has what the configs are written with)
except ImportError:
    raise SystemExit("run with the project's venv: .venv/bin/python bench/cycle.py (see bench/README.md)") from None

from common import NEWSWEB, ROOT

NEWSWEB_VENV = ROOT / "bench" / ".venv-newsweb"
URLWATCH_VENV = ROOT / "bench" / ".venv-urlwatch"
URLWATCH = "urlwatch==2.29"
CYCLES = ("first", "unchanged", "after round")
STATS = "wirewatch: cycle stats: "  # the line ``check --stats`` prints on stderr
ARABIC = re.compile("[\u0600-\u06ff]")
ARTICLE = re.compile(r"/site(\d+)/article/(\d+)\.html")

# Every spelling the news web inserts (server.py MENTIONS_EN + MENTIONS_AR), by the keyword group that must catch
# it. The config's terms are only each group's first Latin and first Arabic spelling, as a user would write
# them: the other spellings are left to wirewatch's variant matching, so a miss points at the matcher.
GROUPS = {
    "Deir ez-Zor": ["Deir ez-Zor", "Deir Al-Zour", "Deir Ezzor", "Dayr az-Zawr", "دير الزور", "بدير الزور"],
    "Nujaba": ["Nujaba", "al-Nujaba", "النجباء"],
    "Hezbollah": ["Hezbollah", "Hizbullah", "Hizballah", "حزب الله", "لحزب الله"],
    "Al-Bukamal": ["Al-Bukamal", "Albukamal", "البوكمال"],
    "Fatemiyoun": ["Fatemiyoun", "الفاطميون"],
}
GROUP_OF = {spelling: group for group, spellings in GROUPS.items() for spelling in spellings}

# Run in the server's interpreter (server.py imports aiohttp): {"i/j": spelling} for articles 0..J-1 of N sites.
TRUTH = """
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("newsweb_server", os.path.join(sys.argv[1], "server.py"))
server = sys.modules["newsweb_server"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)
gen = server.SiteGen(int(sys.argv[2]), "", float(sys.argv[3]))
names = {f"{i}/{j}": gen.mention(i, j) for i in range(int(sys.argv[4])) for j in range(int(sys.argv[5]))}
print(json.dumps({key: name for key, name in names.items() if name}))
"""


def site_host(i: int) -> str:
    """Site i's address, as server.site_host gives it."""
    return f"127.1.{i // 250}.{i % 250 + 1}"


def keyword_groups() -> list[dict]:
    """The five groups, after checking that GROUPS covers exactly the names server.py inserts."""
    tree = ast.parse((NEWSWEB / "server.py").read_text(encoding="utf-8"))
    inserted = set()
    for node in tree.body:
        names = [getattr(target, "id", "") for target in getattr(node, "targets", [])]
        if "MENTIONS_EN" in names or "MENTIONS_AR" in names:
            inserted.update(ast.literal_eval(node.value))
    if inserted != set(GROUP_OF):
        raise SystemExit(f"server.py's watched names differ from GROUPS: {sorted(inserted ^ set(GROUP_OF))}")
    return [
        {"name": group, "terms": [next(s for s in spellings if not ARABIC.search(s)),
                                  next(s for s in spellings if ARABIC.search(s))]}
        for group, spellings in GROUPS.items()
    ]  # fmt: skip


def venv(path: Path, requirements: list[str], probe: str) -> Path:
    """A venv at `path` in which `probe` runs; created and filled from the package registry on first use."""
    python = path / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", probe], capture_output=True).returncode == 0:
        return python
    print(f"installing {' '.join(requirements)} into {path.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", path], check=True)
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)
    subprocess.run([python, "-c", probe], check=True)
    return python


def become_subreaper() -> bool:
    """Orphans of a tool (multiprocessing's forkserver and resource tracker outlive wirewatch's main process by
    a moment, and the workers' CPU is in the forkserver's rusage) are reparented here, so wait4 can count them."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def children() -> list[int]:
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def reap_orphans(keep: set[int], timeout: float = 60) -> list[resource.struct_rusage]:
    """Wait for every child but `keep` (the news web server), killing any still alive after `timeout`."""
    usages, deadline = [], time.monotonic() + timeout
    while pids := [pid for pid in children() if pid not in keep]:
        for pid in pids:
            try:
                done, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done:
                usages.append(usage)
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    return usages


class TreeSampler(threading.Thread):
    """Every 50 ms: the summed RSS and the CPU time of every process in the tool's session (its main process,
    multiprocessing's forkserver and resource tracker, the workers). wait4's ru_maxrss is per process, and the
    workers hold most of the memory, so the peak of the sum is what the machine has to give."""

    def __init__(self, session: int) -> None:
        super().__init__(daemon=True)
        self.session, self.stop = session, threading.Event()
        self.peak_rss, self.peak_pss, self.peak_processes = 0, 0, 0
        self.ticks: list[tuple[float, float]] = []  # (monotonic time, CPU seconds of the live processes)
        self.page, self.hz = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")

    def sample(self) -> tuple[int, int, float, int]:
        rss, pss, cpu, count = 0, 0, 0.0, 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) != self.session:  # field 6 of stat, the session id
                    continue
                rss += int(Path(f"/proc/{entry}/statm").read_text().split()[1]) * self.page
                rollup = Path(f"/proc/{entry}/smaps_rollup").read_text()  # Pss: shared pages split between sharers
                pss += int(rollup.split("\nPss:", 1)[1].split()[0]) * 1024
                cpu += (int(fields[11]) + int(fields[12])) / self.hz  # utime + stime
                count += 1
            except (OSError, IndexError, ValueError):
                continue
        return rss, pss, cpu, count

    def run(self) -> None:
        while not self.stop.wait(0.05):
            rss, pss, cpu, count = self.sample()
            self.peak_rss, self.peak_processes = max(self.peak_rss, rss), max(self.peak_processes, count)
            self.peak_pss = max(self.peak_pss, pss)
            self.ticks.append((time.monotonic(), cpu))

    def busy(self) -> dict:
        """Cores in use per second of the run, from the live processes' CPU time (a process that exits takes
        its last ticks with it: the totals come from wait4, these only show how the cores were used)."""
        per_second, start = [], self.ticks[0][0] if self.ticks else 0
        last = (start, 0.0)
        for moment, cpu in self.ticks:
            if moment - last[0] >= 1.0:
                per_second.append(max(0.0, (cpu - last[1]) / (moment - last[0])))
                last = (moment, cpu)
        return {"cores_p50": sorted(per_second)[len(per_second) // 2] if per_second else 0.0,
                "seconds_under_1_5_cores": sum(c < 1.5 for c in per_second), "seconds": len(per_second)}  # fmt: skip


def measure(cmd: list, cwd: Path, keep: set[int], timeout: float) -> dict:
    """Run `cmd` to its end (its whole process group is killed after `timeout` s) and measure it.

    The disk is synced first: the previous run's writes still in the page cache (a first cycle writes ~800 MB
    at N = 1000) would otherwise be flushed inside this one, by SQLite's checkpoint at close (~0.5 s here)."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with (cwd / "stdout").open("wb") as out, (cwd / "stderr").open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        killer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
    usages = [usage, *reap_orphans(keep)]
    sampler.stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "user": after.ru_utime - before.ru_utime,
        "sys": after.ru_stime - before.ru_stime,
        "main_cpu": usage.ru_utime + usage.ru_stime,  # the tool's own process; its workers are the forkserver's
        "rss_mb": max(u.ru_maxrss for u in usages) / 1024,  # KiB on Linux
        "tree_rss_mb": sampler.peak_rss / 1e6,
        "tree_pss_mb": sampler.peak_pss / 1e6,
        "tree_processes": sampler.peak_processes,
        **sampler.busy(),
        "processes_reaped": len(usages),
        "exit": proc.returncode,
        "stdout": (cwd / "stdout").read_text(encoding="utf-8", errors="replace"),
        "stderr": (cwd / "stderr").read_text(encoding="utf-8", errors="replace"),
    }


def http(url: str, method: str = "GET") -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=60) as response:
        return json.loads(response.read())


def check_loopback(n: int) -> None:
    """The sites live on 127.1.x.y: Linux routes all of 127.0.0.0/8 to lo, other systems may not."""
    for host in {site_host(0), site_host(n - 1)}:
        with socket.socket() as probe:
            try:
                probe.bind((host, 0))
            except OSError as error:
                raise SystemExit(f"cannot bind {host} ({error}): the news web needs all of 127.0.0.0/8 on lo") from None


def start_server(python: Path, n: int, args, log: Path) -> subprocess.Popen:
    cmd = [python, NEWSWEB / "server.py", "--sites", n, "--port", args.port, "--latency-ms", args.latency_ms,
           "--mention-rate", args.mention_rate, "--change-rate", args.change_rate, "--seed", args.seed,
           "--warm", "--max-seconds", 4 * 3600]  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(list(map(str, cmd)), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120 + n * 0.2  # --warm renders ~21 pages a site first
    while "serving" not in log.read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"news web server did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return server


def mentions(python: Path, n: int, articles: int, args) -> dict[tuple[int, int], str]:
    """{(site, article): inserted spelling} from the server's own generator."""
    argv = [python, "-c", TRUTH, NEWSWEB, args.seed, args.mention_rate, n, articles]
    out = subprocess.run(list(map(str, argv)), check=True, capture_output=True, text=True).stdout
    return {tuple(map(int, key.split("/"))): name for key, name in json.loads(out).items()}


def check_alerts(alerts: list[dict], want: dict[tuple[int, int], str]) -> dict:
    """Each article in `want` alerted once, in its group only; any other alert is extra."""
    seen = collections.Counter()
    wrong = 0
    for alert in alerts:
        found = ARTICLE.search(alert.get("url") or "")
        key = (int(found[1]), int(found[2])) if found else None
        seen[key] += 1
        if key in want and set(alert.get("keywords") or []) != {GROUP_OF[want[key]]}:
            wrong += 1
    missed = collections.Counter(name for key, name in want.items() if key not in seen)
    extra = sum(count - (key in want) for key, count in seen.items())
    return {"want": len(want), "alerted": len(alerts), "missed": sum(missed.values()), "extra": extra,
            "wrong_group": wrong, "mismatches": sum(missed.values()) + extra + wrong,
            "missed_spellings": dict(missed)}  # fmt: skip


def write_configs(work: Path, urls: list[str], args, pythons: dict[str, Path]) -> dict[str, list]:
    """One folder per tool with its config; returns the command that runs a cycle of each."""
    (work / "wirewatch").mkdir()
    config = {
        "database": "wirewatch.db", "timeout": "60s", "keywords": keyword_groups(),
        "sources": [{"name": f"site{i}", "url": url, "type": "page" if args.listing else "feed"}
                    for i, url in enumerate(urls)],
    }  # fmt: skip
    tuned = {"concurrency": args.concurrency, "per_host": args.per_host, "workers": args.workers}
    config |= {key: value for key, value in tuned.items() if value is not None}  # unset: wirewatch's defaults
    (work / "wirewatch" / "wirewatch.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    wirewatch = Path(sys.executable).with_name("wirewatch")
    wirewatch = [wirewatch] if wirewatch.exists() else [sys.executable, "-m", "bot"]
    validate = [*wirewatch, "validate", "--config", "wirewatch.yaml"]
    subprocess.run(validate, cwd=work / "wirewatch", check=True, stdout=subprocess.DEVNULL)
    tools = {"wirewatch": [*wirewatch, "check", "--config", "wirewatch.yaml", "--json", "--stats"]}
    if "urlwatch" in pythons:
        (work / "urlwatch").mkdir()
        jobs = "---\n".join(f"name: site{i}\nurl: {url}\n" for i, url in enumerate(urls))
        (work / "urlwatch" / "urls.yaml").write_text(jobs)
        config = {
            "display": {"new": True, "error": True, "unchanged": False},
            "report": {"stdout": {"enabled": True, "color": False}},  # every other reporter stays disabled
        }
        (work / "urlwatch" / "urlwatch.yaml").write_text(yaml.safe_dump(config))
        tools["urlwatch"] = [pythons["urlwatch"].with_name("urlwatch"), "--urls", "urls.yaml", "--config",
                             "urlwatch.yaml", "--cache", "cache.db", "--hooks", "no-hooks.py"]  # fmt: skip
    return tools


def row(n: int, tool: str, cycle: str, run: dict, stats: dict, alerts: int, errors: list[str]) -> dict:
    total = stats["total"]
    requests = max(1, total["requests"])
    return {
        "n": n, "tool": tool, "cycle": cycle, "wall": run["wall"], "cpu": run["user"] + run["sys"],
        "user": run["user"], "sys": run["sys"], "main_cpu": run["main_cpu"],
        "rss_mb": run["rss_mb"], "processes_reaped": run["processes_reaped"], "tree_rss_mb": run["tree_rss_mb"],
        "tree_pss_mb": run["tree_pss_mb"], "tree_processes": run["tree_processes"], "cores_p50": run["cores_p50"],
        "seconds_under_1_5_cores": run["seconds_under_1_5_cores"], "seconds": run["seconds"],
        "exit": run["exit"], "requests": total["requests"], "mb": total["bytes"] / 1e6,
        "share_304": total["status_304"] / requests, "share_conditional": total["cond_requests"] / requests,
        "connections": stats["connections"], "peak_inflight": stats["peak_inflight"],
        "server_cpu": stats["server_cpu_s"], "alerts": alerts, "errors": len(errors), "error_sample": errors[:3],
    }  # fmt: skip


def stalls(figures: dict) -> dict:
    """The worst event-loop stall of a wirewatch cycle, and how much of it was the loop's own work."""
    if "loop_stall_max_ms" not in figures:
        return {"loop_stall": "-", "pool_fed": "-", "pages_waiting": "-", "backlog": "-", "tiers": "-",
                "accurate_share": "-"}  # fmt: skip
    stall, busy = figures["loop_stall_max_ms"], figures["loop_busy_max_ms"]
    fed = f"{figures['pool_full_share']:.0%}" if figures.get("pool_busy_seconds") else "-"
    cheap, accurate = figures.get("pages_cheap", 0), figures.get("pages_accurate", 0)
    tiers = (f"{cheap} x {figures.get('ms_per_cheap_page', 0):.1f} ms / "
             f"{accurate} x {figures.get('ms_per_accurate_page', 0):.1f} ms")  # fmt: skip
    share = f"{accurate / (cheap + accurate):.1%}" if cheap + accurate else "-"
    return {"loop_stall_ms": stall, "loop_busy_ms": busy, "loop_stall": f"{stall:.0f} ({busy:.0f})", "pool_fed": fed,
            "pages_waiting": figures.get("pages_waiting_max", "-"), "backlog": figures.get("writer_backlog_max", "-"),
            "tiers": tiers, "accurate_share": share, "figures": figures}  # fmt: skip


def bench(n: int, args, pythons: dict[str, Path]) -> dict:
    """Both tools' three cycles on one server of N sites."""
    base = f"http://127.0.0.1:{args.port}"
    path = "/site{i}/" if args.listing else "/site{i}/feed.xml"
    urls = [f"http://{site_host(i)}:{args.port}{path.format(i=i)}" for i in range(n)]
    truth = mentions(pythons["newsweb"], n, 21, args)  # the 20 listed articles and the one a round adds
    rows, checks = [], []
    with tempfile.TemporaryDirectory(prefix="wirewatch-cycle-") as tmp:
        work = Path(tmp)
        tools = write_configs(work, urls, args, pythons)
        server = start_server(pythons["newsweb"], n, args, work / "server.log")
        try:
            for cycle in CYCLES:
                want = {key: name for key, name in truth.items() if key[1] < 20} if cycle == "first" else {}
                if cycle == "after round":
                    changed = http(f"{base}/_round", "POST")["sites"]
                    want = {(i, 20): truth[i, 20] for i in changed if (i, 20) in truth}
                for tool, cmd in tools.items():
                    http(f"{base}/_stats/reset", "POST")
                    run = measure(cmd, work / tool, {server.pid}, args.tool_timeout)
                    stats = http(f"{base}/_stats")
                    if tool == "wirewatch":
                        alerts = [json.loads(line) for line in run["stdout"].splitlines() if line.startswith("{")]
                        lines = run["stderr"].splitlines()
                        figures = next((json.loads(line.removeprefix(STATS)) for line in lines
                                        if line.startswith(STATS)), {})  # fmt: skip
                        errors = [line for line in lines if line.strip() and not line.startswith(STATS)]
                        checks.append({"n": n, "cycle": cycle, **check_alerts(alerts, want)})
                        new = len(alerts)
                    else:
                        jobs = re.findall(r"^\d+\. (NEW|CHANGED|ERROR): (.*)$", run["stdout"], re.MULTILINE)
                        errors = [name for verb, name in jobs if verb == "ERROR"]
                        new, figures = len(jobs) - len(errors), {}
                    rows.append(row(n, tool, cycle, run, stats, new, errors) | stalls(figures))
                    shown = {key: rows[-1][key] for key in ("tool", "cycle", "wall", "cpu", "requests", "alerts")}
                    print(f"N={n} {json.dumps(shown)}", file=sys.stderr, flush=True)
        finally:
            server.terminate()
            server.wait()
    return {"n": n, "rows": rows, "checks": checks}


COLUMNS = {  # heading: how a row shows it
    "tool": "{tool}", "cycle": "{cycle}", "wall s": "{wall:.2f}", "CPU s": "{cpu:.2f}",
    "main process CPU s": "{main_cpu:.2f}", "cores used (median second)": "{cores_p50:.2f}",
    "seconds under 1.5 cores": "{seconds_under_1_5_cores}/{seconds}",
    "memory MB (peak of summed RSS, all processes)": "{tree_rss_mb:.0f}",
    "memory MB (peak of summed PSS)": "{tree_pss_mb:.0f}", "processes": "{tree_processes}",
    "largest process RSS MB": "{rss_mb:.0f}", "requests": "{requests}",
    "MB served": "{mb:.1f}", "304": "{share_304:.0%}", "conditional": "{share_conditional:.0%}",
    "connections": "{connections}", "new alerts": "{alerts}", "loop stall max ms (own work)": "{loop_stall}",
    "worker pool fed (a task for every worker)": "{pool_fed}", "pages waiting at most": "{pages_waiting}",
    "articles waiting for the writer at most": "{backlog}",
    "pages read cheaply / accurately (CPU per page)": "{tiers}", "accurate share": "{accurate_share}",
    "errors": "{errors}",
}  # fmt: skip


def markdown(head: list[str], lines: list[list]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)] + [
        "| " + " | ".join(map(str, line)) + " |" for line in lines
    ]


def tables(result: dict, args) -> str:
    """The per-N table (rows tool x cycle, then wirewatch/urlwatch ratios) and wirewatch's alert check."""
    kind = "listing pages" if args.listing else "feeds"
    title = (f"N = {result['n']} {kind}, latency {args.latency_ms:g} ms, mention rate {args.mention_rate:g}, "
             f"change rate {args.change_rate:g}; wirewatch concurrency {args.concurrency or 'default'}, "
             f"per_host {args.per_host or 'default'}, workers {args.workers or 'default'}")  # fmt: skip
    lines = []
    for r in result["rows"]:
        lines.append([cell.format(**r) for cell in COLUMNS.values()])
        if r["exit"]:
            lines[-1][-1] += f" (exit {r['exit']})"
    by = {(r["tool"], r["cycle"]): r for r in result["rows"]}
    for cycle in CYCLES:
        ww, uw = by.get(("wirewatch", cycle)), by.get(("urlwatch", cycle))
        if ww and uw:
            ratios = [f"**{ww['wall'] / uw['wall']:.2f}x**", f"{ww['cpu'] / max(uw['cpu'], 1e-9):.2f}x"]
            lines.append(["wirewatch / urlwatch", cycle, *ratios] + [""] * (len(COLUMNS) - 4))
    checks = []
    for c in result["checks"]:
        missed = ", ".join(f"{name} x{count}" for name, count in c["missed_spellings"].items())
        checks.append([c["cycle"], c["want"], c["alerted"], c["missed"] if not missed else f"{c['missed']} ({missed})",
                       c["extra"], c["wrong_group"], f"**{c['mismatches']}**"])  # fmt: skip
    head = ["wirewatch cycle", "articles naming a watched name", "alerts", "missed", "extra", "wrong group",
            "mismatches"]  # fmt: skip
    return "\n".join([title, "", *markdown(list(COLUMNS), lines), "", *markdown(head, checks)])


def meta(args, pythons: dict[str, Path]) -> dict:
    def out(*cmd) -> str:
        return subprocess.run(list(map(str, cmd)), capture_output=True, text=True, cwd=ROOT).stdout.strip()

    commit = out("git", "rev-parse", "--short", "HEAD")
    if out("git", "status", "--porcelain", "--", "bot"):
        commit += " + uncommitted bot/ changes"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "wirewatch_commit": commit,
        "python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
        "urlwatch": out(pythons["urlwatch"], "-c", "import urlwatch; print(urlwatch.__version__)")
        if "urlwatch" in pythons else None,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[200, 1000], help="numbers of sites, one run each")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="server delay per response")
    parser.add_argument("--mention-rate", type=float, default=0.05, help="share of articles naming a watched name")
    parser.add_argument("--change-rate", type=float, default=0.1, help="share of sites with a new item per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, help="wirewatch's concurrency (unset: wirewatch's default)")
    parser.add_argument("--per-host", type=int, help="wirewatch's per_host (unset: wirewatch's default)")
    parser.add_argument(
        "--workers",
        type=lambda v: v if v == "auto" else int(v),
        help="wirewatch's workers (unset: wirewatch's default)",
    )
    parser.add_argument("--port", type=int, default=18300)
    parser.add_argument("--listing", action="store_true", help="N listing pages (type: page) instead of N feeds")
    parser.add_argument("--skip-urlwatch", action="store_true")
    parser.add_argument("--tool-timeout", type=float, default=3600, help="kill a tool's cycle after this many s")
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    if sys.platform != "linux" or not become_subreaper():
        raise SystemExit("needs Linux (prctl PR_SET_CHILD_SUBREAPER) to count wirewatch's worker processes")
    for n in args.n:
        check_loopback(n)
    pythons = {"newsweb": venv(NEWSWEB_VENV, ["aiohttp"], "import aiohttp")}
    if not args.skip_urlwatch:
        probe = "import urlwatch, sys; sys.exit(urlwatch.__version__ != '2.29')"
        pythons["urlwatch"] = venv(URLWATCH_VENV, [URLWATCH], probe)
    info = meta(args, pythons)
    print(f"wirewatch {info['wirewatch_commit']}, urlwatch {info['urlwatch']}, Python {info['python']}, "
          f"{info['cpus']} CPUs, {info['date']}", flush=True)  # fmt: skip
    results = []
    for n in args.n:
        results.append(bench(n, args, pythons))
        print("\n" + tables(results[-1], args) + "\n", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"meta": info, "results": results}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
