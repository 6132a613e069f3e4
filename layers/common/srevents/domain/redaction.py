"""Keeping secrets out of error text: the one function every stored or logged upstream error goes through.

An upstream error can carry a secret whole (an exception that quotes a header value) or in part (a
SmartRecruiters 401 body `Invalid token: <the first 185 characters of the key>`). `redact` replaces every
run of the text that also occurs in a secret and is at least `MIN_ECHO` characters long, so neither the
secret nor a long enough piece of it survives; it runs before any truncation, so a cut cannot leave the
start of a secret behind the marker.

Why 8 characters: an API key or signature key is a long random string, and a piece of 8 characters of it
is already specific to that key (ordinary words of an error message almost never are), while 7 characters
or fewer of a random key tell an attacker little and would start masking everyday words that happen to
occur in a key. A secret shorter than 8 characters is redacted where it occurs whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MIN_ECHO = 8
MARK = "***"


def _forms(secret: str) -> set[str]:
    """The secret as text may quote it: as is, as Python's repr writes it, as JSON escapes it."""
    return {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every piece of a secret of at least MIN_ECHO characters (or a short secret whole)
    replaced by `***`. Pure; linear in the length of the text and of the secrets."""
    hidden = [False] * len(text)
    for secret in secrets:
        if not secret:
            continue
        for form in _forms(secret):
            width = min(MIN_ECHO, len(form))
            grams = {form[i : i + width] for i in range(len(form) - width + 1)}
            for start in range(len(text) - width + 1):
                if text[start : start + width] in grams:
                    hidden[start : start + width] = [True] * width
    if not any(hidden):
        return text
    out: list[str] = []
    for index, char in enumerate(text):
        if not hidden[index]:
            out.append(char)
        elif index == 0 or not hidden[index - 1]:
            out.append(MARK)
    return "".join(out)


def redact_and_cut(text: str, secrets: Iterable[str | None], limit: int = 500) -> str:
    """Redacted first, then cut to `limit` characters: what may be stored or logged."""
    safe = redact(text, secrets)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."
