"""Children's side of committee work: what an adult approved, shown apart from individual
children's ideas."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("committee_public", __name__)
