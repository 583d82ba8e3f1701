"""Kind answers when sending an idea goes wrong: too fast, an expired page, a database outage;
and when checking an idea code does (too many wrong codes, an expired page).

Whatever happens, a child who pressed "Send" sees their own words again, with the same
idempotency key, so pressing Send again can never store the idea twice. This is a responder
for the factory's error handlers (participation/errors.py); it must work with the database
down, so it only uses the plan cache's last good copy.

One exception: words that arrive from another website (a cross-site POST) are shown to copy,
never put back into a ready-to-send form, or any site could make a child send its words.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from participation.errors import error_responders
from participation.feedback.forms import CheckForm, IdeaForm, IdeaValues
from participation.feedback.services import new_idempotency_key
from participation.i18n import select_locale
from participation.plans.queries import PlanView, cached_plan_view

IDEA_ENDPOINTS = frozenset({"feedback.send_idea", "feedback.missing"})


def is_cross_site() -> bool:
    """Did this POST come from a page of another site? (Fetch metadata, else Origin.)"""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin:
        return urlsplit(origin).netloc != request.host
    return True  # neither header: an old browser or a script; never pre-fill the form


def _error_code(error: Exception, status: int) -> str:
    if isinstance(error, RateLimitExceeded):
        return "too_fast"
    if isinstance(error, CSRFError):
        return "expired"
    if status >= 500:
        return "server"
    return "form"


def words_back(error: Exception, status: int) -> Response | None:
    """Re-show the idea form with the child's words when the failed request was a send."""
    if request.method != "POST" or request.endpoint not in IDEA_ENDPOINTS:
        return None
    plan: PlanView | None = cached_plan_view(select_locale())
    part = plan.section((request.view_args or {}).get("slug", "")) if plan else None
    posted = IdeaForm().values()
    code = _error_code(error, status)
    values = posted
    copy_text = None
    if isinstance(error, CSRFError) and is_cross_site():
        code, copy_text = "cross_site", posted.body
        values = IdeaValues("", posted.age_band, new_idempotency_key())
    html = render_template(
        "feedback/write.html", plan=plan, part=part, values=values, error=code,
        action=request.path, copy_text=copy_text,
    )
    response = make_response(html, status)
    if isinstance(error, RateLimitExceeded):
        response.headers["Retry-After"] = "60"
    elif status == 503:
        response.headers["Retry-After"] = "30"
    return response


def check_trouble(error: Exception, status: int) -> Response | None:
    """Too many wrong idea codes from this address: the kind "wait a minute" page. A check
    page left open too long: the form again (the typed code is not put back, since the
    request may have come from another site)."""
    if request.endpoint != "feedback.check" or request.method != "POST":
        return None
    if isinstance(error, RateLimitExceeded):
        response = make_response(render_template("feedback/check_wait.html"), 429)
        response.headers["Retry-After"] = "60"
        return response
    if isinstance(error, CSRFError):
        html = render_template("feedback/check.html", form=CheckForm(formdata=None),
                               error="expired", item=None)
        return make_response(html, 400)
    return None


def init_app(app: Flask) -> None:
    error_responders(app).extend([words_back, check_trouble])
