"""Staff pages for committees themselves: list, create, edit, people, and organisers'
overview of committee input per part."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("committees", __name__, url_prefix="/staff/committees")
