"""Apprise, imported once and quietly, and its URL check: for the config (which checks an ``apprise:`` URL at
load) and the Apprise channel (bot/hooks/notify.py).

Apprise's logger never prints: it would print the URLs, which hold tokens and passwords; a notify's failure is
read from its result instead. Its import of the deprecated ``imghdr`` raises no warning.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Any


def library() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with contextlib.suppress(ImportError):
            import imghdr  # noqa: F401  (Apprise imports it on Python < 3.13)
        import apprise
    logger = logging.getLogger("apprise")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return apprise


def service(url: str) -> Any | None:
    """The Apprise plugin for ``url``, or None when Apprise cannot use it."""
    return library().Apprise.instantiate(url)
