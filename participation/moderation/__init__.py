"""Moderation: adults review every child submission; urgent items go to safeguarding leads."""
