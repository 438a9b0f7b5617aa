"""Config models and loading (the file itself is read by ``bot.configfile``).

The file is validated whole at load time: a typo or a bad value stops the bot before it polls anything,
with ONE line naming the file, the key path, the line and what is wrong. Secrets never live in the file:
``${VAR}`` in any string is replaced from the environment after parsing (so a secret can never inject YAML).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.configfile import DEFAULT_DATABASE, PLACEHOLDER, Unset, database_path, dotted, read
from bot.errors import ConfigError

AUTO_WORKERS_FROM = 20  # sources: below this, reading inline is faster than starting worker processes
AUTO_CONCURRENCY = (20, 60)  # concurrency: auto's floor and ceiling
AUTO_SOURCES_PER_SLOT = 16  # concurrency: auto's sources per slot between them

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_HTTP_URL = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)
_TELEGRAM_PATH = re.compile(r"^/s/[A-Za-z0-9_]+/?$")
TELEGRAM_EVERY = 300.0  # a telegram source's shortest adaptive interval (t.me answers bursts with 429)
START_EVERY = 600.0  # an adaptive source's interval until its items' dates tell its rhythm
_PROXY_URL = re.compile(r"^(https?|socks5h?)://\S+$", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_FACTOR = {
    "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3,
}  # fmt: skip


def parse_duration(value: Any, zero: bool = False) -> float:
    """``30s``, ``10m``, ``2h``, ``7d``, ``1h30m`` or a number of seconds -> seconds (``zero``: 0 allowed)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 10m, 2h, 7d)")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        parts = _DURATION_PART.findall(text)
        if not parts or _DURATION_PART.sub("", text).strip():
            raise ValueError(f'"{value}" is not a duration (use e.g. 30s, 10m, 2h, 7d)')
        seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(f'"{value}" is not a {"duration of 0 or more" if zero else "positive duration"}')
    return seconds


def parse_size(value: Any) -> int:
    """``5MB``, ``512KiB`` or a number of bytes -> bytes."""
    match = _SIZE.match(str(value)) if not isinstance(value, bool) else None
    if not match:
        raise ValueError(f'"{value}" is not a size (use e.g. 500KB, 5MB)')
    size = int(float(match.group(1)) * _SIZE_FACTOR[(match.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError(f'"{value}" is not a positive size')
    return size


Duration = Annotated[float, BeforeValidator(parse_duration)]
SHORTEST, LONGEST = 1.0, 365 * 86400.0  # the bounds of a poll interval


def parse_interval(value: Any) -> float:
    """A poll interval: a duration from 1 s to 365 days (a longer one is a typo, and overflows the clock)."""
    seconds = parse_duration(value)
    if not SHORTEST <= seconds <= LONGEST:
        raise ValueError(f'"{value}" is not an interval from 1s to 365d')
    return seconds


Interval = Annotated[float, BeforeValidator(parse_interval)]
Pause = Annotated[float, BeforeValidator(lambda value: parse_duration(value, zero=True))]  # 0 turns it off
Size = Annotated[int, BeforeValidator(parse_size)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _term(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    if not any(char.isalnum() for char in value):
        raise ValueError(f'"{value}" has no letter or digit, so it can never match')
    return value


Term = Annotated[str, AfterValidator(_term)]


def _secret(value: SecretStr | None, prefix: str = "", kind: str = "") -> SecretStr | None:
    """A token or password from the environment: not empty, and in the form its service gives (never shown)."""
    if value is None:
        return None
    secret = value.get_secret_value()
    if PLACEHOLDER.match(secret):  # unset, and not needed by this command (bot.configfile.Unset)
        return value
    if not secret.strip():
        raise ValueError("is empty (is the environment variable behind it set to nothing?)")
    if prefix and not secret.startswith(prefix):
        raise ValueError(f"is not a Slack {kind} (those start with {prefix})")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str) -> str:
    value = value.strip()
    if not _HTTP_URL.match(value):
        raise ValueError(f'"{value}" is not an http(s) URL')
    return value


class Source(_Model):
    name: NonEmpty
    url: str
    type: Literal["feed", "page", "telegram"] = "feed"
    links: str | None = None
    pages: int | None = Field(None, ge=1, le=100)  # telegram: preview pages one poll reads at most (default 5)
    every: Interval | None = None
    max_age: Duration | None = None
    articles: Literal["auto", "always", "never"] = "auto"
    proxy: str | None = None

    _check_url = field_validator("url")(classmethod(lambda cls, v: _http_url(v)))

    @field_validator("links")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from lxml.cssselect import CSSSelector, SelectorError

        try:
            CSSSelector(value)
        except (SelectorError, ValueError) as exc:  # also cssselect's "pseudo-element not supported" kinds
            raise ValueError(f'"{value}" is not a valid CSS selector ({str(exc).splitlines()[0]})') from exc
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is not None and not _PROXY_URL.match(value):
            raise ValueError(f'"{value}" is not a proxy URL (http://, https:// or socks5://)')
        return value

    @model_validator(mode="after")
    def _links_only_for_pages(self) -> Source:
        if self.links is not None and self.type != "page":
            raise _KeyedError(("links",), "only a source of type page has a links selector")
        if self.pages is not None and self.type != "telegram":
            raise _KeyedError(("pages",), "only a source of type telegram reads pages back")
        if self.type == "telegram" and not _TELEGRAM_PATH.match(urlsplit(self.url).path):
            name = urlsplit(self.url).path.strip("/").split("/")[-1] or "<name>"
            raise _KeyedError(("url",), f'"{self.url}" is not a channel preview page (use https://t.me/s/{name})')
        return self


class Keyword(_Model):
    name: NonEmpty
    terms: list[Term] = Field(min_length=1)
    exact: bool = False
    require: list[Term] = []
    exclude: list[Term] = []


CHAT_KINDS = ("slack", "matrix")  # chats with a top-level section, a listener and commands
HOOK_KINDS = ("webhook", "apprise")  # outputs that need nothing but their URL (bot/hooks/)
_BRIEF = re.compile(r"^\s*(\d{1,2}):(\d{2})(?:\s+(\S+))?\s*$")


def label(kind: str, url: str) -> str:
    """A webhook's or Apprise URL's name when the config gives none: scheme (and a webhook's host) and a short
    hash of the URL as written, never a path, a token or a password, so it can be shown, logged and stored; from
    the text before ${VAR} expansion, it stays the same whatever the environment holds."""
    import hashlib

    parts = urlsplit(url.strip())
    digest = hashlib.blake2b(url.strip().encode(), digest_size=3).hexdigest()
    host = (parts.hostname or "") if kind == "webhook" and "${" not in (parts.netloc or "") else ""
    port = f":{parts.port}" if host and parts.port else ""
    return f"{host}{port}…{digest}" if host else f"{parts.scheme or kind}…{digest}"


@dataclass(frozen=True, slots=True)
class Brief:
    """``brief: "07:00 Europe/Berlin"``: a channel's daily brief, at that local time."""

    hour: int
    minute: int
    tz: str = "UTC"

    def __str__(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d} {self.tz}"


def parse_brief(value: Any) -> Brief:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if isinstance(value, Brief):
        return value
    match = _BRIEF.match(str(value)) if isinstance(value, str) else None
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f'"{value}" is not a time of day with an optional time zone (e.g. "07:00 Europe/Berlin")')
    tz = match.group(3) or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'"{tz}" is not a time zone (use an IANA name such as Europe/Berlin or UTC)') from None
    return Brief(int(match.group(1)), int(match.group(2)), tz)


class Channel(_Model):
    slack: NonEmpty | None = None
    matrix: NonEmpty | None = None
    webhook: SecretStr | None = None  # an https URL may carry its receiver's token: never shown
    apprise: SecretStr | None = None  # any Apprise URL (discord://, msteams://, mailtos://...): its secrets within
    secret: SecretStr | None = None  # webhook: the HMAC-SHA256 key of X-Wirewatch-Signature
    headers: dict[str, SecretStr] = {}  # webhook: extra request headers (an Authorization the receiver asks for)
    name: NonEmpty | None = None  # webhook, apprise: the channel's name in status, logs and redeliver
    keywords: list[NonEmpty] | None = None
    brief: Annotated[Brief, BeforeValidator(parse_brief)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") is None:
            for kind in HOOK_KINDS:
                if isinstance(data.get(kind), str):
                    return {**data, "name": label(kind, data[kind])}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> Channel:
        given = [kind for kind in (*CHAT_KINDS, *HOOK_KINDS) if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError("a channel names exactly one of slack:, matrix:, webhook: or apprise:")
        if self.kind != "webhook":
            for key in ("secret", "headers"):
                if key in self.model_fields_set:
                    raise _KeyedError((key,), "only a webhook channel has it")
        if self.kind in CHAT_KINDS and "name" in self.model_fields_set:
            raise _KeyedError(("name",), f"a {self.kind} channel is named by its {self.kind}: value")
        url = self.url
        if url is not None and "${" not in url:  # unset, and not needed by this command
            if self.kind == "webhook" and not _HTTP_URL.match(url):
                raise _KeyedError(("webhook",), "is not an http(s) URL")
            if self.kind == "apprise":
                _apprise_url(url)
        if self.secret is not None:
            _secret(self.secret)
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in (*CHAT_KINDS, *HOOK_KINDS) if getattr(self, kind) is not None)

    @property
    def url(self) -> str | None:
        """A webhook's or Apprise channel's URL, secrets included: for its client only."""
        value = getattr(self, self.kind)
        return value.get_secret_value() if isinstance(value, SecretStr) else None

    @property
    def target(self) -> str:
        """What the channel is called: a Slack channel, a Matrix room, a hook's name (never its URL)."""
        if self.kind in HOOK_KINDS:
            return self.name  # type: ignore[return-value]
        return getattr(self, self.kind)

    @property
    def id(self) -> str:
        """Stable name of the channel in the outbox."""
        return f"{self.kind}:{self.target}"


def _apprise_url(url: str) -> None:
    """An Apprise URL that Apprise can use, checked at load (the error never shows the URL: it holds secrets)."""
    from bot.appriselib import service

    if service(url) is None:
        scheme = urlsplit(url).scheme or url.split(":", 1)[0][:20]
        raise _KeyedError(("apprise",), f'is not a URL Apprise can use (scheme "{scheme}://"; see '
                          "https://github.com/caronc/apprise/wiki for each service's form)")  # fmt: skip


_LISTEN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


def host_port(listen: str) -> tuple[str, int]:
    """A checked ``listen`` value (host:port, [v6]:port) as what a server binds to."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def _listen(value: str) -> str:
    match = _LISTEN.match(value.strip())
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f'"{value}" is not host:port (e.g. 127.0.0.1:3000)')
    return value.strip()


class SlackConfig(_Model):
    bot_token: SecretStr
    app_token: SecretStr | None = None  # Socket Mode when set; HTTP mode (Bolt on ``listen``) otherwise
    signing_secret: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    listen: str = "127.0.0.1:3000"
    admins: list[str] = []

    _check_url = field_validator("api_url")(classmethod(lambda cls, v: _http_url(v)))
    _check_listen = field_validator("listen")(classmethod(lambda cls, v: _listen(v)))
    _check_bot = field_validator("bot_token")(classmethod(lambda cls, v: _secret(v, "xoxb-", "bot token")))
    _check_app = field_validator("app_token")(classmethod(lambda cls, v: _secret(v, "xapp-", "app-level token")))
    _check_secret = field_validator("signing_secret")(classmethod(lambda cls, v: _secret(v)))

    @model_validator(mode="after")
    def _http_mode(self) -> SlackConfig:
        if "listen" in self.model_fields_set and self.app_token is None and self.signing_secret is None:
            why = "to check that requests come from Slack (without either, alerts are posted and commands are off)"
            raise _KeyedError(("listen",), f"HTTP mode needs slack.signing_secret too, {why}")
        return self

    @property
    def host_port(self) -> tuple[str, int]:
        return host_port(self.listen)


class MetricsConfig(_Model):
    listen: str = "127.0.0.1:9464"

    _check_listen = field_validator("listen")(classmethod(lambda cls, v: _listen(v)))

    @property
    def host_port(self) -> tuple[str, int]:
        return host_port(self.listen)


class MatrixConfig(_Model):
    homeserver: str
    user_id: NonEmpty
    access_token: SecretStr | None = None
    password: SecretStr | None = None  # instead of a token: logs in once, keeps the token in the database
    device_id: str | None = None
    admins: list[str] = []
    invites_from: list[str] = []  # user ids or homeserver names whose invites the bot accepts

    _check_url = field_validator("homeserver")(classmethod(lambda cls, v: _http_url(v)))
    _check_secrets = field_validator("access_token", "password")(classmethod(lambda cls, v: _secret(v)))

    @model_validator(mode="after")
    def _one_secret(self) -> MatrixConfig:
        if self.access_token is None and self.password is None:
            raise _KeyedError(("access_token",), "is required (or password, to log in once)")
        return self


class Config(_Model):
    database: Path = DEFAULT_DATABASE
    sources: list[Source] = Field(min_length=1)
    keywords: list[Keyword] = Field(min_length=1)
    every: Interval | None = None  # a fixed interval for sources without their own; unset: each adapts (schedule.py)
    min_every: Interval = 60.0  # the adaptive interval's bounds
    max_every: Interval = 7200.0
    max_age: Duration = 7 * 86400.0
    keep: Duration = 180 * 86400.0  # `run` prunes articles (and their alerts) first seen longer ago, daily
    channels: list[Channel] = []
    alerts_admin_channel: Channel | None = None  # where "source down / back" messages go (bot/downtime.py)
    source_down_after: Duration = 6 * 3600.0  # failing this long before the admins are told, once
    digest_after: int = Field(10, ge=1, le=1000)  # more alerts than this for one channel in one drain: a digest
    slack: SlackConfig | None = None
    matrix: MatrixConfig | None = None
    metrics: MetricsConfig | None = None  # /healthz and /metrics for `run`; off unless set
    user_agent: NonEmpty = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"
    timeout: Duration = 20.0
    connect_timeout: Duration = 10.0
    max_bytes: Size = 5_000_000
    max_redirects: int = Field(5, ge=0, le=30)
    concurrency: Annotated[int, Field(ge=1, le=1000)] | Literal["auto"] = "auto"
    per_host: int = Field(2, ge=1, le=100)
    host_spacing: Pause = 0.1  # between the starts of two requests to one host (see bot/fetch.py)
    workers: Annotated[int, Field(ge=0, le=64)] | Literal["auto"] = "auto"

    # set by load(): where the file is, so that relative paths resolve against it
    path: Path | None = Field(None, exclude=True)
    _unset: list[Unset] = PrivateAttr(default_factory=list)

    @property
    def unset(self) -> list[Unset]:
        """The chat secrets that were not set when a command that needs none loaded the file."""
        return self._unset

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        _unique([s.name for s in self.sources], "sources", "name")
        _unique([k.name for k in self.keywords], "keywords", "name")
        if self.min_every > self.max_every:
            raise _KeyedError(("min_every",), f"is longer than max_every ({self.min_every:g} s > {self.max_every:g} s)")
        groups = {k.name for k in self.keywords}
        for i, channel in enumerate(self.channels):
            for j, name in enumerate(channel.keywords or []):
                if name not in groups:
                    raise _KeyedError(("channels", i, "keywords", j), f'"{name}" is not a keyword group name')
            if channel.kind in CHAT_KINDS and getattr(self, channel.kind) is None:
                raise _KeyedError(("channels", i, channel.kind), f"a {channel.kind} channel needs the top-level "
                                  f"{channel.kind}: section ({_NEEDS[channel.kind]})")  # fmt: skip
        ids: set[str] = set()
        for i, channel in enumerate(self.channels):
            if channel.id in ids:
                key = "name" if channel.kind in HOOK_KINDS else channel.kind
                raise _KeyedError(("channels", i, key), f'"{channel.target}" is a {channel.kind} channel already; '
                                  "give each its own name" if key == "name" else "each channel once")  # fmt: skip
            ids.add(channel.id)
        admin = self.alerts_admin_channel
        if admin is not None and admin.kind in CHAT_KINDS and getattr(self, admin.kind) is None:
            raise _KeyedError(("alerts_admin_channel", admin.kind), f"a {admin.kind} channel needs the top-level "
                              f"{admin.kind}: section ({_NEEDS[admin.kind]})")  # fmt: skip
        return self

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def worker_count(self) -> int:
        """Readers of pages; "auto": one per core once there are enough sources to keep them busy (the main
        process's reader thread and a worker process per further core, bot/poll/reading.py)."""
        if self.workers != "auto":
            return self.workers
        return min(os.cpu_count() or 1, 8) if len(self.sources) >= AUTO_WORKERS_FROM else 0

    def concurrency_limit(self) -> int:
        """Sources in progress (and requests in flight) at once; "auto": one per AUTO_SOURCES_PER_SLOT
        sources, between AUTO_CONCURRENCY's bounds. 20 keep two workers reading in a first cycle; at 1,000
        sources 60 keep a 50 ms-latency web's 304s flowing (an unchanged cycle is latency-bound); more only
        lengthens the event loop's steps (bench/README.md)."""
        if self.concurrency != "auto":
            return self.concurrency
        low, high = AUTO_CONCURRENCY
        return min(high, max(low, len(self.sources) // AUTO_SOURCES_PER_SLOT))

    def fixed_interval(self, source: Source) -> float | None:
        """The interval the user chose for this source (its own ``every``, else the top-level one, which is for the
        web: not for a Telegram channel); None: it adapts."""
        return source.every or (None if source.type == "telegram" else self.every)

    def interval_bounds(self, source: Source) -> tuple[float, float]:
        """The adaptive interval's bounds: ``min_every`` (for a Telegram channel at least 5 min: t.me answers
        bursts with 429) to ``max_every``."""
        low = max(self.min_every, TELEGRAM_EVERY) if source.type == "telegram" else self.min_every
        return min(low, self.max_every), self.max_every

    def interval(self, source: Source) -> float:
        """The interval before anything is known of the source: the fixed one, else ``START_EVERY`` in bounds."""
        fixed = self.fixed_interval(source)
        if fixed:
            return fixed
        low, high = self.interval_bounds(source)
        return low if source.type == "telegram" else min(max(START_EVERY, low), high)

    def age_limit(self, source: Source) -> float:
        return source.max_age or self.max_age

    @property
    def database_path(self) -> Path:
        return database_path(self.path, self.database)


_NEEDS = {"slack": "bot_token", "matrix": "homeserver, user_id, access_token"}
_NUMBER_BRANCH = "constrained-int"  # pydantic's name for the number in ``Annotated[int, Field(...)] | Literal``


class _KeyedError(ValueError):
    """A cross-field error that knows which key it is about (pydantic only knows the model)."""

    def __init__(self, loc: tuple, message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise _KeyedError((section, i, key), f'"{value}" is used twice; names must be unique')
        seen.add(value)


# --------------------------------------------------------------------------------------------- loading


CHAT_SECTIONS = ("slack", "matrix", "channels", "alerts_admin_channel")  # secrets only chat commands need


def load(path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None,
         secrets: bool = True) -> Config:  # fmt: skip
    """Read, substitute ``${VAR}`` and validate; every failure is a one-line ConfigError. ``secrets=False``: for
    the commands that never talk to a chat (validate, status, explain, reload), a ${VAR} of a chat section that is
    not set is no error; ``Config.unset`` says which."""
    unset: list[Unset] | None = None if secrets else []
    path, data, lines = read(path, environ, unset, optional=lambda key: key in CHAT_SECTIONS)
    _name_hooks(path, data)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, lines)) from None
    config = config.model_copy(update={"path": path})
    config._unset = unset or []
    return config


def _name_hooks(path: Path, data: dict) -> None:
    """Each webhook or Apprise channel without a ``name:`` named from its URL as the file writes it, before ${VAR}
    expansion (``label``): the name, and so the channel's outbox rows, do not depend on the environment."""
    hooks = [(key, i) for key, i, entry in _channel_entries(data) if not entry.get("name")
             and any(isinstance(entry.get(kind), str) for kind in HOOK_KINDS)]  # fmt: skip
    if not hooks:
        return
    _, written, _ = read(path, {}, [], optional=lambda key: True)  # ${VAR} kept as written
    for key, i in hooks:
        entry = data[key] if i is None else data[key][i]
        raw = written[key] if i is None else written[key][i]
        kind = next(kind for kind in HOOK_KINDS if isinstance(entry.get(kind), str))
        entry["name"] = label(kind, raw[kind] if isinstance(raw.get(kind), str) else entry[kind])


def _channel_entries(data: dict):
    channels = data.get("channels")
    for i, entry in enumerate(channels if isinstance(channels, list) else []):
        if isinstance(entry, dict):
            yield "channels", i, entry
    admin = data.get("alerts_admin_channel")
    if isinstance(admin, dict):
        yield "alerts_admin_channel", None, admin


def _describe(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> str:
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    if loc and loc[-1] == _NUMBER_BRANCH:  # a number-or-"auto" key (concurrency, workers): name the key only
        loc = loc[:-1]
        if error["type"] in ("int_parsing", "int_type", "int_from_float"):
            error = error | {"msg": 'must be a whole number or "auto"', "type": "auto_parsing"}
    context = error.get("ctx") or {}
    original = context.get("error")
    if isinstance(original, _KeyedError):  # its loc is relative to the model that raised it
        loc, message = loc + original.loc, str(original)
    else:
        loc = tuple(part for part in loc if not (isinstance(part, str) and part.startswith("function-")))
        message = _message(error, loc)
    line = _line_of(loc, lines)
    return f"{path}: {dotted(loc)}: {message}" + (f" (line {line})" if line else "")


def _message(error: dict, loc: tuple) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(known))}"
        return f"unknown key{hint}"
    if kind == "missing":
        return "is required but missing"
    if kind == "literal_error":
        return f'"{value}" is not one of: {error["ctx"]["expected"]}'
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{value!r}: {message[0].lower()}{message[1:]}"
    return message


def _known_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] | None = Config
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        model = _model_in(annotation)
    return [name for name in (model or Config).model_fields if name != "path"]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def _line_of(loc: tuple, lines: dict[tuple, int]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
