"""Classroom sessions: a facilitator's short code lets a whole class take part from one school
network, limited per child and per session instead of per address, with live counts only."""
