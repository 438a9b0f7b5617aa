"""The layout as a rule: imports run one way, from the command line down to the records, with no cycle; SQL is
written only in bot/store/; the chat libraries are imported only by the chats that use them.

Read from the source (every import statement, inside functions and ``TYPE_CHECKING`` blocks too), so that a
change that breaks the rule fails here with the offending line, before it grows."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).parents[1] / "bot"

# Low to high: a module may import from its own floor or below, never above.
FLOORS = [
    {"errors", "models", "text", "urls", "configfile", "loopwatch", "console", "transport", "appriselib"},
    {"config", "match", "prefilter", "stories", "clues", "extract", "fetch"},
    {"store", "schedule"},
    {"poll", "chat"},
    {"slack", "matrix", "hooks"},
    {"channels", "brief", "health", "downtime", "check", "explain"},
    {"service", "demo"},
    {"cli", "__main__", "bot"},
]
FLOOR = {unit: level for level, units in enumerate(FLOORS) for unit in units}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(BOT.rglob("*.py")):
        parts = ["bot", *path.relative_to(BOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(path: Path, known: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module of bot) for every import in the file."""
    out = []
    package = ".".join(["bot", *path.relative_to(BOT).parent.parts])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "bot"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.split(".")[0] != "bot":
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}"
                out.append((node.lineno, target if target in known else base))
    return [(line, name) for line, name in out if name in known]


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "bot"


def test_every_module_has_a_floor():
    assert {unit(m) for m in modules()} <= FLOOR.keys(), {unit(m) for m in modules()} - FLOOR.keys()


def test_no_import_runs_from_a_lower_floor_back_up():
    known = modules()
    upward = [
        f"{path.relative_to(BOT.parent)}:{line}: {unit(module)} (floor {FLOOR[unit(module)]}) imports {target} "
        f"(floor {FLOOR[unit(target)]})"
        for module, path in known.items()
        for line, target in imports(path, known)
        if FLOOR[unit(target)] > FLOOR[unit(module)]
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    known = modules()
    graph = {
        module: {target for _, target in imports(path, known) if target != module} for module, path in known.items()
    }
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            assert cycle is None, " -> ".join(cycle)


_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|ROLLBACK|VACUUM)\b\s")


def test_sql_is_written_only_in_the_store():
    found = []
    for path in BOT.rglob("*.py"):
        if path.is_relative_to(BOT / "store"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, scopes) and n.body and isinstance(n.body[0], ast.Expr)}  # fmt: skip
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
            if id(node) not in docstrings and _SQL.search(text):
                found.append(f"{path.relative_to(BOT.parent)}:{node.lineno}: {text[:60]!r}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(n.split(".")[0] in ("sqlite3", "sqlite_utils") for n in names):
                    found.append(f"{path.relative_to(BOT.parent)}:{node.lineno}: imports a database driver")
    assert not found, "\n".join(found)


def test_the_chat_libraries_load_only_with_their_chat():
    """slack-bolt and matrix-nio are required (a Slack/Matrix bot), but `check` without chat channels, the query
    commands and the pipeline never load them."""
    code = (
        "import sys\n"
        "import bot.cli, bot.check, bot.service, bot.channels, bot.store.queries, bot.poll.pipeline\n"
        "print(sorted(m for m in ('slack_bolt', 'slack_sdk', 'nio') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
