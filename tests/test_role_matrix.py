"""Every method of every staff route x every role (and anonymous visitors): the URL map is
walked, so a new route or method cannot be forgotten, and loosening any route's roles fails.

Expected access is declared once here, per (endpoint, method), with the answer a person let in
gets: object routes are asked about an object that does not exist, so the role check (403)
must come before the lookup (404), and a loosened decorator shows up as a 404 (or a form's
422) where a 403 was due. Every POST carries a valid CSRF token, so a refusal is never the
token's. Object-level rules (a facilitator and an urgent item) are tested in tests/moderation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from participation.accounts.models import Role
from tests.conftest import csrf_token, make_staff, sign_in

F, L, ORG, A = Role.FACILITATOR, Role.SAFEGUARDING_LEAD, Role.ORGANISER, Role.ADMIN
ALL = frozenset({F, L, ORG, A})
REVIEWERS = frozenset({F, L, A})
LEADS = frozenset({L, A})
ADMINS = frozenset({A})
CLASSROOMS = frozenset({F, ORG, A})
PUBLIC = None  # sign-in pages: no role needed


@dataclass(frozen=True)
class Access:
    roles: frozenset[Role] | None  # who is let in (PUBLIC: everyone, signed in or not)
    status: int  # what someone let in gets (for the request this test sends)
    anonymous: int = 302  # what an anonymous visitor gets (the sign-in page, for staff routes)


MATRIX: dict[tuple[str, str], Access] = {
    ("staff.home", "GET"): Access(ALL, 200),
    ("accounts.login", "GET"): Access(PUBLIC, 200, anonymous=200),
    ("accounts.login", "POST"): Access(PUBLIC, 400, anonymous=400),  # no email, no passphrase
    ("accounts.code", "GET"): Access(PUBLIC, 302, anonymous=302),  # no pending sign-in
    ("accounts.code", "POST"): Access(PUBLIC, 302, anonymous=302),
    ("accounts.end_other_sessions", "POST"): Access(ALL, 302),
    ("accounts.logout", "POST"): Access(ALL, 302),  # sent last: it ends the session
    ("moderation.queues", "GET"): Access(REVIEWERS, 200),
    ("moderation.review_next", "POST"): Access(REVIEWERS, 302),  # nothing waits: the queues
    ("moderation.bulk_preview", "GET"): Access(REVIEWERS, 200),
    ("moderation.bulk", "POST"): Access(REVIEWERS, 302),
    ("moderation.item", "GET"): Access(REVIEWERS, 404),
    ("moderation.approve", "POST"): Access(REVIEWERS, 404),
    ("moderation.approve_edited", "POST"): Access(REVIEWERS, 404),
    ("moderation.reject", "POST"): Access(REVIEWERS, 404),
    ("moderation.escalate", "POST"): Access(REVIEWERS, 404),
    ("moderation.keep", "POST"): Access(LEADS, 404),
    ("moderation.send_back", "POST"): Access(LEADS, 404),
    ("moderation.start_concern", "POST"): Access(LEADS, 404),
    ("moderation.concerns", "GET"): Access(LEADS, 200),
    ("moderation.concern", "GET"): Access(LEADS, 404),
    ("moderation.concern_entry", "POST"): Access(LEADS, 404),
    ("moderation.concern_close", "POST"): Access(LEADS, 404),
    ("admin.accounts", "GET"): Access(ADMINS, 200),
    ("admin.invite", "POST"): Access(ADMINS, 422),  # no passphrase: refused by the form
    ("admin.change_roles", "POST"): Access(ADMINS, 404),
    ("admin.deactivate", "POST"): Access(ADMINS, 404),
    ("admin.reset_totp", "POST"): Access(ADMINS, 404),
    ("admin.audit", "GET"): Access(ADMINS, 200),
    ("plan_staff.readability", "GET"): Access(frozenset({ORG, A}), 200),
    # plans: the editor (plans/editor_views.py). Facilitators write and translate; only
    # organisers and admins create, publish, publish again, import or choose the shown plan.
    ("plan_editor.index", "GET"): Access(frozenset({F, ORG, A}), 200),
    ("plan_editor.create", "POST"): Access(frozenset({ORG, A}), 302),  # no name: back, told
    ("plan_editor.show", "POST"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.overview", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.add_part", "POST"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.change_part", "POST"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.edit", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.edit", "POST"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.analyse_text", "POST"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.add_word", "POST"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.words", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.words", "POST"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.preview", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.look", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.publish", "GET"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.publish", "POST"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.revision", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.republish_revision", "POST"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.draft_from", "POST"): Access(frozenset({ORG, A}), 404),
    ("plan_editor.export", "GET"): Access(frozenset({F, ORG, A}), 404),
    ("plan_editor.import_", "POST"): Access(frozenset({ORG, A}), 404),
    ("classrooms.index", "GET"): Access(CLASSROOMS, 200),
    ("classrooms.start", "POST"): Access(CLASSROOMS, 422),  # no name: refused by the form
    ("classrooms.session", "GET"): Access(CLASSROOMS, 404),
    ("classrooms.counts", "GET"): Access(CLASSROOMS, 404),
    ("classrooms.board", "GET"): Access(CLASSROOMS, 404),
    ("classrooms.end", "POST"): Access(CLASSROOMS, 404),
    # committees: committee pages and the organisers' overview (committees/views.py)
    ("committees.index", "GET"): Access(ALL, 200),  # each sees the committees they may
    ("committees.new", "GET"): Access(frozenset({ORG, A}), 200),
    ("committees.create", "POST"): Access(frozenset({ORG, A}), 422),  # no name: the form
    ("committees.overview", "GET"): Access(frozenset({ORG, A}), 200),
    ("committees.committee", "GET"): Access(ALL, 404),
    ("committees.edit", "GET"): Access(frozenset({ORG, A}), 404),
    ("committees.update", "POST"): Access(frozenset({ORG, A}), 404),
    ("committees.facilitators", "POST"): Access(frozenset({ORG, A}), 404),
    ("committees.lead", "POST"): Access(frozenset({ORG, A}), 404),
    ("committees.pause", "POST"): Access(frozenset({ORG, A}), 404),
    ("committees.close", "POST"): Access(frozenset({ORG, A}), 404),
    ("committees.reactivate", "POST"): Access(frozenset({ORG, A}), 404),
    # committees: the session recorder (committees/session_views.py)
    # Facilitators only (admins are not implied); an unknown committee or session is a 404.
    ("committee_sessions.start", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.start", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.session", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.prepare", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.prepare", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.pack", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.consent", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.consent", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.parts", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.save_part", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.new_statement", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.change_statement", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.change_statement", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.remove_statement", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.work", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.upload_photo", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.photo", "GET"): Access(frozenset({F, L, A}), 404),  # and reviewers
    ("committee_sessions.remove_photo", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.read_back", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.read_back", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.attest", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.attest", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.submit", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.withdraw", "POST"): Access(frozenset({F}), 404),
    ("committee_sessions.room_concern", "GET"): Access(frozenset({F}), 404),
    ("committee_sessions.room_concern", "POST"): Access(frozenset({F}), 404),
    # committees: review of committee input and the children's side (moderation, public_views)
    # reports: summaries, periods, settings
    ("reports.summary", "GET"): Access(frozenset({ORG, A}), 200),  # no plan yet: says so
    ("reports.periods", "GET"): Access(frozenset({ORG, A}), 200),
    ("reports.create", "POST"): Access(frozenset({ORG, A}), 422),  # no name: the form
    ("reports.close", "POST"): Access(frozenset({ORG, A}), 404),
    ("reports.settings", "GET"): Access(ADMINS, 200),
    ("reports.change_settings", "POST"): Access(ADMINS, 422),  # no number: the form
    # reports: charts and reading
    ("report_reading.ideas", "GET"): Access(frozenset({ORG, A}), 200),
    ("report_reading.mark_considered", "POST"): Access(frozenset({ORG, A}), 404),
    ("report_reading.unmark_considered", "POST"): Access(frozenset({ORG, A}), 404),
    ("report_charts.reactions", "GET"): Access(frozenset({ORG, A}), 404),  # no plan: 404
    # reports: exports and log
    ("report_exports.page", "GET"): Access(frozenset({ORG, A}), 200),
    ("report_exports.download", "POST"): Access(frozenset({ORG, A}), 422),  # no purpose: form
    ("report_exports.log", "GET"): Access(ADMINS, 200),  # admins only read the export log
    # answers: organisers
    ("answers.index", "GET"): Access(frozenset({ORG, A}), 200),
    ("answers.new", "GET"): Access(frozenset({ORG, A}), 404),  # no plan loaded here
    ("answers.create", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.reading_ease", "POST"): Access(frozenset({ORG, A}), 400),  # no language given
    ("answers.answer", "GET"): Access(frozenset({ORG, A}), 404),
    ("answers.edit", "GET"): Access(frozenset({ORG, A}), 404),
    ("answers.update", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.links", "GET"): Access(frozenset({ORG, A}), 404),
    ("answers.save_links", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.publish", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.approve", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.withdraw", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.add_update", "POST"): Access(frozenset({ORG, A}), 404),
    ("answers.approve_update", "POST"): Access(frozenset({ORG, A}), 404),
    # answers: children's side and letters
    # The committee's printable letter: that committee's facilitators only (a 403 for the
    # others, tested in tests/answers/test_children.py).
    ("answer_letters.letter", "GET"): Access(frozenset({F}), 404),
}
UNKNOWN_INT, UNKNOWN_ID = "999999", "0" * 32  # ids no object has
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def staff_routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) under /staff, logout last (it ends the session)."""
    found = [(rule, method) for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/staff") for method in METHODS
             if method in (rule.methods or set())]
    return sorted(found, key=lambda pair: (pair[0].endpoint == "accounts.logout",
                                           pair[0].rule, pair[1]))


def path_of(rule: Rule) -> str:
    path = re.sub(r"<int:[a-z_]+>", UNKNOWN_INT, rule.rule)
    return re.sub(r"<[a-z_]+>", UNKNOWN_ID, path)


def test_every_staff_route_and_method_is_in_the_matrix(app: Flask) -> None:
    assert {(rule.endpoint, method) for rule, method in staff_routes(app)} == set(MATRIX)


def answer(client: FlaskClient, rule: Rule, method: str, token: str) -> tuple[int, str]:
    path = path_of(rule)
    if method == "GET":
        response = client.get(path)
    else:
        # A valid token under every name a prefixed form may look for it; no other field, so
        # a form that is reached refuses the request as incomplete, never as forged.
        response = client.open(path, method=method, data={
            "csrf_token": token, f"user-{UNKNOWN_INT}-csrf_token": token,
            "email": "someone@example.org"})
    return response.status_code, response.headers.get("Location", "")


@pytest.mark.parametrize("role", [None, F, L, ORG, A], ids=lambda r: r.value if r else "anonymous")
def test_each_role_gets_the_expected_answer_on_every_route(app: Flask, role: Role | None) -> None:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if role is not None:
        account = make_staff(app, f"{role.value}@example.org", role)
        assert sign_in(client, account.email,
                       totp_secret=account.totp_secret).status_code == 302
        token = csrf_token(client, "/staff/")  # the sign-out form of every staff page
    else:
        token = csrf_token(client, "/staff/login")
    wrong = []
    for rule, method in staff_routes(app):
        access = MATRIX[(rule.endpoint, method)]
        status, location = answer(client, rule, method, token)
        if role is None:
            expected = access.anonymous
            if expected == 302 and access.roles is not PUBLIC:
                # Sent to sign in, and brought back afterwards.
                ok = status == 302 and location.startswith("/staff/login?next=")
            else:
                ok = status == expected
        else:
            expected = access.status if access.roles is PUBLIC or role in access.roles else 403
            ok = status == expected
        if not ok:
            wrong.append(f"{method} {rule.rule}: {status} (expected {expected})")
    assert wrong == [], "\n".join(wrong)


def test_a_refusal_is_the_staff_403_page_with_a_way_back(app: Flask) -> None:
    account = make_staff(app, "org@example.org", ORG)
    client = app.test_client()
    sign_in(client, account.email, totp_secret=account.totp_secret)
    response = client.post(f"/staff/items/{UNKNOWN_ID}/keep",
                           data={"csrf_token": csrf_token(client, "/staff/")})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You don't have access to this." in page and 'href="/staff/"' in page
    assert "data-idle-seconds" not in page
