"""Java `SimpleDateFormat` patterns, formatted and parsed the way Java does.

Customers configure dates the way the hosted platform (a Java service) taught them: a `SimpleDateFormat`
pattern such as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` plus a `java.util.TimeZone` ID such as `GMT`. We render the
poll URL's `${gmtDate:...}` with these patterns and read each record's updated/created dates with them, so a
configuration that worked there must mean the same thing here. This module is that translation, pure and
stdlib-only; the locale is English (US), as on the hosted platform.

Supported letters (Java meaning):

    y  year: `yy` is two digits, any other count is the year zero-padded to that many digits
    M  month: `M`/`MM` numeric, `MMM` short English name (Nov), `MMMM` full name (November). `L` is the same.
    d  day of month        D  day of year          E  day name (`E`-`EEE` Sun, `EEEE` Sunday)
    H  hour 0-23           k  hour 1-24            K  hour 0-11          h  hour 1-12        a  AM/PM
    m  minute              s  second               u  day number of week (1 = Monday)
    S  *milliseconds as a count*, zero-padded to the number of letters (see below)
    z  zone name (`GMT`, `UTC`, `EST`; `zzzz` the long name)     Z  RFC 822 offset (`+0000`, `-0500`)
    X  ISO 8601 offset: `X` -> `Z` or `+HH`, `XX` -> `Z` or `+HHMM`, `XXX` -> `Z` or `+HH:MM`

`'text'` is a literal (so `'Z'` is the letter Z, *not* a zone), `''` is one single quote, and any other
non-letter stands for itself. An ASCII letter Java does not know (`q`, `b`, ...) raises
`JavaDatePatternError`, as `new SimpleDateFormat("q")` throws; so do the Java letters we do not implement
(`G` era, `Y` week year, `w`/`W` weeks, `F` day of week in month) and an empty pattern (legal in Java, but
never a usable date format).

`S` is faithful to Java, which treats it as the *number of milliseconds*, not as a decimal fraction: with
5 ms, `S` formats `5`, `SS` `05`, `SSS` `005`, `SSSS` `0005`; with 500 ms they give `500`, `500`, `500`,
`0500`.
Parsing reads the digits as a millisecond count too, so `.5` under `.SSS` is 5 ms, not 500 ms, exactly as
Java reads it. A count above 999 (e.g. microseconds under `SSS`) is rejected rather than rolled into the
seconds as lenient Java would. Precision is milliseconds: formatting truncates microseconds.

Parsing follows `SimpleDateFormat.parse` with `setLenient(false)`:

* Fields are read left to right without backtracking. A numeric field directly followed by another numeric
  field (`yyyyMMdd`) reads at most as many digits as it has letters; otherwise it reads every digit there is.
  Spaces and tabs before a field are skipped. Month and day names match case-insensitively, full or short.
* Out-of-range values (month 13, 31 November, minute 60), a day name that disagrees with the date, and a
  local time that does not exist in the zone (inside a DST gap) are errors, not roll-overs.
* Fields the pattern lacks default as in Java: 1970-01-01 00:00:00.000.
* `yy` reads exactly two digits as Java does: into the century that starts 80 years before `now`.
  Other counts of `y`, or another number of digits, are the year as written.
* The zone: a parsed `z`/`Z`/`X` wins; otherwise `tz` applies. `z` and `Z` both accept `GMT`,
  `GMT+hh:mm`, `+hhmm` and common zone names (`UTC`, `EST`, `CEST`, ...); `X` accepts `Z` and the ISO
  offset of its width. One deliberate leniency: `z`/`Z` also accept `Z` (Java rejects it), because
  `yyyy-MM-dd'T'HH:mm:ss.SSSZ` against SmartRecruiters' `...300Z` is a mistake worth forgiving.
* An ambiguous local time (DST fall-back) is the earlier instant, as java.time resolves it.
* Text after the pattern is an error; `partial=True` ignores it, as Java's `DateFormat.parse(String)` does.

Zones are `java.util.TimeZone` IDs, resolved by `java_zones.resolve_timezone` (re-exported here).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from srevents.domain.java_zones import GMT, ZONE_NAMES, ZONE_TEXTS, gmt_offset_name, resolve_timezone

__all__ = ["GMT", "JavaDateFormat", "JavaDatePatternError", "compile_pattern", "resolve_timezone"]


_JAVA_LETTERS = "GyMdkHmsSEDFwWahKzZYuXL"  # java.text.DateFormatSymbols.patternChars
_UNSUPPORTED = {
    "G": "era designator",
    "Y": "week year; did you mean 'y'?",
    "w": "week in year",
    "W": "week in month",
    "F": "day of week in month",
}
# Fields read as numbers (Java's shouldObeyCount): when one follows another, the first reads at most
# as many digits as it has letters, which is how "yyyyMMdd" parses "20261129".
_NUMERIC = set("yMLdHkKhmsSDu")

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_SHORT_MONTHS = tuple(name[:3] for name in _MONTHS)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # date.weekday() order
_SHORT_DAYS = tuple(name[:3] for name in _DAYS)


class JavaDatePatternError(ValueError):
    """The pattern itself is unusable (not a text being parsed). The message names the letter or position."""


def _zone(tz: str | tzinfo) -> tzinfo:
    return resolve_timezone(tz) if isinstance(tz, str) else tz


# ------------------------------------------------------------------------------------------------ compile


@dataclass(frozen=True)
class _Literal:
    text: str


@dataclass(frozen=True)
class _Field:
    letter: str
    count: int
    position: int


def _compile(pattern: str) -> tuple[_Literal | _Field, ...]:
    """Split a pattern into literals and fields, with Java's quoting rules and Java's errors."""
    if not isinstance(pattern, str):
        raise JavaDatePatternError(f"must be a string, got {type(pattern).__name__}")
    if not pattern:
        raise JavaDatePatternError("is empty")
    tokens: list[_Literal | _Field] = []
    literal: list[str] = []
    quote_start = -1  # position of the opening quote while inside one
    i = 0

    def flush() -> None:
        if literal:
            tokens.append(_Literal("".join(literal)))
            literal.clear()

    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            if pattern.startswith("''", i):  # a quote, inside or outside quoted text
                literal.append("'")
                i += 2
            else:
                quote_start = i if quote_start < 0 else -1
                i += 1
            continue
        if quote_start >= 0 or not ("a" <= c <= "z" or "A" <= c <= "Z"):
            literal.append(c)
            i += 1
            continue
        run = i
        while run < len(pattern) and pattern[run] == c:
            run += 1
        _check_letter(c, run - i, i)
        flush()
        tokens.append(_Field(c, run - i, i))
        i = run
    if quote_start >= 0:
        raise JavaDatePatternError(f"has an unterminated quote at position {quote_start}")
    flush()
    return tuple(tokens)


def _check_letter(letter: str, count: int, position: int) -> None:
    if letter not in _JAVA_LETTERS:
        raise JavaDatePatternError(
            f"has '{letter}' at position {position}, which is not a Java date pattern letter "
            "(quote literal text, e.g. 'T')"
        )
    if letter in _UNSUPPORTED:
        raise JavaDatePatternError(
            f"has '{letter}' at position {position} ({_UNSUPPORTED[letter]}), a Java pattern letter "
            "this service does not support"
        )
    if letter == "X" and count > 3:
        raise JavaDatePatternError(f"has {'X' * count} at position {position}: X takes 1 to 3 letters")


# ------------------------------------------------------------------------------------------------- format


def _pad(value: int, width: int) -> str:
    return f"{value:0{width}d}"


def _offset_minutes(local: datetime) -> int:
    """The UTC offset in whole minutes, truncated toward zero as Java's `offset / 60000` is."""
    offset = local.utcoffset() or timedelta(0)
    return int(offset.total_seconds() / 60)


def _rfc822(minutes: int, colon: bool = False, hours_only: bool = False) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    if hours_only:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{':' if colon else ''}{rest:02d}"


def _zone_name(local: datetime, long: bool) -> str:
    name = local.tzname()
    if not name or name[0] in "+-" or name.upper().startswith(("UTC+", "UTC-")):
        # zoneinfo's numeric abbreviations ("+03") and Python's "UTC+02:00": Java writes GMT+03:00.
        return gmt_offset_name(_offset_minutes(local))
    if long and name in ZONE_NAMES:
        return ZONE_NAMES[name][1] or name
    return name


def _format_field(field: _Field, local: datetime) -> str:
    letter, count = field.letter, field.count
    if letter == "y":
        return _pad(local.year % 100, 2) if count == 2 else _pad(local.year, count)
    if letter in "ML":
        if count >= 4:
            return _MONTHS[local.month - 1]
        if count == 3:
            return _SHORT_MONTHS[local.month - 1]
        return _pad(local.month, count)
    if letter == "E":
        return (_DAYS if count >= 4 else _SHORT_DAYS)[local.weekday()]
    if letter == "a":
        return "PM" if local.hour >= 12 else "AM"
    if letter == "z":
        return _zone_name(local, long=count >= 4)
    if letter == "Z":
        return _rfc822(_offset_minutes(local))
    if letter == "X":
        minutes = _offset_minutes(local)
        if minutes == 0:
            return "Z"
        return _rfc822(minutes, colon=count == 3, hours_only=count == 1)
    value = {
        "d": local.day,
        "H": local.hour,
        "k": local.hour or 24,
        "K": local.hour % 12,
        "h": local.hour % 12 or 12,
        "m": local.minute,
        "s": local.second,
        "S": local.microsecond // 1000,
        "D": local.timetuple().tm_yday,
        "u": local.isoweekday(),
    }[letter]
    return _pad(value, count)


# -------------------------------------------------------------------------------------------------- parse


class _NoMatch(Exception):
    """Internal: where and why the text stopped matching (becomes the public ValueError)."""

    def __init__(self, position: int | None, why: str) -> None:
        super().__init__(why)
        self.position = position
        self.why = why


@dataclass
class _Parsed:
    year: int = 1970
    two_digit_year: bool = False
    month: int | None = None
    day: int | None = None
    day_of_year: int | None = None
    weekday: int | None = None  # date.weekday(): Monday = 0
    hour24: int | None = None
    hour12: int | None = None
    pm: bool | None = None
    minute: int = 0
    second: int = 0
    millis: int = 0
    offset: int | None = None  # minutes east of UTC, when the text carries its zone


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"  # ASCII only: str.isdigit() would take "²" and "٣"


def _digits(text: str, pos: int, limit: int | None) -> tuple[int, int]:
    end = pos
    while end < len(text) and _is_digit(text[end]) and (limit is None or end - pos < limit):
        end += 1
    if end == pos:
        raise _NoMatch(pos, "expected a number")
    return int(text[pos:end]), end


def _name(text: str, pos: int, names: tuple[str, ...] | list[str], what: str) -> tuple[int, int]:
    """The index of the longest name that the text starts with, case-insensitively (Java's matchString)."""
    best, best_len = -1, 0
    for index, name in enumerate(names):
        if len(name) > best_len and text[pos : pos + len(name)].lower() == name.lower():
            best, best_len = index, len(name)
    if best < 0:
        raise _NoMatch(pos, f"expected {what}")
    return best, pos + best_len


def _numeric_zone(
    text: str, pos: int, *, colon: bool, hours_only: bool = False, short_hours: bool = False
) -> tuple[int, int]:
    """`hh`, `hhmm` or `hh:mm` after the sign, as Java's subParseNumericZone reads them."""
    start = pos
    if not _is_digit(text[pos : pos + 1] or "x"):
        raise _NoMatch(pos, "expected an offset")
    hours, pos = int(text[pos]), pos + 1
    if _is_digit(text[pos : pos + 1] or "x"):
        hours, pos = hours * 10 + int(text[pos]), pos + 1
    elif not short_hours:
        raise _NoMatch(start, "expected a two-digit offset hour")
    if hours > 23:
        raise _NoMatch(start, "offset hours must be 0-23")
    if hours_only:
        return hours * 60, pos
    if colon:
        if text[pos : pos + 1] != ":":
            raise _NoMatch(pos, "expected ':' in the offset")
        pos += 1
    digits = text[pos : pos + 2]
    if len(digits) != 2 or not all(_is_digit(c) for c in digits):
        raise _NoMatch(pos, "expected two-digit offset minutes")
    minutes = int(digits)
    if minutes > 59:
        raise _NoMatch(pos, "offset minutes must be 0-59")
    return hours * 60 + minutes, pos + 2


def _parse_zone(text: str, pos: int) -> tuple[int, int]:
    """`z` and `Z`: `+hhmm`, `GMT`, `GMT+h:mm`, or a zone name (Java accepts all of these for either)."""
    sign = text[pos : pos + 1]
    if sign in ("+", "-"):
        minutes, end = _numeric_zone(text, pos + 1, colon=False)
        return (-minutes if sign == "-" else minutes), end
    if text[pos : pos + 3].upper() == "GMT":
        sign = text[pos + 3 : pos + 4]
        if sign not in ("+", "-"):
            return 0, pos + 3
        minutes, end = _numeric_zone(text, pos + 4, colon=True, short_hours=True)
        return (-minutes if sign == "-" else minutes), end
    names = list(ZONE_TEXTS)
    index, end = _name(text, pos, names, "a time zone")
    return ZONE_TEXTS[names[index]], end


def _parse_iso_zone(text: str, pos: int, count: int) -> tuple[int, int]:
    """`X`, `XX`, `XXX`: `Z`, or a sign and exactly the ISO 8601 form of that width."""
    sign = text[pos : pos + 1]
    if sign == "Z":
        return 0, pos + 1
    if sign not in ("+", "-"):
        raise _NoMatch(pos, "expected 'Z' or an offset")
    minutes, end = _numeric_zone(text, pos + 1, colon=count == 3, hours_only=count == 1)
    return (-minutes if sign == "-" else minutes), end


def _parse_field(field: _Field, obey_count: bool, text: str, pos: int, parsed: _Parsed) -> int:
    letter, count = field.letter, field.count
    while text[pos : pos + 1] in (" ", "\t"):  # Java skips blanks before every field
        pos += 1
    if pos >= len(text):
        raise _NoMatch(pos, "the text ends too early")
    if letter in "ML" and count >= 3:
        index, pos = _name(text, pos, _MONTHS + _SHORT_MONTHS, "a month name")
        parsed.month = index % 12 + 1
        return pos
    if letter == "E":
        index, pos = _name(text, pos, _DAYS + _SHORT_DAYS, "a day name")
        parsed.weekday = index % 7
        return pos
    if letter == "a":
        index, pos = _name(text, pos, ("AM", "PM"), "AM or PM")
        parsed.pm = index == 1
        return pos
    if letter in "zZ":
        parsed.offset, pos = _parse_zone(text, pos)
        return pos
    if letter == "X":
        parsed.offset, pos = _parse_iso_zone(text, pos, count)
        return pos
    start = pos
    value, pos = _digits(text, pos, count if obey_count else None)
    if letter == "y":
        parsed.year = value
        parsed.two_digit_year = count <= 2 and pos - start == 2
    elif letter in "ML":
        parsed.month = _in_range(value, 1, 12, "month", start)
    elif letter == "d":
        parsed.day = _in_range(value, 1, 31, "day of month", start)
    elif letter == "D":
        parsed.day_of_year = _in_range(value, 1, 366, "day of year", start)
    elif letter == "u":
        parsed.weekday = _in_range(value, 1, 7, "day number of week", start) - 1
    elif letter == "H":
        parsed.hour24 = _in_range(value, 0, 23, "hour (H)", start)
    elif letter == "k":
        parsed.hour24 = _in_range(value, 0, 24, "hour (k)", start) % 24  # Java: k=24 is midnight
    elif letter == "K":
        parsed.hour12 = _in_range(value, 0, 11, "hour (K)", start)
    elif letter == "h":
        parsed.hour12 = _in_range(value, 0, 12, "hour (h)", start) % 12  # Java: h=12 is hour 0
    elif letter == "m":
        parsed.minute = _in_range(value, 0, 59, "minute", start)
    elif letter == "s":
        parsed.second = _in_range(value, 0, 59, "second", start)
    elif letter == "S":
        parsed.millis = _in_range(value, 0, 999, "millisecond count (S)", start)
    return pos


def _in_range(value: int, low: int, high: int, what: str, position: int) -> int:
    if not low <= value <= high:
        raise _NoMatch(position, f"{what} {value} is not in {low}-{high}")
    return value


def _century_start(now: datetime) -> datetime:
    """Java's default century start for two-digit years: 80 years before now."""
    try:
        return now.replace(year=now.year - 80)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 80, day=28)


def _local_datetime(parsed: _Parsed, year: int) -> datetime:
    """The wall-clock time the fields name, checked for consistency as non-lenient Java checks it."""
    if year < 1 or year > 9999:
        raise _NoMatch(None, f"year {year} is out of range")
    try:
        day = date(year, parsed.month or 1, parsed.day or 1)
    except ValueError:
        shown = f"{year:04d}-{parsed.month or 1:02d}-{parsed.day or 1:02d}"
        raise _NoMatch(None, f"{shown} is not a date") from None
    if parsed.day_of_year is not None:
        by_year_day = date(year, 1, 1) + timedelta(days=parsed.day_of_year - 1)
        if by_year_day.year != year:
            raise _NoMatch(None, f"{year} has no day {parsed.day_of_year}")
        if (parsed.month is not None or parsed.day is not None) and by_year_day != day:
            raise _NoMatch(None, f"day of year {parsed.day_of_year} is not {day.isoformat()}")
        day = by_year_day
    if parsed.weekday is not None and day.weekday() != parsed.weekday:
        raise _NoMatch(None, f"{day.isoformat()} is a {_DAYS[day.weekday()]}, not a {_DAYS[parsed.weekday]}")
    if parsed.hour24 is not None:
        hour = parsed.hour24
        if parsed.hour12 is not None and parsed.hour12 != hour % 12:
            raise _NoMatch(None, "the 24-hour and 12-hour fields disagree")
        if parsed.pm is not None and parsed.pm != (hour >= 12):
            raise _NoMatch(None, f"hour {hour} disagrees with {'PM' if parsed.pm else 'AM'}")
    else:
        hour = (parsed.hour12 or 0) + (12 if parsed.pm else 0)
    return datetime(day.year, day.month, day.day, hour, parsed.minute, parsed.second, parsed.millis * 1000)


def _to_utc(local: datetime, parsed: _Parsed, tz: str | tzinfo) -> datetime:
    zone = _zone(tz) if parsed.offset is None else timezone(timedelta(minutes=parsed.offset))
    try:
        instant = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
        back = instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # within hours of year 1 or 9999
        raise _NoMatch(None, f"{local.isoformat()} is out of range") from None
    if back != local:
        raise _NoMatch(None, f"{local.isoformat()} does not exist in {tz} (a daylight-saving gap)")
    return instant


class _FastForm:
    """The canonical text of a pattern made only of fixed-width numbers and literals, as one regex.

    `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (the form of every SmartRecruiters timestamp) is parsed twice per record
    per poll. Text with exactly the pattern's widths (`2026-11-29T10:00:01.300Z`) means the same instant
    to the general parser: each field reads exactly its digits, because what follows it is either the next
    number (a field that obeys its count) or a literal that starts with a non-digit. Anything else (blanks,
    other widths, out-of-range values, a daylight-saving gap) is left to the general parser, which says why
    it fails; so this is only ever a shortcut to the same answer.
    """

    __slots__ = ("letters", "regex")

    _LETTERS = "yMLdHmsS"

    def __init__(self, regex: re.Pattern[str], letters: tuple[str, ...]) -> None:
        self.regex = regex
        self.letters = letters

    def parse(self, text: str, tz: str | tzinfo) -> datetime | None:
        match = self.regex.fullmatch(text)
        if match is None:
            return None
        values = dict(zip(self.letters, map(int, match.groups()), strict=True))
        try:
            local = datetime(
                values.get("y", 1970),
                values.get("M", values.get("L", 1)),
                values.get("d", 1),
                values.get("H", 0),
                values.get("m", 0),
                values.get("s", 0),
                values.get("S", 0) * 1000,
            )
            return _to_utc(local, _Parsed(), tz)
        except (ValueError, _NoMatch):
            return None


def _fast_form(tokens: tuple[_Literal | _Field, ...]) -> _FastForm | None:
    parts: list[str] = []
    letters: list[str] = []
    for token in tokens:
        if isinstance(token, _Literal):
            if any(_is_digit(c) for c in token.text):
                return None  # a digit after an unbounded field would be read as part of it
            parts.append(re.escape(token.text))
            continue
        letter, count = token.letter, token.count
        if letter not in _FastForm._LETTERS or letter in letters or (letter in "ML" and count > 2):
            return None  # names, zones, 12-hour clocks, repeated fields: the general parser
        if letter == "y" and count <= 2:
            return None  # two-digit years depend on `now`
        if letter in "ML" and ("M" in letters or "L" in letters):
            return None
        parts.append(f"([0-9]{{{count}}})")
        letters.append(letter)
    if not letters:
        return None
    return _FastForm(re.compile("".join(parts)), tuple(letters))


# ------------------------------------------------------------------------------------------------ public


@dataclass(frozen=True, slots=True)
class JavaDateFormat:
    """One compiled pattern. Immutable, so the cached instances from `compile_pattern` can be shared.

    Equal (and hashed) by the pattern alone: the compiled forms follow from it.
    """

    pattern: str
    _tokens: tuple[_Literal | _Field, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _fast: _FastForm | None = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tokens = _compile(self.pattern)
        object.__setattr__(self, "_tokens", tokens)  # frozen: the dataclass way to set a derived field
        object.__setattr__(self, "_fast", _fast_form(tokens))

    def __repr__(self) -> str:
        return f"JavaDateFormat({self.pattern!r})"

    @property
    def has_zone(self) -> bool:
        """Whether the text carries its own zone (z, Z or X), so `tz` does not matter when parsing."""
        return any(isinstance(t, _Field) and t.letter in "zZX" for t in self._tokens)

    def format(self, when: datetime, tz: str | tzinfo = "GMT") -> str:
        """`when` (aware) as Java's `SimpleDateFormat.format` writes it with the time zone `tz`."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"cannot format a naive datetime ({when.isoformat()}): give it a time zone")
        try:
            local = when.astimezone(_zone(tz))
        except OverflowError:
            raise ValueError(f"cannot format {when.isoformat()} in {tz}: out of range") from None
        return "".join(t.text if isinstance(t, _Literal) else _format_field(t, local) for t in self._tokens)

    def parse(
        self, text: str, tz: str | tzinfo = "GMT", *, now: datetime | None = None, partial: bool = False
    ) -> datetime:
        """The instant `text` names, in UTC. `tz` applies when the text has no zone of its own.

        `now` anchors two-digit years (default: the current time). ValueError, naming the text and the
        pattern, when the text does not match.
        """
        if not isinstance(text, str):
            raise ValueError(f"cannot parse {type(text).__name__} {text!r} as a date ({self.pattern!r})")
        if self._fast is not None and not partial:
            instant = self._fast.parse(text, tz)
            if instant is not None:
                return instant
        return self._parse_fields(text, tz, now, partial)

    def _parse_fields(self, text: str, tz: str | tzinfo, now: datetime | None, partial: bool) -> datetime:
        """The general parser: every field, left to right, as SimpleDateFormat reads them."""
        parsed = _Parsed()
        pos = 0
        try:
            for index, token in enumerate(self._tokens):
                if isinstance(token, _Literal):
                    if pos >= len(text):
                        raise _NoMatch(pos, f"the text ends too early (expected {token.text!r})")
                    if not text.startswith(token.text, pos):
                        raise _NoMatch(pos, f"expected {token.text!r}")
                    pos += len(token.text)
                    continue
                following = self._tokens[index + 1] if index + 1 < len(self._tokens) else None
                obey = (
                    isinstance(following, _Field)
                    and following.letter in _NUMERIC
                    and (following.letter not in "ML" or following.count <= 2)
                )
                pos = _parse_field(token, obey, text, pos, parsed)
            if pos < len(text) and not partial:
                raise _NoMatch(pos, f"unexpected {text[pos : pos + 10]!r} after the date")
            return self._resolve(parsed, tz, now)
        except _NoMatch as problem:
            shown = text if len(text) <= 100 else text[:100] + "..."
            where = "" if problem.position is None else f" at position {problem.position}"
            message = f"{shown!r} does not match date pattern {self.pattern!r}{where}: {problem.why}"
            raise ValueError(message) from None

    def _resolve(self, parsed: _Parsed, tz: str | tzinfo, now: datetime | None) -> datetime:
        year = parsed.year
        if not parsed.two_digit_year:
            return _to_utc(_local_datetime(parsed, year), parsed, tz)
        start = _century_start(now or datetime.now(UTC))
        pivot = start.year % 100
        year = start.year // 100 * 100 + year + (100 if year < pivot else 0)
        instant = _to_utc(_local_datetime(parsed, year), parsed, tz)
        # Java: in the pivot year itself, a date before the century start belongs to the next century.
        if parsed.year == pivot and instant < start:
            instant = _to_utc(_local_datetime(parsed, year + 100), parsed, tz)
        return instant


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> JavaDateFormat:
    """A compiled, cached pattern; JavaDatePatternError if Java would refuse it or we cannot honour it."""
    return JavaDateFormat(pattern)
