"""java_dates: Java SimpleDateFormat patterns, checked against what Java itself prints.

The expected strings are Java's (`new SimpleDateFormat(pattern, Locale.US)` with `setTimeZone(...)`),
including the examples from the SimpleDateFormat javadoc (2001-07-04 12:08:56.235 in America/Los_Angeles).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srevents.clock import iso_millis
from srevents.domain.java_dates import (
    JavaDateFormat,
    JavaDatePatternError,
    compile_pattern,
    resolve_timezone,
)

SEED_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
WHEN = datetime(2026, 11, 29, 10, 0, 1, 500_000, tzinfo=UTC)  # a Sunday
JAVADOC = datetime(2001, 7, 4, 19, 8, 56, 235_000, tzinfo=UTC)  # 12:08:56.235 PDT
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def fmt(pattern: str, when: datetime = WHEN, tz: str = "GMT") -> str:
    return compile_pattern(pattern).format(when, tz)


def parse(pattern: str, text: str, tz: str | tzinfo = "GMT", **kwargs: Any) -> datetime:
    return compile_pattern(pattern).parse(text, tz, **kwargs)


# ------------------------------------------------------------------------------------------------ format


@pytest.mark.parametrize(
    ("pattern", "tz", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "GMT", "2026-11-29T10:00:01.500Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "America/New_York", "2026-11-29T05:00:01.500-05:00"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "Asia/Kolkata", "2026-11-29T15:30:01.500+05:30"),
        (SEED_PATTERN, "GMT", "2026-11-29T10:00:01.500Z"),
        ("EEE, dd MMM yyyy HH:mm:ss z", "GMT", "Sun, 29 Nov 2026 10:00:01 GMT"),
        ("EEE, dd MMM yyyy HH:mm:ss z", "UTC", "Sun, 29 Nov 2026 10:00:01 UTC"),
        ("EEE, dd MMM yyyy HH:mm:ss z", "America/New_York", "Sun, 29 Nov 2026 05:00:01 EST"),
        ("EEEE, MMMM d, yyyy", "GMT", "Sunday, November 29, 2026"),
        ("yyyyMMddHHmmss", "GMT", "20261129100001"),
        ("dd/MM/yy hh:mm a", "GMT", "29/11/26 10:00 AM"),
        ("dd/MM/yy hh:mm a", "America/Los_Angeles", "29/11/26 02:00 AM"),
        ("Z", "GMT", "+0000"),
        ("Z", "America/New_York", "-0500"),
        ("Z", "Asia/Kolkata", "+0530"),
        ("X", "GMT", "Z"),
        ("XX", "GMT", "Z"),
        ("XXX", "GMT", "Z"),
        ("X", "Asia/Kolkata", "+05"),
        ("XX", "Asia/Kolkata", "+0530"),
        ("XXX", "Europe/Paris", "+01:00"),
        ("z", "Europe/Paris", "CET"),
        ("zzzz", "GMT", "Greenwich Mean Time"),
        ("zzzz", "America/New_York", "Eastern Standard Time"),
        ("z", "GMT+02:00", "GMT+02:00"),
        ("z", "GMT-5", "GMT-05:00"),
        ("D DDD", "GMT", "333 333"),
        ("y yy yyy yyyy yyyyy", "GMT", "2026 26 2026 2026 02026"),
        ("M MM MMM MMMM", "GMT", "11 11 Nov November"),
        ("LLL", "GMT", "Nov"),
        ("E EE EEE EEEE u", "GMT", "Sun Sun Sun Sunday 7"),
        ("H k K h a", "GMT", "10 10 10 10 AM"),
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "GMT", "2026-11-29T10:00:01Z"),
        ("'It''s' h 'o''clock'", "GMT", "It's 10 o'clock"),
        ("''yy", "GMT", "'26"),
        ("yyyy/MM/dd é", "GMT", "2026/11/29 é"),  # non-ASCII letters are literals in Java
    ],
)
def test_format_matches_java(pattern: str, tz: str, expected: str) -> None:
    assert fmt(pattern, WHEN, tz) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [  # the javadoc's own table (the ones using letters we support)
        ("EEE, MMM d, ''yy", "Wed, Jul 4, '01"),
        ("h:mm a", "12:08 PM"),
        ("hh 'o''clock' a, zzzz", "12 o'clock PM, Pacific Daylight Time"),
        ("K:mm a, z", "0:08 PM, PDT"),
        ("EEE, d MMM yyyy HH:mm:ss Z", "Wed, 4 Jul 2001 12:08:56 -0700"),
        ("yyMMddHHmmssZ", "010704120856-0700"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2001-07-04T12:08:56.235-0700"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2001-07-04T12:08:56.235-07:00"),
    ],
)
def test_format_matches_the_javadoc_examples(pattern: str, expected: str) -> None:
    assert fmt(pattern, JAVADOC, "America/Los_Angeles") == expected


@pytest.mark.parametrize(
    ("millis", "expected"),
    [(5, "5 05 005 0005"), (50, "50 50 050 0050"), (500, "500 500 500 0500"), (0, "0 00 000 0000")],
)
def test_S_is_a_millisecond_count_as_in_java(millis: int, expected: str) -> None:
    when = WHEN.replace(microsecond=millis * 1000 + 999)  # microseconds beyond the millisecond are dropped
    assert fmt("S SS SSS SSSS", when) == expected


@pytest.mark.parametrize(
    ("hour", "expected"),
    [(0, "0 24 0 12 AM"), (11, "11 11 11 11 AM"), (12, "12 12 0 12 PM"), (23, "23 23 11 11 PM")],
)
def test_the_four_hour_letters(hour: int, expected: str) -> None:
    assert fmt("H k K h a", WHEN.replace(hour=hour)) == expected


def test_day_of_year_pads_to_the_letter_count() -> None:
    assert fmt("D DD DDD", datetime(2026, 1, 5, tzinfo=UTC)) == "5 05 005"


def test_format_converts_to_the_zone_including_daylight_saving() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert fmt("HH:mm z XXX", summer, "America/New_York") == "08:00 EDT -04:00"
    assert fmt("HH:mm z XXX", summer, "Europe/Paris") == "14:00 CEST +02:00"
    assert fmt("zzzz", summer, "Europe/Paris") == "Central European Summer Time"


def test_zones_without_a_name_are_written_as_gmt_offsets() -> None:
    assert fmt("z", WHEN, "Europe/Istanbul") == "GMT+03:00"  # tzdata says "+03"; Java says GMT+03:00
    assert compile_pattern("z").format(WHEN, timezone(timedelta(hours=-3, minutes=-30))) == "GMT-03:30"


def test_format_accepts_a_tzinfo_and_any_aware_datetime() -> None:
    paris_time = WHEN.astimezone(resolve_timezone("Europe/Paris"))
    assert compile_pattern(SEED_PATTERN).format(paris_time) == "2026-11-29T10:00:01.500Z"
    assert compile_pattern("HH:mm").format(WHEN, timezone(timedelta(hours=2))) == "12:00"


def test_format_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        compile_pattern("yyyy").format(datetime.min.replace(tzinfo=UTC), "America/New_York")


def test_format_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        compile_pattern(SEED_PATTERN).format(datetime(2026, 11, 29, 10, 0))


def test_seed_pattern_formats_like_iso_millis() -> None:
    assert fmt(SEED_PATTERN, WHEN) == iso_millis(WHEN)


# -------------------------------------------------------------------------------------------------- parse


def test_parses_what_smartrecruiters_sends_with_the_seed_pattern() -> None:
    parsed = parse(SEED_PATTERN, "2021-10-16T21:13:09.300Z")
    assert parsed == datetime(2021, 10, 16, 21, 13, 9, 300_000, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_tz_applies_when_the_text_has_no_zone() -> None:
    pattern = "yyyy-MM-dd HH:mm:ss"
    in_new_york = parse(pattern, "2026-11-29 05:00:01", "America/New_York")
    assert in_new_york == datetime(2026, 11, 29, 10, 0, 1, tzinfo=UTC)
    assert parse(pattern, "2026-07-01 14:00:00", "Europe/Paris") == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert parse(pattern, "2026-11-29 12:00:00", timezone(timedelta(hours=2))) == datetime(
        2026, 11, 29, 10, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2001-07-04T12:08:56.235-07:00"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXX", "2001-07-04T12:08:56.235-0700"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSX", "2001-07-04T12:08:56.235-07"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2001-07-04T12:08:56.235-0700"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS z", "2001-07-04T12:08:56.235 PDT"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS z", "2001-07-04T12:08:56.235 GMT-07:00"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS z", "2001-07-04T12:08:56.235 GMT-7:00"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS z", "2001-07-04T12:08:56.235 Pacific Daylight Time"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS Z", "2001-07-04T12:08:56.235 pdt"),
        ("EEE, d MMM yyyy HH:mm:ss.SSS Z", "Wed, 4 Jul 2001 12:08:56.235 -0700"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2001-07-04T19:08:56.235Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2001-07-04T19:08:56.235Z"),  # leniency: Java rejects Z here
        ("yyyy-MM-dd'T'HH:mm:ss.SSS z", "2001-07-04T19:08:56.235 UTC"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS z", "2001-07-04T19:08:56.235 GMT"),
    ],
)
def test_a_zone_in_the_text_wins_over_tz(pattern: str, text: str) -> None:
    assert parse(pattern, text, "Asia/Tokyo") == JAVADOC


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("yyyy-MM-dd'T'HH:mm:ssXXX", "2001-07-04T12:08:56-0700"),  # XXX wants the colon
        ("yyyy-MM-dd'T'HH:mm:ssXX", "2001-07-04T12:08:56-07:00"),  # XX wants none
        ("yyyy-MM-dd'T'HH:mm:ssX", "2001-07-04T12:08:56-0700"),  # X is hours only; 00 is left over
        ("yyyy-MM-dd'T'HH:mm:ssX", "2001-07-04T12:08:56z"),  # only an upper-case Z
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2001-07-04T12:08:56-07:00"),  # RFC 822 has no colon
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2001-07-04T12:08:56+2400"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2001-07-04T12:08:56 Mars Time"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2001-07-04T12:08:56GMT+07"),  # GMT offsets need :mm
    ],
)
def test_zone_forms_are_strict(pattern: str, text: str) -> None:
    with pytest.raises(ValueError, match="does not match date pattern"):
        parse(pattern, text)


def test_S_parses_as_a_millisecond_count_as_in_java() -> None:
    base = datetime(2026, 11, 29, 10, 0, 1, tzinfo=UTC)
    pattern = "yyyy-MM-dd HH:mm:ss.SSS"
    assert parse(pattern, "2026-11-29 10:00:01.300") == base + timedelta(milliseconds=300)
    assert parse(pattern, "2026-11-29 10:00:01.5") == base + timedelta(milliseconds=5)  # Java: 5 ms, not 500
    assert parse(pattern, "2026-11-29 10:00:01.050") == base + timedelta(milliseconds=50)
    assert parse("yyyy-MM-dd HH:mm:ss.S", "2026-11-29 10:00:01.999") == base + timedelta(milliseconds=999)
    with pytest.raises(ValueError, match="millisecond"):
        parse(pattern, "2026-11-29 10:00:01.300123")  # lenient Java would add 300 s


def test_abutting_numeric_fields_read_their_widths() -> None:
    assert parse("yyyyMMddHHmmss", "20261129100001") == datetime(2026, 11, 29, 10, 0, 1, tzinfo=UTC)
    assert parse("yyyyMMddHHmmssSSS", "20261129100001500") == WHEN
    assert parse("yyMMddHHmmssZ", "010704120856-0700", now=NOW) == JAVADOC.replace(microsecond=0)


def test_non_abutting_fields_read_every_digit() -> None:
    assert parse("d/M/yyyy", "5/1/2026") == datetime(2026, 1, 5, tzinfo=UTC)
    assert parse("dd/MM/yyyy", "5/1/2026") == datetime(2026, 1, 5, tzinfo=UTC)  # the count does not matter
    assert parse("dd/MM/yy", "29/11/2026", now=NOW) == datetime(2026, 11, 29, tzinfo=UTC)  # 4 digits: literal


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("15/06/26", 2026),
        ("15/06/45", 2045),
        ("15/06/47", 1947),
        ("15/06/99", 1999),
        ("15/06/00", 2000),
        ("01/01/46", 2046),  # 46 is the pivot: before 1946-11-29 10:00 it means 2046...
        ("30/12/46", 1946),  # ...after it, 1946
    ],
)
def test_two_digit_years_land_in_the_century_starting_80_years_ago(text: str, year: int) -> None:
    assert parse("dd/MM/yy", text, now=NOW).year == year


def test_names_are_case_insensitive_and_both_lengths_are_accepted() -> None:
    expected = datetime(2026, 11, 29, tzinfo=UTC)
    assert parse("dd MMM yyyy", "29 nov 2026") == expected
    assert parse("dd MMM yyyy", "29 November 2026") == expected
    assert parse("dd MMMM yyyy", "29 NOV 2026") == expected
    assert parse("EEEE dd MMM yyyy", "sun 29 Nov 2026") == expected
    rfc_1123 = parse("EEE, dd MMM yyyy HH:mm:ss z", "Sun, 29 Nov 2026 10:00:01 GMT")
    assert rfc_1123 == WHEN.replace(microsecond=0)


def test_hours_am_pm_and_the_other_fields() -> None:
    day = datetime(2026, 11, 29, tzinfo=UTC)
    assert parse("dd/MM/yyyy hh:mm a", "29/11/2026 12:05 AM") == day + timedelta(minutes=5)
    assert parse("dd/MM/yyyy hh:mm a", "29/11/2026 12:05 PM") == day + timedelta(hours=12, minutes=5)
    assert parse("dd/MM/yyyy hh:mm a", "29/11/2026 10:05 pm") == day + timedelta(hours=22, minutes=5)
    assert parse("dd/MM/yyyy kk:mm", "29/11/2026 24:00") == day
    assert parse("dd/MM/yyyy K:mm a", "29/11/2026 0:08 PM") == day + timedelta(hours=12, minutes=8)
    assert parse("yyyy-DDD", "2026-333") == day
    assert parse("yyyy-MM-dd u", "2026-11-29 7") == day
    assert parse("HH:mm", "10:00") == datetime(1970, 1, 1, 10, 0, tzinfo=UTC)  # Java's defaults


def test_blanks_before_a_field_are_skipped_as_in_java() -> None:
    assert parse("d MMM yyyy", " 5  Nov 2026") == datetime(2026, 11, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "text", "why"),
    [
        (SEED_PATTERN, "", "ends too early"),
        (SEED_PATTERN, "garbage", "expected a number"),
        (SEED_PATTERN, "2021-10-16", "ends too early"),
        (SEED_PATTERN, "2021-10-16T21:13:09Z", "expected '.'"),
        (SEED_PATTERN, "2021-10-16T21:13:09.300+00:00", "expected 'Z'"),
        (SEED_PATTERN, "2021-10-16T21:13:09.300Z trailing", "after the date"),
        (SEED_PATTERN, "2021-13-16T21:13:09.300Z", "month 13"),
        (SEED_PATTERN, "2021-10-16T24:13:09.300Z", "hour"),
        (SEED_PATTERN, "2021-10-16T21:60:09.300Z", "minute 60"),
        (SEED_PATTERN, "2021-10-16T21:13:60.300Z", "second 60"),
        (SEED_PATTERN, "2026-02-29T21:13:09.300Z", "not a date"),
        (SEED_PATTERN, "2026-11-31T21:13:09.300Z", "not a date"),
        (SEED_PATTERN, "0000-01-01T00:00:00.000Z", "out of range"),
        (SEED_PATTERN, "20261-01-01T00:00:00.000Z", "out of range"),
        ("yyyy-MM-dd'T'HH:mmXXX", "0001-01-01T00:00+05:00", "out of range"),
        (SEED_PATTERN, "２０２６-11-29T10:00:01.500Z", "expected a number"),
        ("EEE, dd MMM yyyy", "Mon, 29 Nov 2026", "Sunday, not a Monday"),
        ("dd MMM yyyy", "29 Nvember 2026", "month name"),
        ("HH:mm a", "13:00 AM", "disagrees"),
        ("yyyy-MM-dd HH:mm", "2026-03-08 02:30", "does not exist"),
    ],
)
def test_garbage_is_rejected_naming_text_and_pattern(pattern: str, text: str, why: str) -> None:
    tz = "America/New_York" if "02:30" in text else "GMT"
    with pytest.raises(ValueError, match="does not match date pattern") as caught:
        parse(pattern, text, tz)
    message = str(caught.value)
    assert repr(text) in message
    assert pattern in message
    assert why in message
    assert not isinstance(caught.value, JavaDatePatternError)


def test_partial_ignores_trailing_text_like_java_dateformat_parse() -> None:
    assert parse("yyyy-MM-dd", "2021-10-16T21:13:09.300Z", partial=True) == datetime(2021, 10, 16, tzinfo=UTC)


def test_an_ambiguous_local_time_is_the_earlier_instant() -> None:
    # 2026-11-01 01:30 happens twice in New York: first as EDT (05:30Z), then as EST (06:30Z).
    twice = parse("yyyy-MM-dd HH:mm", "2026-11-01 01:30", "America/New_York")
    assert twice == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_parse_with_an_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Mars/Base"):
        parse("yyyy-MM-dd", "2026-11-29", "Mars/Base")


# ------------------------------------------------------------------------------------------ pattern errors


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSq", "'q' at position 25"),
        ("b", "'b' at position 0"),
        ("yyyy-MM-ddTHH:mm:ss", "'T' at position 10"),  # the classic: an unquoted T
        ("yyyy'T", "unterminated quote at position 4"),
        ("'abc''", "unterminated quote at position 0"),
        ("", "empty"),
        ("YYYY-MM-dd", "did you mean 'y'"),
        ("yyyy-'W'ww", "'w' at position 8"),
        ("yyyy G", "'G'"),
        ("F", "'F'"),
        ("W", "'W'"),
        ("HH:mm XXXX", "XXXX at position 6"),
    ],
)
def test_unusable_patterns_raise_the_pattern_error(pattern: str, fragment: str) -> None:
    with pytest.raises(JavaDatePatternError) as caught:
        compile_pattern(pattern)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_quoted_letters_and_doubled_quotes_are_literals() -> None:
    assert fmt("'Z'") == "Z"
    assert fmt("''") == "'"
    assert fmt("'yyyy'") == "yyyy"
    assert fmt("'q' - 'b'") == "q - b"


def test_compile_pattern_is_cached_and_formats_compare_by_pattern() -> None:
    assert compile_pattern(SEED_PATTERN) is compile_pattern(SEED_PATTERN)
    assert JavaDateFormat(SEED_PATTERN) == compile_pattern(SEED_PATTERN)
    assert compile_pattern(SEED_PATTERN).pattern == SEED_PATTERN
    assert not compile_pattern(SEED_PATTERN).has_zone
    assert compile_pattern("yyyy-MM-dd'T'HH:mm:ssXXX").has_zone
    with pytest.raises(AttributeError):
        compile_pattern(SEED_PATTERN).pattern = "y"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------- zones


@pytest.mark.parametrize(
    ("name", "offset_hours"),
    [
        ("GMT", 0),
        ("UTC", 0),
        ("Z", 0),
        ("gmt", 0),
        ("America/New_York", -5),
        ("Europe/Paris", 1),
        ("Asia/Kolkata", 5.5),
        ("GMT+02:00", 2),
        ("GMT-5", -5),
        ("GMT+0530", 5.5),
        ("GMT+2:00", 2),
        ("+02:00", 2),
        ("-03:30", -3.5),
        ("UTC+1", 1),
        ("PST", -8),  # Java's legacy ID: America/Los_Angeles
        ("CST", -6),  # America/Chicago
        ("IST", 5.5),  # Asia/Kolkata, as Java reads it
        ("EST", -5),
    ],
)
def test_resolve_timezone_knows_java_ids(name: str, offset_hours: float) -> None:
    zone = resolve_timezone(name)
    assert WHEN.astimezone(zone).utcoffset() == timedelta(hours=offset_hours)


def test_java_fixed_ids_ignore_daylight_saving() -> None:
    summer = datetime(2026, 7, 1, tzinfo=UTC)
    assert summer.astimezone(resolve_timezone("EST")).utcoffset() == timedelta(hours=-5)
    assert summer.astimezone(resolve_timezone("PST")).utcoffset() == timedelta(hours=-7)  # a real zone


def test_gmt_is_named_gmt_and_utc_is_named_utc() -> None:
    assert WHEN.astimezone(resolve_timezone("GMT")).tzname() == "GMT"
    assert WHEN.astimezone(resolve_timezone("UTC")).tzname() == "UTC"


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "  ", "America", "../etc/passwd", "GMT+25", "GMT+02:60", "Eastern", "GMT+"]
)
def test_unknown_zones_raise_a_clear_value_error(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        resolve_timezone(name)
    assert repr(name) in str(caught.value)


# ------------------------------------------------------------------------------------------- properties

instants = st.datetimes(
    min_value=datetime(1970, 1, 1),  # hypothesis wants naive bounds
    max_value=datetime(2100, 12, 31),
    timezones=st.just(UTC),
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))

ZONED_PATTERNS = [
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    "yyyyMMddHHmmssSSSXX",
    "EEE, dd MMM yyyy HH:mm:ss.SSS Z",
    "EEEE d MMMM yyyy hh:mm:ss.SSS a XXX",
    "D yyyy kk:mm:ss.SSS XXX",
]
ZONELESS_PATTERNS = [SEED_PATTERN, "yyyyMMddHHmmssSSS", "dd/MM/yyyy HH:mm:ss.SSS", "MMM d yyyy h:mm:ss.SSS a"]
ZONES = ["GMT", "UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata", "Australia/Sydney", "GMT-03:30"]


@settings(max_examples=300)
@given(when=instants, pattern=st.sampled_from(ZONED_PATTERNS), tz=st.sampled_from(ZONES))
def test_round_trip_with_a_zone_in_the_text(when: datetime, pattern: str, tz: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled.parse(compiled.format(when, tz), "Asia/Tokyo") == when


@settings(max_examples=300)
@given(
    when=instants,
    pattern=st.sampled_from(ZONELESS_PATTERNS),
    tz=st.sampled_from(["GMT", "GMT+05:30", "-08:00"]),
)
def test_round_trip_without_a_zone_in_the_text(when: datetime, pattern: str, tz: str) -> None:
    compiled = compile_pattern(pattern)
    assert compiled.parse(compiled.format(when, tz), tz) == when


@settings(max_examples=300)
@given(when=instants, tz=st.sampled_from(["GMT", "UTC"]))
def test_the_z_name_round_trips(when: datetime, tz: str) -> None:
    compiled = compile_pattern("yyyy-MM-dd HH:mm:ss.SSS z")
    assert compiled.parse(compiled.format(when, tz), "Europe/Paris") == when


@given(when=instants)
def test_seed_pattern_reads_smartrecruiters_timestamps(when: datetime) -> None:
    assert compile_pattern(SEED_PATTERN).parse(iso_millis(when)) == when


@given(text=st.text(max_size=40))
def test_parse_only_ever_raises_value_error(text: str) -> None:
    for pattern in (SEED_PATTERN, "EEE, d MMM yyyy HH:mm:ss z", "yyMMddHHmmssXX"):
        try:
            compile_pattern(pattern).parse(text, now=NOW)
        except ValueError as exc:
            assert not isinstance(exc, JavaDatePatternError)
