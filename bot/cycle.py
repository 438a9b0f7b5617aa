"""One cycle over every source, as ``wirewatch check`` and ``wirewatch demo`` run it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from bot.config import Config
from bot.deliver.console import clean, print_alerts
from bot.fetch import Fetcher, FetchSettings
from bot.models import Alert
from bot.pipeline import Pipeline, PollResult
from bot.store import Store


async def cycle(config: Config, store: Store, on_done: Callable[[PollResult], None] | None = None
                ) -> list[PollResult]:  # fmt: skip
    async with Fetcher(FetchSettings.from_config(config)) as fetcher:
        pipeline = Pipeline(config, store, fetcher)
        return await pipeline.poll_all(on_done)


def report(results: list[PollResult]) -> None:
    """One line per failed source (and per warning) on stderr: what, where, and why."""
    for result in results:
        if result.error:
            print(f"wirewatch: source {result.source!r} ({result.url}): {clean(result.error)}", file=sys.stderr)
        for warning in result.warnings:
            print(f"wirewatch: source {result.source!r}: warning: {clean(warning)}", file=sys.stderr)


def run_check(config: Config, as_json: bool = False) -> int:
    """``wirewatch check``: exit 0 whatever the sources did; their failures are reported on stderr."""
    run_check_with(config, as_json)
    return 0


def run_check_with(config: Config, as_json: bool = False) -> list[PollResult]:
    store = Store.open(config.database_path)
    try:
        results = _with_progress(config, store, show=sys.stderr.isatty() and not as_json)
    finally:
        store.close()
    report(results)
    alerts: list[Alert] = [alert for result in results for alert in result.alerts]
    print_alerts(alerts, as_json=as_json)
    if not as_json:
        failed = sum(1 for r in results if r.error)
        unchanged = sum(1 for r in results if r.not_modified)
        new = sum(r.new_articles for r in results)
        print(
            f"{len(results)} sources polled: {new} new articles, {unchanged} unchanged, {failed} failed.",
            file=sys.stderr,
        )
    return results


def _with_progress(config: Config, store: Store, show: bool) -> list[PollResult]:
    if not show:
        return asyncio.run(cycle(config, store))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("", total=len(config.sources))

        def done(result: PollResult) -> None:
            progress.update(task, advance=1, description=clean(result.source))

        return asyncio.run(cycle(config, store, done))
