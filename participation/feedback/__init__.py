"""Feedback: children's reactions and ideas on each part of the plan, kept pending until an
adult approves them, screened the moment they arrive, and withdrawable by the child."""
