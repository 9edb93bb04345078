"""Adapters of the message port (R-NOTE-1): e-mail by SMTP, SMS by the provider's SDK, and the
local stack's outbox."""
