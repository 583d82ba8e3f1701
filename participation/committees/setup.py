"""Wire the committees domain into the app: its three sets of pages and its listeners."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the committees' staff pages, the session recorder, the children's view of
    approved committee work, and what the domain listens to (review decisions)."""
    from participation.committees.public_views import init_app as init_public
    from participation.committees.review import init_app as init_review
    from participation.committees.session_views import bp as sessions_bp
    from participation.committees.views import bp as committees_bp

    app.register_blueprint(committees_bp)
    app.register_blueprint(sessions_bp)
    init_public(app)
    init_review(app)
