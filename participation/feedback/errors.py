"""Kind answers when sending goes wrong: too fast, an expired page, a lost connection.

Whatever happens, a child who pressed "Send" sees their own words again, ready to resend.
"""

from __future__ import annotations

from flask import Flask, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from participation.feedback.forms import IdeaForm
from participation.i18n import select_locale
from participation.plans.queries import get_plan_view

IDEA_ENDPOINTS = frozenset({"feedback.send_idea", "feedback.missing"})


def _words_back(error: str, status: int) -> Response | None:
    """Re-show the idea form with the child's text when the failed request was a send."""
    if request.method != "POST" or request.endpoint not in IDEA_ENDPOINTS:
        return None
    plan = get_plan_view(select_locale())
    if plan is None:
        return None
    part = plan.section((request.view_args or {}).get("slug", ""))
    values = IdeaForm(meta={"csrf": False}).values()  # the posted words come back
    html = render_template("feedback/write.html", plan=plan, part=part, values=values, error=error)
    return make_response(html, status)


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(RateLimitExceeded)
    def too_fast(error: RateLimitExceeded) -> Response:
        template = "accounts/wait.html" if request.blueprint == "accounts" else "feedback/wait.html"
        response = _words_back("too_fast", 429) or make_response(render_template(template), 429)
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(CSRFError)
    def expired_page(error: CSRFError) -> Response:
        return _words_back("expired", 400) or make_response(
            render_template("errors/error.html", status=400), 400
        )
