"""The one HTML sanitiser and the security headers every response carries."""

from __future__ import annotations

import bleach
from flask import Flask, Response
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
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    return Markup(cleaned)  # noqa: S704 - this is the one place sanitised HTML becomes Markup


def _set_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_security_headers)
    app.jinja_env.filters["clean_html"] = clean_html
