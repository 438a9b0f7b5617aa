"""What every chat shares: the channel protocol, the outbox sender, inert text and the command layer."""
