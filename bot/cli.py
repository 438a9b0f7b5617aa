"""wirewatch check | run | sources | recent | search | story | status | redeliver | reload | validate | explain | demo.

Thin: parse arguments, call the pipeline or the query layer, render. Heavy modules are imported inside
the commands so that ``wirewatch --help`` and ``wirewatch recent`` start fast. Whatever goes wrong, a user
sees one line: a config error (exit 2), a runtime one (exit 1), or a bug, said as such with the way to its
traceback (``--debug``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot import __version__
from bot.errors import ConfigError, WirewatchError

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2

# Each command: what it does (its --help's first line) and an example.
COMMANDS = {
    "check": ("poll every source once, store what is new, deliver and print new alerts, exit",
              "wirewatch check --config config/wirewatch.yaml\n  wirewatch check --source 'Enab Baladi' -v"),
    "run": ("the long-running service: every source on its schedule, chat listeners and senders",
            "wirewatch run --metrics 127.0.0.1:9464"),
    "sources": ("each source's last success, last error, interval and next poll",
                "wirewatch sources\n  wirewatch sources --json"),
    "recent": ("the latest alerted stories", "wirewatch recent --keyword 'Deir ez-Zor' --limit 5"),
    "search": ("full-text search over every stored article, newest first",
               "wirewatch search 'Deir ez-Zor'\n  wirewatch search '\"al-Bukamal\" AND drone'"),
    "story": ("one story: its keyword groups and every outlet that ran it", "wirewatch story 12 --json"),
    "status": ("the outbox per chat channel: pending, sent, failed, muted", "wirewatch status"),
    "redeliver": ("send a channel's failed alerts again, now", "wirewatch redeliver slack:#syria-alerts"),
    "mute": ("no alerts (nor brief) of a keyword group in a channel for a while",
             "wirewatch mute webhook:siem 'Deir ez-Zor' 24h"),
    "unmute": ("alerts of a keyword group in a channel again", "wirewatch unmute webhook:siem 'Deir ez-Zor'"),
    "brief": ("the stories of the last 24 hours per keyword group, as a channel's daily brief shows them",
              "wirewatch brief\n  wirewatch brief --channel apprise:team --json"),
    "reload": ("make the running `wirewatch run` re-read its config (SIGHUP)", "wirewatch reload"),
    "validate": ("check the config file and say what it sets up", "wirewatch validate --config my.yaml"),
    "explain": ("which keyword groups match a text or a URL, and why",
                "wirewatch explain 'Clashes near Dayr al-Zawr'\n  wirewatch explain https://example.org/news/123"),
    "demo": ("serve bundled sample sites on loopback and run a real cycle on them", "wirewatch demo"),
}  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Watch news websites for keywords in every spelling; alert Slack, Matrix or the console.",
        epilog="`wirewatch COMMAND --help` says more of each. --config, -v and --debug go before or after COMMAND.",
    )
    parser.add_argument("--version", action="version", version=f"wirewatch {__version__}")
    _common_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, argparse.SUPPRESS)  # after the command: overrides what came before, if given
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, parents=(common,)) -> argparse.ArgumentParser:
        summary, example = COMMANDS[name]
        return sub.add_parser(name, parents=list(parents), help=summary, description=summary[0].upper() + summary[1:]
                              + ".", epilog=f"example:\n  {example}",
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip

    check = command("check")
    check.add_argument("--json", action="store_true", help="one JSON object per new alert on stdout")
    check.add_argument("--stats", action="store_true",
                       help="print the cycle's figures (requests, 304s, bytes, loop stalls) on stderr")  # fmt: skip
    check.add_argument("--links", action="store_true",
                       help='with --json: also a {"type": "also_reported"} line for each report that joined a story '
                            "alerted before (a copy, or the event in another language)")  # fmt: skip
    check.add_argument("--source", "-s", metavar="NAME", action="append",
                       help="poll only this source (by its name; may be given more than once)")  # fmt: skip
    run = command("run")
    run.add_argument(
        "--metrics", metavar="HOST:PORT", help="serve /healthz and /metrics here (overrides metrics.listen)"
    )
    sources = command("sources")
    sources.add_argument("--json", action="store_true", help="one JSON object per source")
    recent = command("recent")
    recent.add_argument("--keyword", "-k", metavar="K", help="only alerts of this keyword group")
    recent.add_argument("--limit", "-n", type=_positive, default=20, metavar="N", help="how many (default 20)")
    recent.add_argument("--json", action="store_true", help="one JSON object per story")
    recent.add_argument("--articles", action="store_true", help="list every copy of each story")
    search = command("search")
    search.add_argument("query", metavar="QUERY", help='words, "a phrase", AND / OR / NOT, prefix*')
    search.add_argument("--limit", "-n", type=_positive, default=20, metavar="N", help="how many (default 20)")
    search.add_argument("--json", action="store_true", help="one JSON object per story")
    search.add_argument("--articles", action="store_true", help="list every copy of each story")
    story = command("story")
    story.add_argument("story_id", metavar="ID", type=_positive, help="the story number (from recent or search)")
    story.add_argument("--json", action="store_true", help="the story as one JSON object")
    command("reload")
    status = command("status")
    status.add_argument("--json", action="store_true", help="one JSON object per channel")
    redeliver = command("redeliver")
    redeliver.add_argument(
        "channel", metavar="CHANNEL", help="as `status` names it (slack:#alerts) or its target (#alerts)"
    )
    mute = command("mute")
    mute.add_argument("channel", metavar="CHANNEL", help="as `status` names it (webhook:siem) or its target")
    mute.add_argument("group", metavar="GROUP", help="a keyword group's name")
    mute.add_argument("duration", metavar="DURATION", help="how long: 30m, 24h, 7d")
    unmute = command("unmute")
    unmute.add_argument("channel", metavar="CHANNEL", help="as `status` names it (webhook:siem) or its target")
    unmute.add_argument("group", metavar="GROUP", help="a keyword group's name")
    brief = command("brief")
    brief.add_argument("--channel", metavar="CHANNEL", help="that channel's brief: its groups, less those muted there")
    brief.add_argument("--json", action="store_true", help="the brief as one JSON object")
    command("validate")
    explain = command("explain")
    explain.add_argument("target", metavar="TEXT_OR_URL", help="text to test, or an article URL to fetch and extract")
    explain.add_argument("--json", action="store_true", help="one JSON object per keyword group")
    demo = command("demo", parents=())
    demo.add_argument("--json", action="store_true", help="one JSON object per new alert on stdout")
    demo.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                      help="log what each source did")  # fmt: skip
    demo.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="log everything, tracebacks too")
    return parser


def _common_options(parser: argparse.ArgumentParser, default) -> None:
    """--config, -v and --debug: on the main parser (before the command) and on each command (after it)."""
    parser.add_argument("--config", "-c", metavar="PATH", default=default,
                        help="config file (default: config/wirewatch.yaml)")  # fmt: skip
    flag = {} if default is None else {"default": default}
    parser.add_argument("--verbose", "-v", action="store_true", help="log what each source did", **flag)
    parser.add_argument("--debug", action="store_true", help="log everything, and tracebacks of internal errors",
                        **flag)  # fmt: skip
    parser.add_argument("--database", metavar="PATH", default=default,
                        help="the SQLite file, instead of the config's (a container's volume)")  # fmt: skip


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "aiohttp", "apscheduler", "nio", "slack_sdk", "slack_bolt"):
        if not args.debug:  # request lines would log URLs with tokens; -v is about what each source did
            logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)  # only Apprise's requests use it: its URLs hold tokens
    command = {"check": _check, "run": _run, "sources": _sources, "recent": _recent, "search": _search,
               "validate": _validate, "demo": _demo, "explain": _explain, "story": _story, "status": _status,
               "redeliver": _redeliver, "reload": _reload, "mute": _mute, "unmute": _mute,
               "brief": _brief}[args.command]  # fmt: skip
    try:
        return command(args)
    except ConfigError as exc:
        print(f"wirewatch: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except WirewatchError as exc:
        print(f"wirewatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("wirewatch: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, and the way to its traceback
        if args.debug:
            logging.getLogger("bot").exception("internal error")
        where = "" if args.debug else " (run it again with --debug for the traceback)"
        text = str(exc).splitlines()[0] if str(exc) else ""
        print(f"wirewatch {args.command}: internal error: {type(exc).__name__}: {text}{where}", file=sys.stderr)
        return EXIT_ERROR


def _config(args, secrets: bool = True):
    """The whole config; ``secrets=False`` for a command that talks to no chat: an unset chat secret is fine."""
    from bot import config

    loaded = config.load(args.config, secrets=secrets)
    return loaded.model_copy(update={"database": Path(args.database).absolute()}) if args.database else loaded


def _check(args) -> int:
    from bot.check import run_check

    cfg = _config(args)
    if args.source:
        cfg = cfg.model_copy(update={"sources": [_source(cfg, name) for name in dict.fromkeys(args.source)]})
    return run_check(cfg, as_json=args.json, with_stats=args.stats, links=args.links)


def _source(cfg, name: str):
    """The configured source named ``name`` (case aside), or one line naming the closest ones."""
    import difflib

    found = next((s for s in cfg.sources if s.name.casefold() == name.casefold()), None)
    if found is None:
        names = [s.name for s in cfg.sources]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(map(repr, close))}?" if close else f"sources: {', '.join(names[:20])}"
        raise WirewatchError(f"no source named {name!r} in {cfg.path}; {hint}")
    return found


def _sources(args) -> int:
    """Each source as ``/wirewatch sources`` shows it, from the database: no chat secret needed."""
    from bot.chat.commands import source_rows
    from bot.console import print_rows

    cfg = _config(args, secrets=False)
    store = _open_store(cfg)
    try:
        rows = source_rows(cfg, store)
    finally:
        store.close()
    columns = [("name", "Source"), ("type", "Type"), ("every", "Interval"), ("why", "Why"), ("last_ok", "Last success"),
               ("last_error", "Last error"), ("errors", "Failures in a row"), ("articles", "Articles"),
               ("next_poll", "Next poll"), ("url", "URL")]  # fmt: skip
    print_rows(rows, columns, as_json=args.json)
    return EXIT_OK


def _run(args) -> int:
    from pydantic import ValidationError

    from bot.config import MetricsConfig
    from bot.service import run_service

    cfg = _config(args)
    update: dict = {}
    if args.database:
        update["database"] = cfg.database  # what --database made it, kept across reloads
    if args.metrics:
        try:
            update["metrics"] = MetricsConfig(listen=args.metrics)
        except ValidationError as exc:
            raise ConfigError(f"--metrics: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    return run_service(cfg.model_copy(update=update) if update else cfg, update)


def _basics(args):
    """For the read-only commands: the database and group names, without validating every source."""
    import dataclasses

    from bot.configfile import basics

    found = basics(args.config)
    return dataclasses.replace(found, database_path=Path(args.database).absolute()) if args.database else found


def _open_store(cfg):
    from bot.store import Store

    return Store.open_for_queries(cfg.database_path)


_STORY_COLUMNS = [("story", "Story"), ("keywords", "Keywords"), ("sources", "Sources"), ("title", "First headline"),
                  ("source", "First source"), ("last_seen", "Newest sighting"), ("url", "URL")]  # fmt: skip


def _recent(args) -> int:
    from bot.console import print_stories
    from bot.store import queries

    cfg = _basics(args)
    if args.keyword and args.keyword.casefold() not in {name.casefold() for name in cfg.keywords}:
        names = ", ".join(cfg.keywords)
        raise WirewatchError(f'no keyword group named "{args.keyword}" (groups: {names})')
    store = _open_store(cfg)
    try:
        rows = queries.recent(store, args.keyword, args.limit, articles=args.articles)
    finally:
        store.close()
    print_stories(rows, _STORY_COLUMNS, as_json=args.json, empty="No alerts yet.")
    return EXIT_OK


def _search(args) -> int:
    from bot.console import print_stories
    from bot.store.search import search

    cfg = _basics(args)
    if not args.query.strip():
        raise WirewatchError("search: the query is empty")
    store = _open_store(cfg)
    try:
        rows = search(store, args.query, args.limit, articles=args.articles, groups=cfg.groups)
    finally:
        store.close()
    columns = [*_STORY_COLUMNS[:-1], ("snippet", "Snippet"), _STORY_COLUMNS[-1]]
    print_stories(rows, columns, as_json=args.json, empty=f"No article matches {args.query!r}.")
    return EXIT_OK


def _story(args) -> int:
    from bot.console import print_stories
    from bot.store import queries

    store = _open_store(_basics(args))
    try:
        row = queries.story(store, args.story_id)
    finally:
        store.close()
    if row is None:
        raise WirewatchError(f"no story {args.story_id}")
    print_stories([row], _STORY_COLUMNS, as_json=args.json)
    return EXIT_OK


def _reload(args) -> int:
    """Check the file first, then signal the running service (its pid beside the database)."""
    import os
    import signal

    from bot.service import pid_file

    cfg = _config(args, secrets=False)  # a bad file stops here, with its one line; the service is not disturbed
    path = pid_file(cfg)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise WirewatchError(f"no running `wirewatch run` for this database ({path}: {exc})") from None
    print(f"wirewatch: asked process {pid} to reload {cfg.path}", file=sys.stderr)
    return EXIT_OK


def _status(args) -> int:
    from dataclasses import asdict

    from bot.chat.commands import source_rows
    from bot.console import print_rows
    from bot.store import Store, outbox

    cfg = _config(args, secrets=False)
    store = Store.open(cfg.database_path)
    try:
        rows = [asdict(state) for state in outbox.states(store, [c.id for c in cfg.channels])]
        sources = source_rows(cfg, store)
    finally:
        store.close()
    columns = [("channel", "Channel"), ("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed"),
               ("muted", "Muted"), ("oldest_pending", "Oldest pending"), ("last_error", "Last error")]  # fmt: skip
    empty = "No channels configured, and nothing in the outbox." if not cfg.channels else "Nothing yet."
    print_rows(rows, columns, as_json=args.json, empty=empty)
    if not args.json:  # --json stays one object per channel; `wirewatch sources --json` has the sources
        print()
        print_rows(sources, [("name", "Source"), ("every", "Interval"), ("why", "Why"), ("next_poll", "Next poll"),
                             ("errors", "Failures in a row")])  # fmt: skip
    return EXIT_OK


def _channel(cfg, wanted: str):
    """The configured channel named ``wanted`` (its id, as ``status`` shows it, or its target), or one line."""
    channel = next((c for c in cfg.channels if wanted.strip() in (c.id, c.target)), None)
    if channel is None:
        names = ", ".join(c.id for c in cfg.channels) or "none configured"
        raise WirewatchError(f"no channel {wanted.strip()!r} in the config (channels: {names})")
    return channel


def _mute(args) -> int:
    """``mute`` and ``unmute`` as an admin would in the channel: for channels that take no commands (webhooks,
    Apprise), and for the operator anywhere."""
    from bot.chat.commands import Request, handle
    from bot.store import Store

    cfg = _config(args, secrets=False)
    channel = _channel(cfg, args.channel)
    words = f"{args.command} {args.group}" + (f" {args.duration}" if args.command == "mute" else "")
    store = Store.open(cfg.database_path)
    try:
        reply = handle(Request(words, "cli", channel.id, is_admin=True), cfg, store)
    finally:
        store.close()
    print(f"{channel.id}: {reply.title}" + (f" ({reply.text})" if reply.text and reply.kind == "done" else ""),
          file=sys.stderr)  # fmt: skip
    if reply.kind != "done":
        raise WirewatchError(reply.text.splitlines()[-1] if reply.text else reply.title)
    return EXIT_OK


def _brief(args) -> int:
    import json

    from bot.chat.commands import brief_data
    from bot.store import Store

    cfg = _config(args, secrets=False)
    channel = _channel(cfg, args.channel) if args.channel else None
    store = Store.open(cfg.database_path)
    try:
        data = brief_data(cfg, store, channel.id if channel else None)
    finally:
        store.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return EXIT_OK
    print(data["title"])
    for group in data["groups"]:
        print(f"\n{group['group']}")
        for story in group["stories"]:
            print(f"  - {story['title']} ({story['sources']} source{'s' if story['sources'] != 1 else ''}) "
                  f"{story['url']}")  # fmt: skip
        if group["more"]:
            print(f"  - and {group['more']} more")
    if not data["groups"]:
        print("No alerted stories in the last 24 hours.")
    if data["note"]:
        print(f"\n{data['note']}")
    return EXIT_OK


def _redeliver(args) -> int:
    import asyncio

    from bot.channels import drain_all, report
    from bot.store import Store, outbox

    cfg = _config(args)
    channel = _channel(cfg, args.channel)
    store = Store.open(cfg.database_path)
    try:
        again = outbox.redeliver(store, channel.id)
        print(f"{channel.id}: {again} failed alert{'s' if again != 1 else ''} pending again; sending now.",
              file=sys.stderr)  # fmt: skip
        results = asyncio.run(drain_all(cfg, store, only=channel.id))
    finally:
        store.close()
    report(results)
    return EXIT_ERROR if any(r.failed or r.left for r in results) else EXIT_OK


def _validate(args) -> int:
    cfg = _config(args, secrets=False)
    feeds = sum(1 for s in cfg.sources if s.type == "feed")
    channels = sum(1 for s in cfg.sources if s.type == "telegram")
    kinds = f"{feeds} feeds, {len(cfg.sources) - feeds - channels} pages" + (
        f", {channels} Telegram channel{'s' if channels != 1 else ''}" if channels else ""
    )
    names = ", ".join(c.id for c in cfg.channels[:10]) + (", ..." if len(cfg.channels) > 10 else "")
    count = f"{len(cfg.channels) or 'no'} channel{'s' if len(cfg.channels) != 1 else ''}"
    print(
        f"{cfg.path}: OK: {len(cfg.sources)} sources ({kinds}), {len(cfg.keywords)} keyword groups, {count}"
        f"{f' ({names})' if cfg.channels else ' (alerts go to the console)'}; database {cfg.database_path}"
    )
    for unset in cfg.unset:  # fine for validate; `check` and `run` will need them
        print(f"note: {unset.key} (line {unset.line}): ${{{unset.name}}} is not set here; check and run need it")
    return EXIT_OK


def _explain(args) -> int:
    from bot.explain import explain

    return explain(_config(args, secrets=False), args.target, as_json=args.json)


def _demo(args) -> int:
    from bot.demo.run import run_demo

    return run_demo(as_json=args.json)


def entry() -> None:  # pragma: no cover - console script shim
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))

__all__ = ["Path", "main"]
