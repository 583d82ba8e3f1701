"""Extension objects, created unbound here and bound to the app in the factory."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from participation.db import db

babel = Babel()
csrf = CSRFProtect()
# Batch mode lets later migrations alter SQLite tables; compare_type catches column type changes.
migrate = Migrate(render_as_batch=True, compare_type=True)

__all__ = ["babel", "csrf", "db", "migrate"]
