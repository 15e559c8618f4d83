"""Digests, channels and outbox delivery, through a real aiosmtpd SMTP server and a real
http.server webhook on 127.0.0.1 (no mocks).  Expected texts are written out by hand."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from _loopback import HTTPServer, SMTPServer, free_port, self_signed_cert
from riskkit import RiskkitError
from riskkit.monitoring import (Archive, ChannelConfigError, ChannelError, EmailChannel, WebhookChannel,
                                compose_digests, deliver_outbox, mask_text)

AS_OF = "2024-06-30"


def alerts_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C2"],
        "rule": ["dpd_90", "orders_drop", "bureau_drop", "litigation"],
        "level": ["red", "yellow", "orange", "red"],
        "message": ["Invoice 90+ days past due; contact finance@acme.example or +86 10 5555 0101.",
                    "Orders fell 45% over 90 days.",
                    "Wang Wei (ID 110101199001011234, mobile 13800000303) bureau score fell 80 points.",
                    "Lawsuit filed; exposure 2500000 at risk."],
        "evidence": ['{"current_dpd": {"before": 30, "after": 95}}', '{}', '{"bureau_score": {"before": 700, '
                     '"after": 620}}', '{}'],
        "recipients": [("risk@corp.example", "webhook"), ("risk@corp.example",), ("webhook:ops",),
                       ("risk@corp.example", "cfo@corp.example")],
    })


CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2", "C3"],
                          "name": ["Acme Steel Co., Ltd.", "Bright Retail Co., Ltd.", "Wang Wei"],
                          "kind": ["enterprise", "enterprise", "individual"]})
RUN = {"run_id": "run-20240630-test", "as_of": AS_OF}


# ------------------------------------------------------------------------------- digests

def test_one_digest_per_recipient_with_counts_and_levels_in_order():
    msgs = compose_digests(alerts_frame(), RUN)
    by = {m.recipient: m for m in msgs}
    assert [m.recipient for m in msgs] == ["cfo@corp.example", "risk@corp.example", "webhook", "webhook:ops"]
    risk = by["risk@corp.example"]
    # risk@ gets C1 dpd_90 (red), C2 litigation (red), C2 orders_drop (yellow)
    assert risk.subject == "[riskkit] 2024-06-30 monitoring: 2 red, 0 orange, 1 yellow, 0 info"
    assert risk.channel == "email" and by["webhook:ops"].channel == "webhook"
    expected = (
        "riskkit monitoring digest\n"
        "as of: 2024-06-30    run: run-20240630-test\n"
        "3 alert(s): 2 red, 0 orange, 1 yellow, 0 info\n"
        "\n"
        "RED (2)\n"
        "  - C1 | dpd_90 | Invoice 90+ days past due; contact f***@acme.example or ****0101.\n"
        "  - C2 | litigation | Lawsuit filed; exposure 2500000 at risk.\n"
        "\n"
        "YELLOW (1)\n"
        "  - C2 | orders_drop | Orders fell 45% over 90 days.\n")
    assert risk.body == expected
    assert by["cfo@corp.example"].subject.endswith("1 red, 0 orange, 0 yellow, 0 info")
    payload = by["webhook"].payload
    assert payload["counts"] == {"red": 1, "orange": 0, "yellow": 0, "info": 0}
    assert payload["alerts"][0]["evidence"] == {"current_dpd": {"before": 30, "after": 95}}
    json.dumps(payload)  # webhook-ready


def test_pii_masked_in_text_and_individual_names_with_customers_table():
    ops = {m.recipient: m for m in compose_digests(alerts_frame(), RUN, customers=CUSTOMERS)}["webhook:ops"]
    line = ops.body.splitlines()[-1]
    # privacy.mask_pii rules: name -> first letters, ID -> 3 + 13 stars + 2, phone -> last 4
    assert line == ("  - C3 W*** W** | bureau_drop | W*** W** (ID 110*************34, mobile ****0303) "
                    "bureau score fell 80 points.")
    assert "Wang Wei" not in json.dumps(ops.payload) and "13800000303" not in ops.body
    risk = {m.recipient: m for m in compose_digests(alerts_frame(), RUN, customers=CUSTOMERS)}["risk@corp.example"]
    assert "C1 Acme Steel Co., Ltd. | dpd_90" in risk.body  # company names are public


def test_unmasked_on_request_and_recipient_masked_in_repr():
    msgs = compose_digests(alerts_frame(), RUN, mask_pii=False)
    assert "finance@acme.example" in msgs[1].body
    assert "risk@corp.example" not in repr(msgs[1]) and "r***@corp.example" in repr(msgs[1])


def test_evidence_numbers_kept_and_strings_masked():
    a = alerts_frame().iloc[[0]].assign(evidence=['{"ar_open": {"before": 13800000000.5, "after": 123456789012345}, '
                                                  '"contact": {"before": null, "after": "x.y@acme.example"}}'])
    ev = compose_digests(a, RUN)[0].payload["alerts"][0]["evidence"]
    assert ev == {"ar_open": {"before": 13800000000.5, "after": 123456789012345},
                  "contact": {"before": None, "after": "x***@acme.example"}}


def test_mask_text_leaves_amounts_and_masks_contacts():
    s = pd.Series(["pay 1250000.50 by 2024-07-01", "call (010) 55550101", "mail a.b@c.cn", None,
                   "code 91110000100000001X"])
    assert mask_text(s).tolist()[:3] == ["pay 1250000.50 by 2024-07-01", "call ****0101", "mail a***@c.cn"]
    assert pd.isna(mask_text(s).iloc[3])
    assert mask_text(s).iloc[4] == "code 911*************1X"


@pytest.mark.parametrize("change, match", [
    (lambda a: a.assign(level=["red", "amber", "red", "red"]), "level"),
    (lambda a: a.assign(recipients=[["x@y.example"]] * 4), "tuples of str"),
    (lambda a: a.assign(recipients=[("risk team",)] * 4), "neither an e-mail"),
    (lambda a: a.drop(columns="recipients"), "recipients"),
])
def test_bad_alerts_rejected(change, match):
    with pytest.raises((RiskkitError, KeyError), match=match):
        compose_digests(change(alerts_frame()), RUN)


def test_run_info_needed():
    with pytest.raises(ChannelConfigError, match="run_id"):
        compose_digests(alerts_frame(), {"as_of": AS_OF})


# ------------------------------------------------------------------------------- channels config

def test_from_env_reads_variables_and_hides_credentials():
    env = {"RISKKIT_SMTP_HOST": "127.0.0.1", "RISKKIT_SMTP_PORT": "2525", "RISKKIT_SMTP_USER": "mailer",
           "RISKKIT_SMTP_PASSWORD": "s3cr3t-pw", "RISKKIT_SMTP_FROM": "risk@corp.example",
           "RISKKIT_SMTP_STARTTLS": "no"}
    ch = EmailChannel.from_env(env)
    assert (ch.host, ch.port, ch.sender, ch.starttls) == ("127.0.0.1", 2525, "risk@corp.example", False)
    assert "s3cr3t-pw" not in repr(ch) and "mailer" not in repr(ch)
    hook = WebhookChannel.from_env(environ={"RISKKIT_WEBHOOK_URL": "https://hooks.example/T0/B0/XyZsecret",
                                            "RISKKIT_WEBHOOK_TOKEN": "tok-123456"})
    assert repr(hook) == "WebhookChannel(name='webhook', url='https://hooks.example/...', token='***')"
    ops = WebhookChannel.from_env("ops", environ={"RISKKIT_WEBHOOK_OPS_URL": "http://127.0.0.1:9/x"})
    assert ops.name == "webhook:ops"


@pytest.mark.parametrize("env, match", [
    ({}, "RISKKIT_SMTP_HOST"),
    ({"RISKKIT_SMTP_HOST": "h", "RISKKIT_SMTP_PORT": "25x"}, "RISKKIT_SMTP_PORT"),
    ({"RISKKIT_SMTP_HOST": "h", "RISKKIT_SMTP_PORT": "70000"}, "RISKKIT_SMTP_PORT"),
    ({"RISKKIT_SMTP_HOST": "h", "RISKKIT_SMTP_STARTTLS": "maybe"}, "RISKKIT_SMTP_STARTTLS"),
    ({"RISKKIT_SMTP_HOST": "h", "RISKKIT_SMTP_USER": "u"}, "set both"),
])
def test_email_env_errors_name_the_variable(env, match):
    with pytest.raises(ChannelConfigError, match=match):
        EmailChannel.from_env(env)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x", "127.0.0.1:80/x",
                                 "javascript:alert(1)"])
def test_webhook_refuses_non_http_schemes(url):
    with pytest.raises(ChannelConfigError, match="http or https"):
        WebhookChannel(url)


def test_webhook_refuses_userinfo_without_echoing_it():
    with pytest.raises(ChannelConfigError) as info:
        WebhookChannel.from_env(environ={"RISKKIT_WEBHOOK_URL": "https://bob:hunter2pw@hooks.example/x"})
    assert "hunter2pw" not in str(info.value) and "RISKKIT_WEBHOOK_URL" in str(info.value)


# ------------------------------------------------------------------------------- delivery

def _queue_run(archive, alerts=None, as_of=AS_OF):
    with archive.run(as_of) as run:
        stored = run.add_alerts(alerts if alerts is not None else alerts_frame())
        ids = run.queue(compose_digests(stored, run.info, customers=CUSTOMERS))
    return ids


def test_email_delivered_through_real_smtp_with_message_id_and_body():
    port = free_port()
    archive = Archive(":memory:")
    ids = _queue_run(archive)
    with SMTPServer(port) as smtp:
        report = deliver_outbox(archive, {"email": EmailChannel("127.0.0.1", port, sender="risk@corp.example")},
                                backoff=0)
    assert report.sent == 2 and report.pending == 2  # the two webhooks have no channel here
    got = {m["To"]: m for m in smtp.messages}
    assert set(got) == {"cfo@corp.example", "risk@corp.example"}
    outbox = archive.table("outbox").set_index("recipient")
    m = got["risk@corp.example"]
    assert m["Message-ID"] == f"<{outbox.loc['risk@corp.example', 'message_id']}>"
    assert m["Message-ID"].strip("<>") in ids
    assert m["Subject"] == "[riskkit] 2024-06-30 monitoring: 2 red, 0 orange, 1 yellow, 0 info"
    assert m.get_content().replace("\r\n", "\n") == outbox.loc["risk@corp.example", "body"]
    assert "[opened]" in m.get_content()  # life-cycle events from run.add_alerts
    assert smtp.handler.envelopes[0][0] == "risk@corp.example"


def test_webhook_delivered_with_json_bearer_and_idempotency_key_and_500_retried():
    port = free_port()
    archive = Archive(":memory:")
    _queue_run(archive)
    with HTTPServer(port, statuses=[500, 200]) as http:
        hook = WebhookChannel(http.url, token="tok-abcdef")
        report = deliver_outbox(archive, {"webhook": hook}, max_attempts=3, backoff=0.01)
    # two webhook recipients (webhook, webhook:ops falls back to 'webhook'); the first POST got 500
    assert report.sent == 2 and len(http.requests) == 3
    failed = report.attempts[report.attempts["status"] == "failed"]
    assert failed["error"].tolist() == ["webhook http://127.0.0.1:%d/...: HTTP 500" % port]
    path, headers, body = http.requests[-1]
    assert path == "/hooks/secret-path-abc123"
    assert headers["Authorization"] == "Bearer tok-abcdef"
    assert headers["Idempotency-Key"] == body["message_id"]
    first_ok = {r[2]["message_id"] for r in http.requests[1:]}
    assert {body["recipient"] for body in (r[2] for r in http.requests[1:])} == {"webhook", "webhook:ops"}
    assert len(first_ok) == 2
    assert body["digest"]["as_of"] == AS_OF and body["subject"].startswith("[riskkit] 2024-06-30")


def test_redirect_is_a_failure():
    port = free_port()
    archive = Archive(":memory:")
    _queue_run(archive, alerts_frame().iloc[[2]])
    with HTTPServer(port, statuses=[302]):
        report = deliver_outbox(archive, [WebhookChannel(f"http://127.0.0.1:{port}/h", name="webhook:ops")],
                                max_attempts=1)
    assert report.sent == 0 and report.attempts["error"].iloc[0].endswith("HTTP 302")


def test_servers_down_then_up_each_message_exactly_once_across_runs(tmp_path):
    smtp_port, http_port = free_port(), free_port()
    path = tmp_path / "archive.duckdb"
    channels = {"email": EmailChannel("127.0.0.1", smtp_port, timeout=2),
                "webhook": WebhookChannel(f"http://127.0.0.1:{http_port}/hook", timeout=2)}
    ids = _queue_run(Archive(path))
    n = len(ids)
    assert n == 4

    # run 1: both servers DOWN -> nothing delivered, every attempt recorded as failed
    down = deliver_outbox(Archive(path), channels, max_attempts=2, backoff=0.01)
    assert down.sent == 0 and down.pending == n
    deliveries = Archive(path).table("deliveries")
    assert (deliveries.groupby("message_id")["status"].apply(list) == [["sending", "failed"] * 2] * n).all()
    assert deliveries["error"].str.contains("Connection refused|Errno 111", regex=True).sum() == 2 * n

    # run 2 (a new process would reopen the file the same way): servers UP -> each exactly once
    with SMTPServer(smtp_port) as smtp, HTTPServer(http_port) as http:
        up = deliver_outbox(Archive(path), channels, max_attempts=2, backoff=0.01)
        again = deliver_outbox(Archive(path), channels, max_attempts=2, backoff=0.01)
        assert len(smtp.messages) + len(http.requests) == n  # exactly N arrived, none twice
        received = [m["Message-ID"].strip("<>") for m in smtp.messages] + [r[2]["message_id"] for r in http.requests]
        assert sorted(received) == sorted(ids)
    assert up.sent == n and up.pending == 0 and up.attempts["attempt"].eq(3).all()
    assert again.sent == 0 and len(again.attempts) == 0
    sent = Archive(path).table("deliveries").query("status == 'sent'")
    assert sorted(sent["message_id"]) == sorted(ids)
    assert Archive(path).verify().ok


def test_delivered_message_is_refused_a_second_time():
    archive = Archive(":memory:")
    mid = _queue_run(archive, alerts_frame().iloc[[0]])[0]
    with archive.outbox() as box:
        box.record(mid, 1, "sending")
        box.record(mid, 1, "sent")
        with pytest.raises(RiskkitError, match="never sent again"):
            box.record(mid, 2, "sending")
        with pytest.raises(RiskkitError, match="no message"):
            box.record("nope@riskkit", 1, "sending")


def test_unrecorded_outcome_is_resent_in_doubt_with_the_same_message_id():
    """The crash window: 'sending' committed, outcome never recorded -> resent, same Message-ID."""
    port = free_port()
    archive = Archive(":memory:")
    mid = [i for i in _queue_run(archive, alerts_frame().iloc[[1]])][0]
    with archive.outbox() as box:
        box.record(mid, 1, "sending")  # the process "died" here
    with SMTPServer(port) as smtp:
        report = deliver_outbox(archive, [EmailChannel("127.0.0.1", port)], backoff=0)
    assert report.in_doubt == 1 and report.sent == 1
    assert [m["Message-ID"] for m in smtp.messages] == [f"<{mid}>"]
    assert archive.table("deliveries")["attempt"].tolist() == [1, 2, 2]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_and_credentials_never_leak(caplog):
    port = free_port()
    archive = Archive(":memory:")
    _queue_run(archive, alerts_frame().iloc[[1]])
    good = EmailChannel("127.0.0.1", port, user="mailer", password="Corr3ct-Horse")
    bad = EmailChannel("127.0.0.1", port, user="mailer", password="Wr0ng-Battery")
    caplog.set_level(logging.DEBUG, logger="riskkit.monitoring.notify")
    with SMTPServer(port, login=("mailer", "Corr3ct-Horse")) as smtp:
        failed = deliver_outbox(archive, [bad], max_attempts=1)
        ok = deliver_outbox(archive, [good], max_attempts=1)
    assert failed.sent == 0 and ok.sent == 1 and len(smtp.messages) == 1
    # smtplib tries each offered mechanism (PLAIN, LOGIN) with the wrong password, then logs in
    assert smtp.auth_attempts[-1] is True and not any(smtp.auth_attempts[:-1])
    assert "535" in failed.attempts["error"].iloc[0]
    texts = [caplog.text, repr(good), repr(bad), failed.summary(), failed.to_frame().to_string()]
    for name in ("runs", "alerts", "outbox", "deliveries", "commits"):
        texts.append(archive.table(name).to_string())
    for secret in ("Corr3ct-Horse", "Wr0ng-Battery"):
        assert not any(secret in t for t in texts)


def test_webhook_token_and_secret_url_never_leak(caplog):
    archive = Archive(":memory:")
    _queue_run(archive, alerts_frame().iloc[[2]])
    dead = WebhookChannel(f"http://127.0.0.1:{free_port()}/T000/B000/sEcReTpAtH", token="tok-SECRET-42",
                          name="webhook:ops", timeout=2)
    caplog.set_level(logging.DEBUG)
    report = deliver_outbox(archive, [dead], max_attempts=1)
    assert report.sent == 0
    texts = [caplog.text, repr(dead), report.to_frame().to_string(), archive.table("deliveries").to_string()]
    assert not any(s in t for t in texts for s in ("tok-SECRET-42", "sEcReTpAtH"))


def test_channel_error_hides_password_even_if_server_echoes_it():
    """A ChannelError raised by the channel is scrubbed (user name is secret too)."""
    ch = EmailChannel("127.0.0.1", free_port(), user="svc-user", password="pw-XYZ-987", timeout=2)
    with pytest.raises(ChannelError) as info:
        ch.send({"message_id": "m@riskkit", "run_id": "r", "recipient": "a@b.example", "subject": "s",
                 "body": "b"})
    assert "pw-XYZ-987" not in str(info.value) and "SMTP 127.0.0.1" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_starttls_with_login(tmp_path):
    pair = self_signed_cert(tmp_path)
    if pair is None:
        pytest.skip("openssl CLI not available to make a test certificate")
    port = free_port()
    archive = Archive(":memory:")
    _queue_run(archive, alerts_frame().iloc[[1]])
    env = {"RISKKIT_SMTP_HOST": "127.0.0.1", "RISKKIT_SMTP_PORT": str(port), "RISKKIT_SMTP_USER": "mailer",
           "RISKKIT_SMTP_PASSWORD": "tls-pass-1", "RISKKIT_SMTP_STARTTLS": "true", "RISKKIT_SMTP_CAFILE": pair[0]}
    plain = EmailChannel("127.0.0.1", port, user="mailer", password="tls-pass-1")
    with SMTPServer(port, login=("mailer", "tls-pass-1"), tls=pair) as smtp:
        refused = deliver_outbox(archive, [plain], max_attempts=1)  # server requires STARTTLS first
        report = deliver_outbox(archive, [EmailChannel.from_env(env)], max_attempts=1)
    assert refused.sent == 0 and report.sent == 1 and len(smtp.messages) == 1


def test_bad_delivery_arguments():
    archive = Archive(":memory:")
    with pytest.raises(ChannelConfigError, match="max_attempts"):
        deliver_outbox(archive, {}, max_attempts=0)
    with pytest.raises(ChannelConfigError, match="backoff"):
        deliver_outbox(archive, {}, backoff=-1)
    with pytest.raises(ChannelConfigError, match="key"):
        deliver_outbox(archive, {"sms": EmailChannel("h")})
