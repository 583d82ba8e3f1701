"""Who is asking, and for which URL prefix: request headers are believed only from our proxies.

- The URL prefix (``SCRIPT_NAME``) always comes from the APPLICATION_ROOT setting. Gunicorn
  takes a ``SCRIPT_NAME`` request header from local addresses; believed, one request could
  make every cached page link to another prefix (cache poisoning).
- ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are applied only when the connection comes
  from an address in TRUSTED_PROXIES (werkzeug's ProxyFix, one hop). From anyone else they
  are ignored, so nobody picks their own address to escape a rate limit.
- The Host header is checked by Flask against TRUSTED_HOSTS (see config.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``10.0.0.5`` or ``10.0.0.0/24`` (IPv4 or IPv6); a bad value stops the start-up."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


class TrustedProxies:
    """WSGI middleware: a fixed URL prefix, and forwarded headers from trusted proxies only."""

    def __init__(self, app: WSGIApplication, *, script_root: str,
                 trusted: Iterable[str] = ()) -> None:
        self.app = app
        self.script_root = "" if script_root in {"", "/"} else "/" + script_root.strip("/")
        self.trusted = parse_networks(trusted)
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)

    def is_trusted(self, address: str | None) -> bool:
        if not address or not self.trusted:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes] | Iterator[Any]:
        environ["SCRIPT_NAME"] = self.script_root
        path = environ.get("PATH_INFO", "")
        if self.script_root and (path + "/").startswith(self.script_root + "/"):
            environ["PATH_INFO"] = path[len(self.script_root):]  # a proxy that kept the prefix
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        return self.app(environ, start_response)
