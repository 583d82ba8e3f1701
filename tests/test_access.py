"""Every staff route refuses anonymous visitors and children: the URL map is walked, so a new
route cannot be forgotten."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from participation.auth import STAFF_ROUTE_MARK

PUBLIC_STAFF_ENDPOINTS = {"accounts.login", "accounts.code"}


def staff_rules(app: Flask) -> list[object]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")]


def test_every_staff_route_is_declared(app: Flask) -> None:
    rules = staff_rules(app)
    assert rules
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_STAFF_ENDPOINTS:
            continue
        assert hasattr(view, STAFF_ROUTE_MARK), f"{rule.rule} has no @staff_required"


@pytest.mark.parametrize("as_child", [False, True])
def test_staff_pages_refuse_anonymous_visitors_and_children(
    app: Flask, client: FlaskClient, as_child: bool
) -> None:
    if as_child:
        with client.session_transaction() as session:
            session["child"] = "a-child-token"
    for rule in staff_rules(app):
        if rule.endpoint in PUBLIC_STAFF_ENDPOINTS or "GET" not in rule.methods:
            continue
        path = rule.rule.replace("<int:", "<").split("<")[0] + ("1" if "<" in rule.rule else "")
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/login"), path
