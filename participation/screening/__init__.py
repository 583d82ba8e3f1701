"""Screening: flags personal details, possible disclosures of harm and insults in children's texts.

It runs offline from per-language data files in ``screening/data/`` that a safeguarding lead can
extend. It only sets priority, flags and a suggested redaction: a human decides every item.
"""
