"""How review decisions move a committee session on (submitted -> in review -> accepted)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Listen to review decisions on committee submissions."""
