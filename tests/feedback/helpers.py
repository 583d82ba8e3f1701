"""A child at a tablet, over HTTP: reads pages, reacts and sends ideas like the browser would."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')


class Child:
    def __init__(self, client: FlaskClient, locale: str = "en") -> None:
        self.client = client
        # What a browser says of a request made by a page of the same site.
        client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
        self.locale = locale
        self.page = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, **kwargs)
        self.page = response.get_data(as_text=True)
        return response

    def open_part(self, slug: str) -> TestResponse:
        return self.get(f"/{self.locale}/plan/{slug}")

    @property
    def csrf(self) -> str:
        match = CSRF_RE.search(self.page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    @property
    def key(self) -> str:
        match = KEY_RE.search(self.page)
        assert match, "no idempotency key on the page"
        return match.group(1)

    def react(self, slug: str, kind: str) -> TestResponse:
        self.open_part(slug)
        return self.client.post(
            f"/{self.locale}/plan/{slug}/reaction", data={"csrf_token": self.csrf, "reaction": kind}
        )

    def send(self, slug: str | None, text: str, *, age_band: str | None = None,
             key: str | None = None, csrf: str | None = None) -> TestResponse:
        """Open the page with the form, then press Send (as a browser would)."""
        if slug is None:
            self.get(f"/{self.locale}/missing")
            url = f"/{self.locale}/missing"
        else:
            self.open_part(slug)
            url = f"/{self.locale}/plan/{slug}/ideas"
        data = {"csrf_token": csrf if csrf is not None else self.csrf,
                "idempotency_key": key or self.key, "body": text}
        if age_band is not None:
            data["age_band"] = age_band
        response = self.client.post(url, data=data)
        self.page = response.get_data(as_text=True)
        return response

    def sent_id(self, response: TestResponse) -> str:
        match = re.search(r"/ideas/([0-9a-f]{32})/sent$", response.headers.get("Location", ""))
        assert match, response.status
        return match.group(1)
