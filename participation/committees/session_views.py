"""The facilitator's session recorder: prepare, consent, part by part, children's work,
read back, attest and submit (resumable at any step)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("committee_sessions", __name__, url_prefix="/staff/committee-sessions")
