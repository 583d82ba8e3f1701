"""Screening: flags personal details, possible disclosures of harm and insults in children's texts.

It runs offline from per-language data files in ``screening/data/`` that a safeguarding lead can
extend. It only sets priority, flags and a suggested redaction: a human decides every item.
"""


def warm_up(locales: tuple[str, ...]) -> None:
    """Compile every locale's rules now (seconds of work), so no child's send waits for it and a
    broken rules file stops a worker at start-up. Gunicorn calls it as each worker starts
    (gunicorn.conf.py); building the app does not, so commands and tests start fast."""
    from participation.screening.rules import load_rules

    for locale in locales:
        load_rules(locale)
