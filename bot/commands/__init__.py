"""What users ask: the CLI, and later the Slack and Matrix commands, call the one query layer here."""
