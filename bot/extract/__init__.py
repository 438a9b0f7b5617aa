"""Turn fetched bodies into entries (feeds, listing pages) and articles (main text only)."""
