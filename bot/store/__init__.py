"""Every SQL statement of wirewatch lives in this package; the rest of the bot asks it."""

from bot.store.articles import Stored
from bot.store.db import Store
from bot.store.sources import SourceState
from bot.store.times import from_iso, iso, utcnow

__all__ = ["SourceState", "Store", "Stored", "from_iso", "iso", "utcnow"]
