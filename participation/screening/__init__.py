"""Screening: flags personal details, possible disclosures of harm and insults in children's texts.

It runs offline from per-language rules files in ``screening/data/`` that a safeguarding lead can
extend, and a learned model trained from the synthetic corpus in ``screening/corpus/``. It only
sets a level of worry, a review lane, flags and a suggested redaction: a human decides every item.
"""


def warm_up(locales: tuple[str, ...]) -> None:
    """Compile every locale's rules and read the model now (seconds of work), so no child's
    send waits for it and a broken rules or model file stops a worker at start-up. Gunicorn
    calls it as each worker starts (gunicorn.conf.py); building the app does not, so commands
    and tests start fast."""
    from participation.screening.model import load_model
    from participation.screening.rules import load_rules

    for locale in locales:
        load_rules(locale)
    load_model()
