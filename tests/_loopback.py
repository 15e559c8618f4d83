"""Real loopback servers for the notification tests: an aiosmtpd SMTP server and an
http.server webhook endpoint, both on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collect:
    def __init__(self):
        self.messages: list = []  # parsed email.message.EmailMessage
        self.envelopes: list = []  # (mail_from, rcpt_tos)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SMTPServer:
    """``with SMTPServer(port) as smtp: ...``; ``smtp.messages`` holds what it received.

    ``login=(user, password)`` requires AUTH; ``tls=(certfile, keyfile)`` offers STARTTLS
    and then requires it.
    """

    def __init__(self, port: int, login: tuple[str, str] | None = None, tls: tuple[str, str] | None = None):
        self.port = port
        self.handler = _Collect()
        self.auth_attempts: list = []
        kwargs = {}
        if login is not None:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and \
                    (auth_data.login.decode(), auth_data.password.decode()) == login
                self.auth_attempts.append(ok)
                return AuthResult(success=ok, handled=False)
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None)
        if tls is not None:
            import ssl
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*tls)
            kwargs.update(tls_context=ctx, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port, **kwargs)

    @property
    def messages(self):
        return self.handler.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class HTTPServer:
    """A webhook endpoint on 127.0.0.1 in a thread; ``requests`` holds (path, headers, json).

    ``statuses``: answers for successive POSTs (the last one repeats), e.g. ``[500, 200]``.
    """

    def __init__(self, port: int, statuses=(200,)):
        self.port = port
        self.requests: list = []
        self.statuses = list(statuses)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                outer.requests.append((self.path, dict(self.headers), json.loads(body)))
                status = outer.statuses[min(len(outer.requests), len(outer.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/secret-path-abc123"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def self_signed_cert(directory) -> tuple[str, str] | None:
    """(certfile, keyfile) for 127.0.0.1 made with the openssl CLI; None without openssl."""
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key
