"""Recipient addresses of alert digests: which channel serves one, and its masked form.

A recipient is either an e-mail address (contains ``'@'``: the ``email`` channel) or a
webhook: the literal ``'webhook'`` (the default webhook) or ``'webhook:<name>'`` (a named
webhook; ``<name>`` of letters, digits, ``_`` and ``-``).  Anything else is refused.
"""

from __future__ import annotations

import re

from .._core.errors import RiskkitError

__all__ = ["RecipientError", "channel_of", "mask_recipient"]

#: alert levels, most severe first

_WEBHOOK = re.compile(r"^webhook(:[A-Za-z0-9_-]+)?$")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class RecipientError(RiskkitError, ValueError):
    """A recipient is neither an e-mail address nor ``webhook`` / ``webhook:<name>``."""


def channel_of(recipient: str) -> str:
    """``'email'`` for an e-mail address, ``'webhook'`` for ``webhook`` / ``webhook:<name>``."""
    if not isinstance(recipient, str):
        raise RecipientError(f"a recipient must be a str, got {type(recipient).__name__}")
    if _WEBHOOK.match(recipient):
        return "webhook"
    if "@" in recipient:
        if not _EMAIL.match(recipient):
            raise RecipientError(f"recipient {mask_recipient(recipient)!r} is not a valid e-mail address")
        return "email"
    raise RecipientError(f"recipient {recipient!r} is neither an e-mail address (with '@') nor "
                         "'webhook' / 'webhook:<name>'")


def mask_recipient(recipient: str) -> str:
    """E-mail addresses as ``w***@example.com`` (as :func:`riskkit.data.mask_pii`); webhooks as they are."""
    if isinstance(recipient, str) and "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    return str(recipient)
