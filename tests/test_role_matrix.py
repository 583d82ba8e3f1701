"""Every staff route x every role: the URL map is walked, so a new route cannot be forgotten.

Expected access is declared once here, per endpoint. Object-level rules (a facilitator and an
urgent item) are tested in tests/moderation.
"""

from __future__ import annotations

import pytest
from flask import Flask

from participation.accounts.models import Role
from tests.conftest import csrf_token, make_staff, sign_in

F, L, ORG, A = Role.FACILITATOR, Role.SAFEGUARDING_LEAD, Role.ORGANISER, Role.ADMIN
ALL = {F, L, ORG, A}
# GET endpoints under /staff and the roles that may open them.
EXPECTED = {
    "staff.home": ALL,
    "moderation.queues": {F, L, A},
    "moderation.bulk_preview": {F, L, A},
    "moderation.concerns": {L, A},
    "admin.accounts": {A},
    "admin.audit": {A},
    "plan_staff.readability": {ORG, A},
    "classrooms.index": {F, ORG, A},
}
WITH_OBJECTS = {"moderation.item", "moderation.concern",  # 404 or 403 by object; see moderation
                "classrooms.session", "classrooms.counts", "classrooms.board"}  # tests/classrooms
PUBLIC = {"accounts.login", "accounts.code"}
# Admin actions (POST): everyone else is refused before anything is read or changed.
ADMIN_POSTS = {
    "admin.invite": "/staff/admin/accounts",
    "admin.change_roles": "/staff/admin/accounts/{id}/roles",
    "admin.deactivate": "/staff/admin/accounts/{id}/deactivate",
    "admin.reset_totp": "/staff/admin/accounts/{id}/second-factor",
}


def test_every_get_route_is_in_the_matrix(app: Flask) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules()
                 if r.rule.startswith("/staff") and "GET" in (r.methods or set())}
    assert endpoints == set(EXPECTED) | WITH_OBJECTS | PUBLIC


def test_every_admin_action_is_in_the_matrix(app: Flask) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules()
                 if r.endpoint.startswith("admin.") and "POST" in (r.methods or set())}
    assert endpoints == set(ADMIN_POSTS)


@pytest.mark.parametrize("role", [F, L, ORG, A])
def test_each_role_reaches_only_its_pages(app: Flask, role: Role) -> None:
    account = make_staff(app, f"{role.value}@example.org", role)
    target = make_staff(app, "someone@example.org", F, with_totp=False)
    client = app.test_client()
    assert sign_in(client, f"{role.value}@example.org",
                   totp_secret=account.totp_secret).status_code == 302
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in EXPECTED:
            continue
        status = client.get(rule.rule).status_code
        expected = 200 if role in EXPECTED[rule.endpoint] else 403
        assert status == expected, (role, rule.rule, status)
    # Object routes: the role check comes first (403); then an unknown id is a 404.
    concern = client.get("/staff/concerns/999999").status_code
    assert concern == (404 if role in {L, A} else 403)
    item = client.get("/staff/items/" + "0" * 32).status_code
    assert item == (404 if role in {F, L, A} else 403)
    for suffix in ("", "/counts", "/board"):
        classroom = client.get(f"/staff/classrooms/999999{suffix}").status_code
        assert classroom == (404 if role in {F, ORG, A} else 403), suffix
    if role is A:
        return
    token = csrf_token(client, "/staff/")
    for endpoint, path in ADMIN_POSTS.items():
        response = client.post(path.format(id=target.id), data={
            "csrf_token": token, "email": "x@example.org", "roles": ["admin"],
            f"user-{target.id}-csrf_token": token, f"user-{target.id}-roles": ["admin"]})
        assert response.status_code == 403, (role, endpoint)
