"""A tiny SMTP server on 127.0.0.1 for tests: keeps every message it receives, can answer slowly."""

from __future__ import annotations

import socketserver
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        time.sleep(self.server.owner.delay)  # a slow or distant server
        self._reply("220 fake ESMTP")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-fake")
                self._reply("250 8BITMIME")
            elif verb == "RCPT":
                address = line.decode().split(":", 1)[1].strip().strip("<>")
                recipients.append(address)
                self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 go ahead")
                body = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                message: Any = message_from_bytes(bytes(body), policy=policy.default)
                self.server.owner.received(message, recipients)
                recipients = []
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:  # HELO, MAIL, RSET, NOOP
                self._reply("250 ok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FakeSMTPServer


class FakeSMTPServer:
    """Start with ``with FakeSMTPServer() as smtp:``; ``smtp.port`` is where it listens."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Session)
        self._server.owner = self
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def received(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self.messages.append(message)
            self.envelopes.append(list(recipients))

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages once ``count`` have arrived (polling, never a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")

    def __enter__(self) -> FakeSMTPServer:
        self._thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self._server.shutdown()
        self._server.server_close()
