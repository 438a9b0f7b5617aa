"""The config file as plain data: YAML read with each key's line number, ``${VAR}`` expanded from the
environment after parsing (so a secret can never inject YAML).

Apart from the models (``bot.config``) because the read-only commands (``recent``, ``search``, ``story``)
need only the database path and the keyword group names: ``basics`` gives them without pydantic, whose import
and model building cost ~120 ms, and without validating every source (~25 ms more at 2,000 sources), so that
a query answers in about half the time. Everything else loads the whole config through ``bot.config.load``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.models import Group

DEFAULT_PATH = Path("config/wirewatch.yaml")
DEFAULT_DATABASE = Path("data/wirewatch.db")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 1,000 sources load 10x faster
_SCALARS = yaml.SafeLoader("")  # only its scalar constructors are used (ints, bools, floats, strings)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
PLACEHOLDER = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")  # a whole value left unset (``Unset``)


@dataclass(frozen=True, slots=True)
class Basics:
    """What a query command needs from the config: the database, and the keyword groups (search reads a name
    in every spelling of the group that names it)."""

    path: Path
    database_path: Path
    keywords: list[str]
    groups: list[Group] = field(default_factory=list)


def basics(path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> Basics:
    """The database path and keyword group names, with the same resolution and errors as ``load``, the rest of
    the file unchecked (``wirewatch validate`` checks it), and its ${VAR}s too: a query needs no chat secret."""
    path, data, lines = read(path, environ, unset=[], optional=lambda key: key not in ("database", "keywords"))
    database = data.get("database", str(DEFAULT_DATABASE))
    if not isinstance(database, str) or not database.strip():
        raise ConfigError(f"{path}: database: must be a file path (line {lines.get(('database',), 1)})")
    raw = data.get("keywords")
    raw = [g for g in raw if isinstance(g, dict) and isinstance(g.get("name"), str)] if isinstance(raw, list) else []
    groups = [Group(g["name"], tuple(t for t in g.get("terms") or [] if isinstance(t, str)), bool(g.get("exact")))
              for g in raw]  # fmt: skip
    return Basics(path, database_path(path, Path(database)), [g.name for g in groups], groups)


def database_path(config_path: Path | None, database: Path) -> Path:
    """The database as the config names it: a relative path is relative to the config file's folder."""
    if database.is_absolute() or config_path is None:
        return database
    return config_path.parent / database


@dataclass(frozen=True, slots=True)
class Unset:
    """A ${VAR} left as it is, for a command that does not need it (``read(..., unset=[...])``)."""

    key: str  # dotted, as the user writes it
    name: str
    line: int


def read(
    path: str | os.PathLike[str] | None = None, environ: dict[str, str] | os._Environ[str] | None = None,
    unset: list[Unset] | None = None, optional: Callable[[str], bool] = lambda key: False,
) -> tuple[Path, dict, dict[tuple, int]]:  # fmt: skip
    """The config file's path (DEFAULT_PATH if none), its top-level mapping and each key path's line, ${VAR}
    from ``environ`` (the process's if none); every failure is a one-line ConfigError. With ``unset`` (a list),
    a variable that is not set under a top-level key that ``optional`` accepts is no failure: the text stays
    ``${VAR}`` and the list says where."""
    path = Path(path) if path is not None else DEFAULT_PATH
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    return (path, *parse(text, path, environ, unset, optional))


def parse(
    text: str, path: Path, environ: dict[str, str] | os._Environ[str], unset: list[Unset] | None = None,
    optional: Callable[[str], bool] = lambda key: False,
) -> tuple[dict, dict[tuple, int]]:  # fmt: skip
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML: {problem}{where}") from exc
    if node is None:
        raise ConfigError(f"{path}: the file is empty")
    lines: dict[tuple, int] = {}
    tolerated = (unset, optional) if unset is not None else None
    data = _to_python(node, (), lines, path, environ, tolerated)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping (database:, sources:, keywords: ...)")
    return data, lines


def _to_python(node: yaml.Node, loc: tuple, lines: dict, path: Path, environ, tolerated) -> Any:
    """Build plain data from the YAML node tree, remembering each key path's line and expanding ${VAR}."""
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    f"{path}: {dotted(loc)}: a key must be a plain name (line {key_node.start_mark.line + 1})"
                )
            key = key_node.value
            if key in result:
                raise ConfigError(
                    f"{path}: {dotted((*loc, key))}: key appears twice (line {key_node.start_mark.line + 1})"
                )
            result[key] = _to_python(value_node, (*loc, key), lines, path, environ, tolerated)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*loc, i), lines, path, environ, tolerated) for i, item in enumerate(node.value)]
    value = _SCALARS.construct_object(node)
    if isinstance(value, str):
        value = _expand(value, loc, path, environ, lines[loc], tolerated)
    return value


def _expand(value: str, loc: tuple, path: Path, environ, line: int, tolerated) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            if tolerated is not None and loc and tolerated[1](str(loc[0])):
                tolerated[0].append(Unset(dotted(loc), name, line))
                return match.group(0)
            raise ConfigError(f"{path}: {dotted(loc)}: environment variable {name} is not set (line {line})")
        return environ[name]

    return _VAR.sub(replace, value)


def dotted(loc: tuple) -> str:
    """A key path as the user would write it: ``sources[3].url``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
