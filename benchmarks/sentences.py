"""Ideas a child might write (about 100 characters, English), varied, for load generators.

Plain words only (no quotes, no markup), so they travel unchanged through forms, JSON and HTML.
"""

from __future__ import annotations

import random

_WHO = (
    "Children in my school", "Kids who live far from town", "Young people like me",
    "Girls and boys in my class", "My little brother and his friends", "Children with a disability",
    "Kids in the city", "Children who just arrived here", "Teenagers in my street",
    "Everyone in my club",
)
_WANT = (
    "should be asked before adults decide about", "want to help choose", "need to hear more about",
    "should have a real say in", "would like a meeting about", "should be able to vote on",
    "want to understand", "need a safe place to talk about",
)
_WHAT = (
    "the new park", "how the money is spent", "the rules at school", "safe streets to walk home",
    "clean water in every school", "games and sport after class", "the bus to school",
    "the plan for the next five years", "help for kids who are sad", "the climate and the trees",
)
_WHY = (
    "because it is our future too.", "because we know what we need.",
    "so nobody feels left out.", "because adults forget what it is like to be a kid.",
    "and we could explain it to other children.", "and please tell us what you did with it.",
    "because right now nobody asks us.", "so it is fair for everyone.",
)
_SYLLABLES = ("ka", "lo", "mi", "zu", "ren", "ta", "vo", "pi", "sel", "dor", "na", "qui", "bex")


def child_sentence(rng: random.Random) -> str:
    """One idea of roughly 70 to 130 characters."""
    return f"{rng.choice(_WHO)} {rng.choice(_WANT)} {rng.choice(_WHAT)} {rng.choice(_WHY)}"


def tag_word(rng: random.Random) -> str:
    """A made-up word (about 30 bits of randomness); callers keep only unseen ones."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(8)).capitalize()


def sentences(count: int, seed: int = 7) -> list[str]:
    """``count`` ideas from a fixed seed (the same list on every run)."""
    rng = random.Random(seed)  # noqa: S311 - sample texts, not security
    return [child_sentence(rng) for _ in range(count)]
