"""Every staff route x every role: the URL map is walked, so a new route cannot be forgotten.

Expected access is declared once here, per endpoint. Object-level rules (a facilitator and an
urgent item) are tested in tests/moderation.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.db import db

PASSPHRASE = "a long and calm passphrase"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
F, L, ORG, A = Role.FACILITATOR, Role.SAFEGUARDING_LEAD, Role.ORGANISER, Role.ADMIN
ALL = {F, L, ORG, A}
# GET endpoints under /staff and the roles that may open them.
EXPECTED = {
    "accounts.home": ALL,
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


def test_every_get_route_is_in_the_matrix(app: Flask) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules()
                 if r.rule.startswith("/staff") and "GET" in (r.methods or set())}
    assert endpoints == set(EXPECTED) | WITH_OBJECTS | PUBLIC


@pytest.mark.parametrize("role", [F, L, ORG, A])
def test_each_role_reaches_only_its_pages(app: Flask, role: Role,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "STAFF_TOTP_REQUIRED", False)
    with app.app_context():
        create_user(f"{role.value}@example.org", PASSPHRASE, [role], actor_id=None,
                    with_totp=False)
        db.session.commit()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client.post("/staff/login", data={"csrf_token": token, "email": f"{role.value}@example.org",
                                      "passphrase": PASSPHRASE})
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
