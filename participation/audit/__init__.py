"""Audit: an append-only record of who did what, when; never a child's words or a secret."""
