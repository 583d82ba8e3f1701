"""The one HTML sanitiser, the security headers every response carries, and which pages are
never cached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Serializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from markupsafe import Markup

# The only tags stored rich text may use (plan content converted from content files).
ALLOWED_TAGS = frozenset({"p", "ul", "ol", "li", "strong", "em", "br", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "class", "data-term"]}
# In-page links only: glossary terms point at their definition on the same page.
ALLOWED_PROTOCOLS: frozenset[str] = frozenset()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": (
        "geolocation=(), camera=(), microphone=(), payment=(), usb=(), interest-cohort=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def clean_html(html: str) -> Markup:
    """Sanitise stored rich text with the app's single allowlist and mark it safe to render."""
    import bleach  # on first use: plan content is sanitised once per worker, not per request

    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    return Markup(cleaned)  # noqa: S704 - this is the one place sanitised HTML becomes Markup


class _UncompressedSerializer(URLSafeTimedSerializer):
    """Session cookies are a few short values: trying zlib on each one costs more than the
    bytes it could save. Compressed cookies from elsewhere are still read."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per app.

    Flask builds a new serializer for every request, twice (open and save), and each one
    test-serialises a value to learn its type: about a tenth of a part page's cost. The key and
    settings never change while the app runs.
    """

    def __init__(self) -> None:
        self._serializers: dict[int, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        serializer = self._serializers.get(id(app))
        if serializer is None and app.secret_key:
            keys = [*(app.config["SECRET_KEY_FALLBACKS"] or []), app.secret_key]
            serializer = self._serializers[id(app)] = _UncompressedSerializer(
                keys, salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation,
                               "digest_method": self.digest_method},
            )
        return serializer


F = TypeVar("F", bound=Callable[..., Any])
_PRIVATE_MARK = "_private_page"


def private_page(view: F) -> F:
    """Mark a child's page that shows what they wrote ("my ideas", a confirmation): never kept
    in a cache, so the next child on a shared tablet cannot bring it back with Back."""
    setattr(view, _PRIVATE_MARK, True)
    return view


def _is_private() -> bool:
    """Staff pages, answers to a POST (they may show the words sent), marked pages."""
    if request.path.startswith("/staff/") or request.method == "POST":
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _PRIVATE_MARK, False))


_SECURITY_HEADER_ITEMS = list(SECURITY_HEADERS.items())


def _set_security_headers(response: Response) -> Response:
    if "Content-Security-Policy" in response.headers:  # already set here (never, today)
        for name, value in _SECURITY_HEADER_ITEMS:
            response.headers.setdefault(name, value)
    else:
        response.headers.extend(_SECURITY_HEADER_ITEMS)
    if _is_private():
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SigningSessionInterface()
    app.after_request(_set_security_headers)
    app.jinja_env.filters["clean_html"] = clean_html
