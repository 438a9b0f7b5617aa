"""wirewatch: watch news websites for keywords in every spelling, alert Slack and Matrix."""

__version__ = "0.1.0"
