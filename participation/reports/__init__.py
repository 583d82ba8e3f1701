"""Organisers' reports: summaries, charts, consultation periods and their frozen snapshots, and
exports, every number protected by one suppression rule (reports/privacy.py)."""
