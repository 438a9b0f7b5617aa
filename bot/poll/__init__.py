"""One source's poll: fetch, list its entries, read the new articles in the worker pool, store them.

Nothing is imported here: the worker processes import ``bot.poll.reading`` alone, without the pipeline's
config, HTTP client and database modules (bot/poll/reading.py).
"""
