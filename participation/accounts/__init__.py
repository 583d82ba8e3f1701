"""Accounts: staff members, their roles, passphrases and second factor."""
