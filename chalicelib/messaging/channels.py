"""One sender for every message: e-mail addresses to the e-mail adapter, mobile numbers to SMS."""

from __future__ import annotations

from chalicelib.domain.messages import Channel, Message, MessageNotSent, MessageSender


class Unconfigured:
    """A channel the stage was given no settings for: every send fails, loudly, and is retried."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def send(self, message: Message) -> None:  # noqa: ARG002 (whatever it says, it cannot go)
        raise MessageNotSent(f"{self._channel.value}: not configured for this stage")


class ByChannel:
    def __init__(self, email: MessageSender, sms: MessageSender) -> None:
        self._senders = {Channel.EMAIL: email, Channel.SMS: sms}

    def send(self, message: Message) -> None:
        self._senders[message.channel].send(message)
