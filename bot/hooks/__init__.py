"""Outputs that are not chats: a signed JSON webhook (webhook.py) and any service Apprise speaks to (notify.py).

They plug into the same outbox sender as Slack and Matrix (bot/chat/sender.py): routing, mutes, digests,
retries, follow-ups and ``redeliver`` work alike. Neither can be searched for a message already posted, so
the crash check finds nothing there: a webhook's receiver drops a repeat by its ``X-Wirewatch-Delivery`` id,
stable across retries; an Apprise service may show an alert twice only if the process dies between the
service's answer and the receipt's commit.
"""
