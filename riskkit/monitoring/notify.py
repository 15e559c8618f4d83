"""Alert digests, notification channels (SMTP e-mail, JSON webhook) and outbox delivery.

Flow
----
``compose_digests(alerts, run.info)`` -> one :class:`Message` per recipient per run ->
``run.queue(messages)`` stores them in the archive's ``outbox`` inside the run's transaction ->
after the run commits, ``deliver_outbox(archive, channels)`` sends every message that has no
``sent`` delivery yet, retrying with exponential backoff, and records every attempt in
``deliveries``.  Messages that still fail stay queued for the next call (the next run).

Recipients
----------
The alerts frame's ``recipients`` column holds a tuple of str per alert.  A recipient with
``'@'`` is an e-mail address (channel ``email``); ``'webhook'`` is the default webhook and
``'webhook:<name>'`` a named one (channel key ``'webhook:<name>'``, falling back to the
``'webhook'`` channel when no channel of that name is configured: the payload names the
recipient, so one endpoint can route).  Alerts without recipients are in no digest.

Delivery guarantees (honestly)
------------------------------
Each attempt is recorded in three steps, each its own committed archive transaction:
``sending`` before the channel is called, then ``sent`` or ``failed``.  The delivery pass
holds the archive (its file lock) throughout, so two processes never deliver at the same time.

- *Nothing lost*: a message leaves the queue only when a ``sent`` row is committed; failures,
  crashes and unroutable messages leave it queued.
- *Never sent twice once recorded*: a message with a ``sent`` row is never attempted again,
  in this call or any later one (``Outbox.record`` refuses it).
- *The window*: if the process dies after the SMTP server (or webhook endpoint) accepted
  the message but before ``sent`` was committed, the archive shows ``sending`` as the last
  row.  The next pass cannot know whether the receiver got it and sends it again (counted
  as ``in_doubt`` in the report).  Delivery is therefore **at-least-once**, and exactly-once
  only when the receiver deduplicates: every e-mail carries ``Message-ID:
  <message_id>`` and every webhook POST ``Idempotency-Key: message_id`` (and
  ``message_id`` in its JSON), the same on every retry, so a mail system or endpoint that
  drops repeated IDs sees each message once.

Credentials
-----------
Credentials come from the environment only (``EmailChannel.from_env``,
``WebhookChannel.from_env``), are shown as ``'***'`` in reprs, and are scrubbed from every
error message, log record and archived delivery error.  A webhook URL may itself be a
secret (many services put the key in the path), so only its scheme, host and port are ever
shown.

PII
---
Digests mask personal data by default (``mask_pii=True``): e-mail addresses, phone numbers
(international ``+...`` numbers, Chinese mobile ``1[3-9]xxxxxxxxx`` and ``0xx-xxxxxxxx``
landlines) and identity numbers (18-character resident/USCC codes, 15-digit old IDs) inside
alert messages and evidence, and the names of individual (natural-person) customers when a
``customers`` table is given, using :func:`riskkit.data.privacy.mask_pii` (company names
are public register data and are shown).  Amounts such as ``2500000`` are not phone
numbers and are left alone; an 11-digit amount starting ``13``-``19`` would be masked.
"""

from __future__ import annotations

import email.message
import email.utils
import json
import logging
import os
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core.dates import check_as_of
from .._core.errors import RiskkitError
from ..data.privacy import mask_pii as _mask_pii_frame
from ._recipients import RecipientError, channel_of, mask_recipient
from .actions import NEW_ACTION_EVENTS
from .._core.levels import LEVELS, SEVERITY_RANK

__all__ = ["Message", "compose_digests", "EmailChannel", "WebhookChannel", "deliver_outbox", "DeliveryReport",
           "ChannelError", "ChannelConfigError", "mask_text"]

LOG = logging.getLogger(__name__)


class ChannelError(RiskkitError, RuntimeError):
    """One delivery attempt failed (connection refused, rejected, HTTP error); retryable."""


class ChannelConfigError(RiskkitError, ValueError):
    """A channel is misconfigured; the message names the parameter or environment variable."""


def _redact(text: str, secrets) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return text


# --------------------------------------------------------------------------------------
# digests

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d[\d\s().-]{6,}\d|1[3-9]\d{9}|\(?0\d{2,3}\)?[\s-]\d{7,8})(?!\w)")
_ID_RE = re.compile(r"(?<![A-Za-z0-9])(?:\d{17}[\dXx]|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}|\d{15})"
                    r"(?![A-Za-z0-9])")


def _mask_email(m: re.Match) -> str:
    local, _, domain = m.group(0).partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "****" + digits[-4:]


def _mask_id(m: re.Match) -> str:
    s = m.group(0)
    return s[:3] + "*" * (len(s) - 5) + s[-2:]


def mask_text(text: pd.Series) -> pd.Series:
    """Mask e-mail addresses, phone numbers and identity numbers inside free text.

    Same visible parts as :func:`riskkit.data.mask_pii`: ``w***@example.com``,
    ``****0303`` (last four digits), ``110*************34`` (first three, last two).
    """
    s = text.astype("str")
    s = s.str.replace(_EMAIL_RE, _mask_email, regex=True)
    s = s.str.replace(_ID_RE, _mask_id, regex=True)  # before phones: an ID is not a phone
    return s.str.replace(_PHONE_RE, _mask_phone, regex=True).where(text.notna())


def _mask_str(text: str) -> str:
    text = _EMAIL_RE.sub(_mask_email, text)
    return _PHONE_RE.sub(_mask_phone, _ID_RE.sub(_mask_id, text))


def _mask_evidence(text: str) -> str:
    """Mask the *string* values of an evidence JSON object; numbers are data, not phones."""
    try:
        tree = json.loads(text)
    except (TypeError, ValueError):
        return _mask_str(str(text))

    def walk(node):
        if isinstance(node, str):
            return _mask_str(node)
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    return json.dumps(walk(tree), ensure_ascii=False)


@dataclass(frozen=True, repr=False)
class Message:
    """One digest for one recipient (``payload`` is what a webhook receives)."""

    recipient: str
    subject: str
    body: str
    payload: dict
    channel: str

    def __repr__(self) -> str:
        return f"Message(recipient={mask_recipient(self.recipient)!r}, channel={self.channel!r}, " \
               f"subject={self.subject!r})"


def _run_fields(run_info) -> tuple[str, pd.Timestamp]:
    get = run_info.get if isinstance(run_info, Mapping) else (lambda k: getattr(run_info, k, None))
    run_id, as_of = get("run_id"), get("as_of")
    if not isinstance(run_id, str) or not run_id:
        raise ChannelConfigError("run_info needs a run_id (str), e.g. run.info inside archive.run(...)")
    return run_id, check_as_of(as_of, "run_info.as_of")


def _check_alerts(alerts) -> pd.DataFrame:
    if not isinstance(alerts, pd.DataFrame):
        raise TypeError(f"alerts must be a DataFrame, got {type(alerts).__name__}")
    needed = ["customer_id", "rule", "level", "message", "recipients"]
    absent = [c for c in needed if c not in alerts.columns]
    if absent:
        raise KeyError(f"alerts: missing column(s) {absent}; the alerts frame has "
                       "customer_id, rule, level, message, evidence, recipients")
    frame = alerts.reset_index(drop=True)
    bad = ~frame["level"].isin(LEVELS).to_numpy()
    if bad.any():
        raise RecipientError(f"alerts: column 'level' must be one of {list(LEVELS)}; got "
                             f"{sorted(set(map(str, frame.loc[bad, 'level'])))[:5]} in {int(bad.sum())} row(s)")
    for col in ("customer_id", "rule", "message"):
        wrong = frame[col].map(lambda v: not isinstance(v, str)).to_numpy()
        if wrong.any():
            raise RecipientError(f"alerts: column '{col}' must hold str; rows {np.flatnonzero(wrong)[:5].tolist()}")
    for i, rec in enumerate(frame["recipients"]):  # one small tuple per alert
        if not isinstance(rec, tuple) or not all(isinstance(r, str) for r in rec):
            raise RecipientError(f"alerts: column 'recipients' must hold tuples of str; row {i} "
                                 f"(customer_id {frame['customer_id'].iloc[i]}) has {type(rec).__name__}")
        for r in rec:
            try:
                channel_of(r)
            except RecipientError as exc:
                raise RecipientError(f"alerts: column 'recipients', row {i}: {exc}") from None
    return frame


def _customer_labels(customers, frame: pd.DataFrame, mask: bool) -> tuple[pd.Series, dict]:
    """Display label per alert and {real individual name: masked} to scrub from texts."""
    ids = frame["customer_id"]
    if customers is None:
        return ids.copy(), {}
    table = customers.reset_index() if "customer_id" not in customers.columns else customers
    need = [c for c in ("customer_id", "name") if c not in table.columns]
    if need:
        raise KeyError(f"customers: missing column(s) {need}")
    table = table[table["customer_id"].isin(set(ids))]
    shown = _mask_pii_frame(table, unmask=not mask) if "kind" in table.columns else table
    names = dict(zip(shown["customer_id"], shown["name"]))
    scrub = {}
    if mask and "kind" in table.columns:
        person = (table["kind"] == "individual").to_numpy()
        scrub = {real: masked for real, masked in zip(table.loc[person, "name"], shown.loc[person, "name"])
                 if isinstance(real, str) and real}
    label = ids + ids.map(names).map(lambda n: f" {n}" if isinstance(n, str) and n else "")
    return label, scrub


def compose_digests(alerts: pd.DataFrame, run_info, mask_pii: bool = True, customers=None,
                    actions: pd.DataFrame | None = None) -> list[Message]:
    """One digest message per recipient for one run.

    Parameters
    ----------
    alerts : DataFrame
        The alerts frame: ``customer_id, rule, level, message, recipients`` (tuple of str),
        optionally ``evidence`` (JSON text) and ``event`` (life-cycle event from
        ``run.add_alerts``, shown in brackets).
    run_info : RunInfo or mapping
        ``run_id`` and ``as_of`` of the run (``run.info`` inside ``archive.run(...)``).
    mask_pii : bool, default True
        Mask personal data inside messages and evidence (see the module docstring).
    customers : DataFrame, optional
        ``customer_id, name`` and ``kind``: adds names to the listing, masking the names of
        individuals (and scrubbing them from message texts).
    actions : DataFrame, optional
        New work items to list (``Run.add_actions`` output): ``customer_id, action,
        recipients`` (tuple of str) and optionally ``priority, owner, due_date, reason,
        event``.  Only the events of :data:`~riskkit.monitoring.actions.NEW_ACTION_EVENTS`
        (opened, reopened, escalated) are listed: a persisting action is not sent again.

    Returns
    -------
    list of Message
        Sorted by recipient.  ``subject`` reads ``[riskkit] 2024-06-30 monitoring: 1 red,
        0 orange, 2 yellow, 0 info`` (plus ``, 3 new actions`` when there are some);
        ``body`` lists the recipient's alerts by level (most severe first), one line
        ``customer | rule | message``, then the new actions, one line ``customer | action |
        priority | owner | due date | reason``; ``payload`` is a dict with ``run_id, as_of,
        recipient, counts`` and ``alerts`` (customer_id, customer, rule, level, message,
        evidence, event), and ``actions`` (customer_id, customer, action, priority, owner,
        due_date, reason, event) when ``actions`` is given.
    """
    frame = _check_alerts(alerts)
    new_actions = None if actions is None else _action_lines(actions, customers, mask_pii)
    run_id, as_of = _run_fields(run_info)
    label, scrub = _customer_labels(customers, frame, mask_pii)
    message = frame["message"].astype("str")
    evidence = frame["evidence"].map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                                     else v if isinstance(v, str) else "{}") \
        if "evidence" in frame.columns else pd.Series("{}", index=frame.index, dtype=object)
    if mask_pii:
        for real, masked in scrub.items():  # a handful of individual customers' names
            message = message.str.replace(real, masked, regex=False)
            evidence = evidence.str.replace(real, masked, regex=False)
        message = mask_text(message)
        evidence = evidence.map(_mask_evidence)  # one small JSON object per alert
    work = pd.DataFrame({"customer_id": frame["customer_id"], "customer": label, "rule": frame["rule"],
                         "level": frame["level"], "message": message, "evidence": evidence,
                         "event": frame["event"] if "event" in frame.columns else None,
                         "recipient": frame["recipients"].map(list)})
    work["severity"] = work["level"].map(SEVERITY_RANK)
    work = work.explode("recipient").dropna(subset=["recipient"])
    work = work.sort_values(["recipient", "severity", "customer_id", "rule"], kind="stable")
    out = []
    day = f"{as_of:%Y-%m-%d}"
    recipients = set(work["recipient"]) | (set(new_actions["recipient"]) if new_actions is not None else set())
    by_recipient = dict(list(work.groupby("recipient", sort=True)))
    for recipient in sorted(recipients):
        rows = by_recipient.get(recipient, work.iloc[:0])
        counts = {lvl: int((rows["level"] == lvl).sum()) for lvl in LEVELS}
        subject = f"[riskkit] {day} monitoring: " + ", ".join(f"{counts[lvl]} {lvl}" for lvl in LEVELS)
        mine = None if new_actions is None else new_actions[new_actions["recipient"] == recipient]
        if mine is not None and len(mine):
            subject += f", {len(mine)} new action{'s' if len(mine) != 1 else ''}"
        lines = ["riskkit monitoring digest", f"as of: {day}    run: {run_id}",
                 f"{len(rows)} alert(s): " + ", ".join(f"{counts[lvl]} {lvl}" for lvl in LEVELS)]
        items = []
        for lvl in LEVELS:
            part = rows[rows["level"] == lvl]
            if not len(part):
                continue
            lines += ["", f"{lvl.upper()} ({len(part)})"]
            for r in part.itertuples(index=False):
                tag = f" [{r.event}]" if isinstance(r.event, str) else ""
                lines.append(f"  - {r.customer} | {r.rule} | {r.message}{tag}")
                try:
                    ev = json.loads(r.evidence)
                except ValueError:
                    ev = r.evidence
                items.append({"customer_id": r.customer_id, "customer": r.customer, "rule": r.rule,
                              "level": r.level, "message": r.message, "evidence": ev,
                              "event": r.event if isinstance(r.event, str) else None})
        payload = {"run_id": run_id, "as_of": day, "recipient": recipient, "counts": counts, "alerts": items}
        if mine is not None:
            if len(mine):
                lines += ["", f"NEW ACTIONS ({len(mine)})"]
                lines += [f"  - {r.customer} | {r.action} | {r.priority} | {r.owner} | due {r.due_date} | "
                          f"{r.reason}" + (f" [{r.event}]" if r.event else "") for r in mine.itertuples(index=False)]
            payload["actions"] = mine.drop(columns="recipient").to_dict("records")
        out.append(Message(recipient, subject, "\n".join(lines) + "\n", payload, channel_of(recipient)))
    return out


def _action_lines(actions, customers, mask_pii: bool) -> pd.DataFrame:
    """The new actions to list, one row per (action, recipient), as plain text fields."""
    if not isinstance(actions, pd.DataFrame):
        raise TypeError(f"actions must be a DataFrame, got {type(actions).__name__}")
    absent = [c for c in ("customer_id", "action", "recipients") if c not in actions.columns]
    if absent:
        raise KeyError(f"actions: missing column(s) {absent}")
    frame = actions.reset_index(drop=True)
    if "event" in frame.columns:
        frame = frame[frame["event"].isin(NEW_ACTION_EVENTS)].reset_index(drop=True)
    for i, rec in enumerate(frame["recipients"]):  # one small tuple per action
        if not isinstance(rec, tuple) or not all(isinstance(r, str) for r in rec):
            raise RecipientError(f"actions: column 'recipients' must hold tuples of str; row {i} "
                                 f"(customer_id {frame['customer_id'].iloc[i]}) has {type(rec).__name__}")

    def text(column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series("", index=frame.index, dtype=object)
        values = frame[column]
        if column == "due_date":
            return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("").astype(object)
        return values.astype(object).where(values.notna(), "").astype(str).astype(object)

    label, scrub = _customer_labels(customers, frame, mask_pii)
    reason = text("reason")
    if mask_pii and len(reason):
        for real, masked in scrub.items():
            reason = reason.str.replace(real, masked, regex=False)
        reason = mask_text(reason)
    work = pd.DataFrame({"customer_id": frame["customer_id"].astype(object), "customer": label.astype(object),
                         "action": frame["action"].astype(object), "priority": text("priority"),
                         "owner": text("owner"), "due_date": text("due_date"), "reason": reason.astype(object),
                         "event": text("event"), "recipient": frame["recipients"].map(list)})
    work = work.explode("recipient").dropna(subset=["recipient"])
    # soonest due first ('' sorts before a date: an action without a due date leads)
    return work.sort_values(["recipient", "due_date", "customer_id", "action"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# channels

def _env_bool(env, var: str, default: bool) -> bool:
    raw = env.get(var)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ChannelConfigError(f"{var} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def _field(message, key):
    return message[key] if isinstance(message, Mapping) else getattr(message, key)


class EmailChannel:
    """Send digests by SMTP (plain text), optionally with STARTTLS and login.

    Parameters
    ----------
    host : str
    port : int, optional
        Default 587 with ``starttls`` else 25.
    user, password : str, optional
        Login after (optional) STARTTLS; both or neither.
    sender : str, default "riskkit@localhost"
        The ``From`` address.
    starttls : bool, default False
    timeout : float, default 10
        Seconds for connecting and each SMTP command.
    cafile : str, optional
        CA bundle that signs the server's certificate (a private CA); default the system's.

    Each e-mail's ``Message-ID`` is ``<message_id>`` of the outbox, identical on every
    retry, so a receiver can drop a resend.
    """

    name = "email"

    def __init__(self, host: str, port: int | None = None, *, user: str | None = None, password: str | None = None,
                 sender: str = "riskkit@localhost", starttls: bool = False, timeout: float = 10.0,
                 cafile: str | None = None):
        if not isinstance(host, str) or not host.strip():
            raise ChannelConfigError("EmailChannel: host must be a non-empty str")
        if port is None:
            port = 587 if starttls else 25
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ChannelConfigError(f"EmailChannel: port must be an integer in 1..65535, got {port!r}")
        if (user is None) != (password is None):
            raise ChannelConfigError("EmailChannel: give both user and password, or neither")
        if not isinstance(sender, str) or "@" not in sender:
            raise ChannelConfigError("EmailChannel: sender must be an e-mail address")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ChannelConfigError(f"EmailChannel: timeout must be > 0 seconds, got {timeout!r}")
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.timeout, self.cafile = bool(starttls), float(timeout), cafile
        self._user, self._password = user, password

    @classmethod
    def from_env(cls, environ: Mapping | None = None) -> EmailChannel:
        """Configure from ``RISKKIT_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``,
        ``_STARTTLS`` (1/0, true/false, yes/no) and ``_CAFILE``."""
        env = os.environ if environ is None else environ
        host = env.get("RISKKIT_SMTP_HOST")
        if not host:
            raise ChannelConfigError("RISKKIT_SMTP_HOST is not set: the SMTP server's host name")
        starttls = _env_bool(env, "RISKKIT_SMTP_STARTTLS", False)
        raw_port = env.get("RISKKIT_SMTP_PORT")
        port = None
        if raw_port:
            try:
                port = int(raw_port)
            except ValueError:
                raise ChannelConfigError(f"RISKKIT_SMTP_PORT must be an integer, got {raw_port!r}") from None
            if not 1 <= port <= 65535:
                raise ChannelConfigError(f"RISKKIT_SMTP_PORT must be in 1..65535, got {port}")
        user, password = env.get("RISKKIT_SMTP_USER") or None, env.get("RISKKIT_SMTP_PASSWORD") or None
        if (user is None) != (password is None):
            raise ChannelConfigError("RISKKIT_SMTP_USER and RISKKIT_SMTP_PASSWORD: set both or neither")
        return cls(host, port, user=user, password=password, sender=env.get("RISKKIT_SMTP_FROM") or "riskkit@localhost",
                   starttls=starttls, cafile=env.get("RISKKIT_SMTP_CAFILE") or None)

    def __repr__(self) -> str:
        return (f"EmailChannel(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
                f"starttls={self.starttls}, user={'***' if self._user else None!r}, "
                f"password={'***' if self._password else None!r})")

    def _secrets(self) -> tuple:
        return tuple(s for s in (self._password, self._user) if s)

    def build(self, message) -> email.message.EmailMessage:
        """The e-mail for one outbox message (``message_id, run_id, recipient, subject, body``)."""
        msg = email.message.EmailMessage()
        msg["From"] = self.sender
        msg["To"] = _field(message, "recipient")
        msg["Subject"] = _field(message, "subject")
        msg["Date"] = email.utils.formatdate(usegmt=True)
        msg["Message-ID"] = f"<{_field(message, 'message_id')}>"
        msg["X-Riskkit-Run"] = _field(message, "run_id")
        msg.set_content(_field(message, "body"))
        return msg

    def send(self, message) -> None:
        """Deliver one outbox message; :class:`ChannelError` (credentials scrubbed) on failure."""
        msg = self.build(message)
        where = f"SMTP {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.cafile))
                    smtp.ehlo()
                if self._user:
                    smtp.login(self._user, self._password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(_redact(f"{where}: {type(exc).__name__}: {exc}", self._secrets())) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: never re-send the body (and bearer token) to another URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WebhookChannel:
    """POST each digest as JSON to a webhook URL (http or https only).

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` URL; other schemes (file, ftp, ...) and URLs with
        ``user:password@`` are refused.  Only scheme, host and port are ever shown.
    token : str, optional
        Sent as ``Authorization: Bearer <token>``.
    name : str, default "webhook"
        ``'webhook'`` or ``'webhook:<name>'``: the recipients this channel serves.
    timeout : float, default 10

    The JSON body: ``message_id, run_id, recipient, subject, text`` (the plain-text body)
    and ``digest`` (the payload of :func:`compose_digests`); header ``Idempotency-Key:
    message_id``.  A 2xx answer is a delivery; anything else (redirects included) a failure.
    """

    def __init__(self, url: str, *, token: str | None = None, name: str = "webhook", timeout: float = 10.0):
        if not isinstance(url, str):
            raise ChannelConfigError("WebhookChannel: url must be a str")
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError:
            raise ChannelConfigError("WebhookChannel: url is not a valid URL") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise ChannelConfigError(f"WebhookChannel: url scheme must be http or https, got {parts.scheme!r}")
        if not parts.hostname:
            raise ChannelConfigError("WebhookChannel: url has no host")
        if parts.username is not None or parts.password is not None:
            raise ChannelConfigError("WebhookChannel: url must not carry user:password@; "
                                     "put a bearer token in RISKKIT_WEBHOOK_TOKEN instead")
        try:
            kind = channel_of(name)
        except RecipientError:
            kind = None
        if kind != "webhook":
            raise ChannelConfigError(f"WebhookChannel: name must be 'webhook' or 'webhook:<name>', got {name!r}")
        if token is not None and (not isinstance(token, str) or not token or "\n" in token or "\r" in token):
            raise ChannelConfigError("WebhookChannel: token must be a non-empty single-line str")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ChannelConfigError(f"WebhookChannel: timeout must be > 0 seconds, got {timeout!r}")
        self.name, self.timeout = name, float(timeout)
        self._url, self._token = url, token
        self.shown_url = f"{parts.scheme.lower()}://{parts.hostname}{f':{port}' if port else ''}/..."

    @classmethod
    def from_env(cls, name: str | None = None, environ: Mapping | None = None) -> WebhookChannel:
        """``RISKKIT_WEBHOOK_URL`` / ``_TOKEN``; for ``name='ops'`` (recipient ``webhook:ops``)
        ``RISKKIT_WEBHOOK_OPS_URL`` / ``RISKKIT_WEBHOOK_OPS_TOKEN``."""
        env = os.environ if environ is None else environ
        prefix = "RISKKIT_WEBHOOK" if name is None else "RISKKIT_WEBHOOK_" + re.sub(r"\W", "_", name).upper()
        url = env.get(f"{prefix}_URL")
        if not url:
            raise ChannelConfigError(f"{prefix}_URL is not set: the webhook's http(s) URL")
        try:
            return cls(url, token=env.get(f"{prefix}_TOKEN") or None,
                       name="webhook" if name is None else f"webhook:{name}")
        except ChannelConfigError as exc:
            raise ChannelConfigError(f"{prefix}_URL / {prefix}_TOKEN: {exc}") from None

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r}, url={self.shown_url!r}, token={'***' if self._token else None!r})"

    def _secrets(self) -> tuple:
        parts = urllib.parse.urlsplit(self._url)
        return tuple(s for s in (self._token, self._url, parts.path if len(parts.path) > 1 else None,
                                 parts.query) if s)

    def send(self, message) -> None:
        """POST one outbox message; :class:`ChannelError` (URL and token hidden) on failure."""
        payload = _field(message, "payload")
        digest = json.loads(payload) if isinstance(payload, str) else payload
        body = json.dumps({"message_id": _field(message, "message_id"), "run_id": _field(message, "run_id"),
                           "recipient": _field(message, "recipient"), "subject": _field(message, "subject"),
                           "text": _field(message, "body"), "digest": digest}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Idempotency-Key": _field(message, "message_id"), "User-Agent": "riskkit"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        where = f"webhook {self.shown_url}"
        try:
            with urllib.request.build_opener(_NoRedirect()).open(request, timeout=self.timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"{where}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(_redact(f"{where}: {type(exc).__name__}: {reason}", self._secrets())) from None
        if not 200 <= status < 300:
            raise ChannelError(f"{where}: HTTP {status}")


# --------------------------------------------------------------------------------------
# delivery


@dataclass(frozen=True)
class DeliveryReport:
    """Outcome of one :func:`deliver_outbox` pass.

    Attributes
    ----------
    attempts : DataFrame
        One row per attempt: ``message_id, channel, recipient`` (masked), ``attempt``
        (counted over all passes), ``status`` (``sent``/``failed``), ``error``.
    sent : int
        Messages delivered in this pass.
    pending : int
        Messages still queued after it (failed, or no channel configured).
    unroutable : tuple of str
        Message ids left queued because no channel serves their recipient.
    in_doubt : int
        Messages re-sent whose previous attempt had no recorded outcome (possible duplicates;
        see the module docstring).
    """

    attempts: pd.DataFrame
    sent: int
    pending: int
    unroutable: tuple
    in_doubt: int

    def to_frame(self) -> pd.DataFrame:
        return self.attempts.copy()

    def summary(self) -> str:
        failed = int((self.attempts["status"] == "failed").sum()) if len(self.attempts) else 0
        return (f"delivered {self.sent} message(s) in {len(self.attempts)} attempt(s) ({failed} failed); "
                f"{self.pending} still queued ({len(self.unroutable)} without a channel); "
                f"{self.in_doubt} re-sent after an unrecorded outcome")


def _channel_map(channels) -> dict:
    if isinstance(channels, Mapping):
        items = dict(channels)
    else:
        items = {getattr(ch, "name", None): ch for ch in channels}
    for key, ch in items.items():
        if key not in ("email", "webhook") and not (isinstance(key, str) and key.startswith("webhook:")):
            raise ChannelConfigError(f"channels: key {key!r} must be 'email', 'webhook' or 'webhook:<name>'")
        if not callable(getattr(ch, "send", None)):
            raise ChannelConfigError(f"channels[{key!r}] has no send(message) method")
    return items


def _route(channels: dict, recipient: str):
    kind = channel_of(recipient)
    if kind == "email":
        return channels.get("email")
    return channels.get(recipient) or channels.get("webhook")


def deliver_outbox(archive, channels, max_attempts: int = 3, backoff: float = 1.0) -> DeliveryReport:
    """Send every queued message that has not been delivered; record every attempt.

    Parameters
    ----------
    archive : Archive
    channels : mapping or iterable of channels
        ``{"email": EmailChannel, "webhook": WebhookChannel, "webhook:ops": ...}``, or the
        channels themselves (keyed by their ``name``).
    max_attempts : int, default 3
        Attempts per message in this pass; a message still failing stays queued for the
        next pass.
    backoff : float, default 1.0
        Seconds before the second round of attempts; doubled for each further round
        (``backoff * 2**(k-1)`` before round ``k+1``): failed messages are retried together.

    Returns
    -------
    DeliveryReport

    Notes
    -----
    At-least-once with a stable id per message; never re-sent once ``sent`` is recorded
    (see the module docstring for the crash window and how receivers deduplicate).
    """
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, (int, np.integer)) or max_attempts < 1:
        raise ChannelConfigError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not backoff >= 0:
        raise ChannelConfigError(f"backoff must be a number of seconds >= 0, got {backoff!r}")
    chans = _channel_map(channels)
    secrets = tuple(s for ch in chans.values() for s in (ch._secrets() if hasattr(ch, "_secrets") else ()))
    log_rows: list[dict] = []
    sent = 0
    with archive.outbox() as box:
        pending = box.pending().to_dict("records")
        todo, unroutable = [], []
        for m in pending:
            ch = _route(chans, m["recipient"])
            (todo if ch is not None else unroutable).append((m, ch))
        in_doubt = sum(m["last_status"] == "sending" for m, _ in todo)
        for round_ in range(max_attempts):
            if round_:
                time.sleep(backoff * 2 ** (round_ - 1))
            failed = []
            for m, ch in todo:  # a few messages per run: one digest per recipient
                m["attempts"] = attempt = int(m["attempts"]) + 1
                shown = mask_recipient(m["recipient"])
                box.record(m["message_id"], attempt, "sending")
                try:
                    ch.send(m)
                except Exception as exc:
                    text = str(exc) if isinstance(exc, ChannelError) else f"{type(exc).__name__}: {exc}"
                    error = _redact(text, secrets)[:1000]
                    box.record(m["message_id"], attempt, "failed", error)
                    log_rows.append({"message_id": m["message_id"], "channel": m["channel"], "recipient": shown,
                                     "attempt": attempt, "status": "failed", "error": error})
                    LOG.warning("delivery of %s to %s failed (attempt %d): %s", m["message_id"], shown, attempt, error)
                    if not isinstance(exc, ChannelError):
                        raise
                    failed.append((m, ch))
                else:
                    box.record(m["message_id"], attempt, "sent")
                    sent += 1
                    log_rows.append({"message_id": m["message_id"], "channel": m["channel"], "recipient": shown,
                                     "attempt": attempt, "status": "sent", "error": None})
                    LOG.info("delivered %s to %s (attempt %d)", m["message_id"], shown, attempt)
            todo = failed
            if not todo:
                break
    attempts = pd.DataFrame(log_rows, columns=["message_id", "channel", "recipient", "attempt", "status", "error"])
    return DeliveryReport(attempts, sent, len(todo) + len(unroutable), tuple(m["message_id"] for m, _ in unroutable),
                          int(in_doubt))
