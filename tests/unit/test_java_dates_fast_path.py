"""java_dates' fast path and its general parser give the same answer on every input.

`JavaDateFormat.parse` first tries `_FastForm` (one regex, for patterns made only of fixed-width numbers and
literals, such as SmartRecruiters' `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`) and falls back to the general parser
(`_parse_fields`) whenever the regex does not match or the values do not make a time. The shortcut is only
correct if it never answers differently from the general parser, so: generate the patterns the fast path
accepts, format instants with them, disturb the text, and compare both parsers' results and errors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srevents.domain.java_dates import JavaDateFormat, compile_pattern

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
# Zones with daylight-saving gaps and overlaps (a 30-minute one on Lord Howe), a half-hour offset, and GMT.
ZONES = ["GMT", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "GMT-03:30"]
# The fast path's letters and the letter counts it takes (`yy` is not one: two-digit years depend on `now`).
COUNTS = {
    "y": (3, 4, 5),
    "M": (1, 2),
    "L": (1, 2),
    "d": (1, 2, 3),
    "H": (1, 2, 3),
    "m": (1, 2),
    "s": (1, 2),
    "S": (1, 3, 4),
}
# Literals between fields: none (adjacent numbers obey their widths), separators, blanks (which the general
# parser skips before a field), quoted letters, a doubled quote, and an Arabic-Indic three (a digit to
# str.isdigit, not to either parser). Never an ASCII digit: the fast path refuses those.
LITERALS = ["", "", "-", ":", ".", " ", "  ", "\t", "/", ", ", "'T'", "'Z'", "' at '", "''", "_", "+", "٣"]

instants = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))


@st.composite
def fast_patterns(draw: st.DrawFn) -> str:
    """A pattern the fast path takes: each of some of y M/L d H m s S once, in any order, between literals."""
    letters = draw(st.permutations([*"ydHmsS", draw(st.sampled_from("ML"))]))
    chosen = letters[: draw(st.integers(min_value=1, max_value=len(letters)))]
    parts = [draw(st.sampled_from(LITERALS))]
    for letter in chosen:
        parts.append(letter * draw(st.sampled_from(COUNTS[letter])))
        parts.append(draw(st.sampled_from(LITERALS)))
    return "".join(parts)


def disturbed(text: str, data: st.DataObject) -> str:
    """The text as written, or with digits changed, one character dropped or one added: malformed input."""
    how = data.draw(st.sampled_from(["as is", "digits", "drop", "add"]))
    if how == "digits":
        return "".join(data.draw(st.sampled_from("0123456789")) if c.isdigit() else c for c in text)
    if how in ("drop", "add") and text:
        at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
        added = data.draw(st.sampled_from(["0", "9", " ", "-", "x"])) if how == "add" else ""
        return text[:at] + added + text[at + (how == "drop") :]
    return text


def outcome(parse: Callable[[], datetime]) -> tuple[str, object]:
    try:
        return "parsed", parse()
    except ValueError as error:
        return "refused", str(error)


def assert_agree(compiled: JavaDateFormat, text: str, tz: str) -> None:
    both = outcome(lambda: compiled.parse(text, tz, now=NOW))
    general = outcome(lambda: compiled._parse_fields(text, tz, NOW, False))
    assert both == general, (compiled.pattern, text, tz)


@settings(max_examples=600, deadline=None)
@given(pattern=fast_patterns(), when=instants, tz=st.sampled_from(ZONES), data=st.data())
def test_the_fast_path_and_the_general_parser_agree(pattern: str, when: datetime, tz: str, data: st.DataObject) -> None:
    compiled = compile_pattern(pattern)
    assert compiled._fast is not None, pattern  # the generator makes only patterns the fast path takes
    try:
        text = compiled.format(when, tz)
    except ValueError:  # within hours of year 1 or 9999 in this zone
        return
    assert_agree(compiled, text, tz)
    assert_agree(compiled, disturbed(text, data), tz)


@pytest.mark.parametrize(
    ("pattern", "text", "tz"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2026-11-29T10:00:01.300Z", "GMT"),  # SmartRecruiters' own
        ("yyyyMMddHHmmssSSS", "20261129100001300", "Europe/Paris"),
        ("yyyy-MM-dd HH:mm", "2026-03-29 02:30", "Europe/Paris"),  # in the daylight-saving gap: refused
        ("yyyy-MM-dd HH:mm", "2026-10-25 02:30", "Europe/Paris"),  # in the overlap: the earlier instant
        ("yyyy-MM-dd", "2026-11-31", "GMT"),  # no such date
        ("yyyy-MM-dd", "0000-01-01", "GMT"),  # no year 0
        ("HH:mm:ss.SSSS", "10:00:01.1000", "GMT"),  # a millisecond count above 999
        ("HH:mm", "24:00", "GMT"),
        ("yyy", "999", "GMT"),  # three y: the year as written, never a two-digit year
        ("dd.MM.yyyy", "29.11.2026 ", "GMT"),  # trailing text: the regex does not match, the error is the same
    ],
)
def test_known_edges_agree(pattern: str, text: str, tz: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled._fast is not None
    assert_agree(compiled, text, tz)


# The agreement above would hold trivially if the fast path never answered. It answers about a third of the
# formatted texts there (the others have a field wider than its letters, `d` for the 15th); with the widths
# every value fills (yyyy MM dd HH mm ss SSS) it must answer every time, with the instant formatted.
FULL_WIDTHS = {"y": 4, "M": 2, "L": 2, "d": 2, "H": 2, "m": 2, "s": 2, "S": 3}


@st.composite
def full_width_patterns(draw: st.DrawFn) -> str:
    letters = draw(st.permutations([*"ydHmsS", draw(st.sampled_from("ML"))]))
    separators = [draw(st.sampled_from(LITERALS)) for _ in range(len(letters) + 1)]
    return separators[0] + "".join(
        FULL_WIDTHS[letter] * letter + sep for letter, sep in zip(letters, separators[1:], strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(
    pattern=full_width_patterns(),
    when=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
    tz=st.sampled_from(ZONES),
)
def test_the_fast_path_answers_text_in_the_patterns_own_widths(pattern: str, when: datetime, tz: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled._fast is not None
    millis = when.replace(microsecond=when.microsecond // 1000 * 1000)
    assert compiled._fast.parse(compiled.format(when, tz), tz) == millis
