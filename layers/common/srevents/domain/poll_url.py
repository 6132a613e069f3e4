"""The poll URL template (docs/DESIGN.md §3): a hub path in, SmartRecruiters query parameters out.

A resource's `url` is written in the hosted platform's language, e.g.

    /hubs/humancapital/candidates?where=updatedAfter='${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}'

`parse_poll_url` checks it once, when the instance is created or patched, and turns it into a
`PollUrlTemplate`: the SmartRecruiters path (`/candidates`) and the query parameters with their value
templates. Each poll then calls `render(since)`. Everything that cannot be mapped onto a SmartRecruiters
call is refused up front with a `PollUrlError`, so a poll never discovers a bad URL at 3 a.m.

Decisions (the hosted platform left these unwritten):

* The path is `/hubs/humancapital/<resource>`; the leading slash may be omitted and one trailing slash is
  tolerated. Anything with a scheme or a host (`https://...`, `//host/...`) is refused: the host is always
  SmartRecruiters' API, never the customer's choice. Surrounding whitespace and empty query pieces (`&&`)
  are ignored; a fragment and control characters (raw or percent-encoded) are refused.
* The URL is split on `?` and `&` first and each name and value is then percent-decoded once (UTF-8), so a
  `where` clause may arrive raw or URL-encoded, and `%26` inside a value stays a literal `&`. `+` is a plus
  sign, not a space (write spaces raw or as `%20`).
* `where` is `field='value'` terms joined by `and` (any case). Values are single-quoted, `''` inside one is a
  quote, and a `${...}` placeholder is one atomic token, so the quotes inside
  `'${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'}'` do not end the value. A value may also be unquoted when it is
  one word of letters, digits, `_ . : + -` and placeholders (`status=NEW`, `updatedAfter=${epoch}`).
  Other operators (`>`, `!=`, `like`, `in`, ...), `or`, `not` and parentheses are refused: SmartRecruiters
  can only be asked for parameter equalities that all hold.
* Other query parameters (`&status=NEW`) pass through verbatim (placeholders allowed); a quoted plain value
  is refused because the quotes would reach SmartRecruiters.
* Every parameter, from `where` or plain, must be a query parameter the vendor's OpenAPI document declares
  for that GET (`QUERY_PARAMETERS`), and may appear once. `limit`, `pageId` and `offset` are refused: the
  poller pages by itself.
* `updatedAfter` and `lastActivityAfter` are `date-time` parameters: their rendered value must be ISO 8601
  (`${epoch}` there would only earn a 400 from SmartRecruiters at every poll).
* Placeholders: `${gmtDate:FORMAT}` (GMT) and `${date:FORMAT}` (the deployment's zone, UTC) with a Java
  `SimpleDateFormat` FORMAT (see `java_dates`; FORMAT cannot contain `}`); bare `${gmtDate}` / `${date}`
  are ISO 8601 with milliseconds (`2026-11-01T10:00:00.000Z`), as on the platform; `${epoch}` milliseconds
  (also `${epoch:ms}`), `${epoch:s}` seconds, `${epoch:us}` microseconds. Anything else is refused.

`PollUrlError` messages read as a predicate of the URL ("maps to no SmartRecruiters call: ..."), because
the caller prefixes the field's path.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from srevents.domain.java_dates import GMT, JavaDatePatternError, compile_pattern

__all__ = [
    "DATE_TIME_PARAMETERS",
    "HUB",
    "HUB_RESOURCES",
    "QUERY_PARAMETERS",
    "RESERVED_PARAMETERS",
    "PollUrlError",
    "PollUrlTemplate",
    "parse_poll_url",
    "render_value",
]

HUB = "humancapital"
HUB_RESOURCES: dict[str, str] = {"candidates": "/candidates", "jobs": "/jobs", "users": "/users"}
"""Hub resource -> the SmartRecruiters path its `GET` polls."""

RESERVED_PARAMETERS = ("limit", "pageId", "offset")
"""Paging parameters the poller sets itself (docs/DESIGN.md §3: `limit` = the resource's `pageSize`, `nextPageId`)."""

# The `in: query` parameters vendor/smartrecruiters-openapi.yaml declares for each GET, in its order, minus
# RESERVED_PARAMETERS. tests/unit/test_poll_url.py checks this against the document.
QUERY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "candidates": (
        "q",
        "jobId",
        "location",
        "averageRating",
        "status",
        "consentStatus",
        "subStatus",
        "tag",
        "updatedAfter",
        "onboardingStatus",
        "propertyId",
        "propertyValueId",
        "sourceType",
        "sourceSubType",
        "sourceValueId",
        "questionCategory",
        "questionFieldId",
        "questionFieldValueId",
    ),
    "jobs": (
        "q",
        "sort",
        "city",
        "department",
        "updatedAfter",
        "lastActivityAfter",
        "language",
        "status",
        "postingStatus",
    ),
    "users": ("q", "updatedAfter"),
}

DATE_TIME_PARAMETERS = frozenset({"updatedAfter", "lastActivityAfter"})
"""Parameters the document types `format: date-time`: they must render to ISO 8601."""

_PLACEHOLDERS = "${gmtDate:FORMAT}, ${date:FORMAT}, ${gmtDate}, ${date}, ${epoch}, ${epoch:s}, ${epoch:us}"
ISO_MILLIS = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"  # what a bare ${gmtDate} / ${date} renders (both zones are UTC)
_EPOCH_FORMS = "${epoch}, ${epoch:s} or ${epoch:us}"
_EPOCH_UNITS = {"": 1000, "ms": 1000, "s": 1, "us": 1_000_000}  # per second
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRIAL_SINCE = datetime(2026, 11, 29, 9, 59, tzinfo=UTC)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile(r"!=|<>|<=|>=|==|[<>~!]|[A-Za-z]+")
_BARE_CHAR = re.compile(r"[A-Za-z0-9_.:+-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PollUrlError(ValueError):
    """The poll URL cannot be mapped onto a SmartRecruiters call. The message has no field prefix."""


@dataclass(frozen=True)
class _Placeholder:
    kind: str  # "gmtDate", "date" or "epoch"
    argument: str  # the Java pattern, or the epoch unit ("" for milliseconds)
    source: str  # as written, for messages


@dataclass(frozen=True)
class PollUrlTemplate:
    """A checked poll URL: what to call and the query parameters to render for each poll."""

    resource: str
    path: str
    params: tuple[tuple[str, str], ...]

    def render(self, since: datetime) -> dict[str, str]:
        """The SmartRecruiters query parameters (not yet percent-encoded) for a poll from `since`."""
        return {name: render_value(value, since) for name, value in self.params}


def render_value(template: str, since: datetime) -> str:
    """`template` with each placeholder replaced by `since` (aware) in the placeholder's form."""
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError(f"since must be timezone-aware, got {since.isoformat()}")
    return "".join(part if isinstance(part, str) else _render(part, since) for part in _template(template))


def _render(placeholder: _Placeholder, since: datetime) -> str:
    if placeholder.kind == "epoch":
        micros = (since - _EPOCH) // timedelta(microseconds=1)
        return str(micros * _EPOCH_UNITS[placeholder.argument] // 1_000_000)
    zone = GMT if placeholder.kind == "gmtDate" else UTC
    return compile_pattern(placeholder.argument).format(since, zone)


@functools.lru_cache(maxsize=1024)
def _template(template: str) -> tuple[str | _Placeholder, ...]:
    """Split a value template into literal text and checked placeholders."""
    parts: list[str | _Placeholder] = []
    pos = 0
    while (start := template.find("${", pos)) >= 0:
        if start > pos:
            parts.append(template[pos:start])
        end = _placeholder_end(template, start)
        parts.append(_placeholder(template[start + 2 : end - 1]))
        pos = end
    if pos < len(template):
        parts.append(template[pos:])
    return tuple(parts)


def _placeholder_end(text: str, start: int) -> int:
    """The index just past the `}` closing the `${` at `start`."""
    close = text.find("}", start + 2)
    nested = text.find("${", start + 2)
    if close < 0:
        raise PollUrlError(f"has an unclosed placeholder: {_clip(text[start:])} (no closing '}}')")
    if 0 <= nested < close:
        raise PollUrlError(f"has a placeholder inside a placeholder: {_clip(text[start : close + 1])}")
    return close + 1


def _placeholder(body: str) -> _Placeholder:
    name, colon, argument = body.partition(":")
    source = "${" + body + "}"
    if name in ("gmtDate", "date"):
        if not colon:
            return _Placeholder(name, ISO_MILLIS, source)
        if not argument:
            raise PollUrlError(f"has {source} without a date format; write ${{{name}:yyyy-MM-dd'T'HH:mm:ss}}")
        try:
            compile_pattern(argument)
        except JavaDatePatternError as exc:
            raise PollUrlError(f"has {source} whose date format {argument!r} {exc}") from None
        return _Placeholder(name, argument, source)
    if name == "epoch":
        if colon and (not argument or argument not in _EPOCH_UNITS):
            raise PollUrlError(f"has {source} with an unknown unit (use {_EPOCH_FORMS})")
        return _Placeholder(name, argument, source)
    raise PollUrlError(f"has an unknown placeholder {source} (known: {_PLACEHOLDERS})")


# ------------------------------------------------------------------------------------------------ the URL


def parse_poll_url(url: str) -> PollUrlTemplate:
    """Check a poll URL completely (including a trial render) and return its template."""
    if not isinstance(url, str):
        raise PollUrlError(f"must be a string, got {type(url).__name__}")
    text = url.strip()
    if not text:
        raise PollUrlError(f"is empty; write a hub path such as /hubs/{HUB}/candidates")
    if _SCHEME.match(text) or text.startswith("//"):
        raise PollUrlError(
            f"must be a hub path such as /hubs/{HUB}/candidates, not a full URL: drop the scheme and host "
            "(the poller always calls SmartRecruiters' API)"
        )
    if _CONTROL.search(text):
        raise PollUrlError("contains a control character (a line break or tab?)")
    pieces = _split(text, "?", limit=1)
    for piece in pieces:
        if len(_split(piece, "#")) > 1:
            raise PollUrlError("has a fragment ('#...'), which is never sent to SmartRecruiters")
    resource = _resource(_decode(pieces[0]))
    params = _query(pieces[1], resource) if len(pieces) > 1 else ()
    template = PollUrlTemplate(resource, HUB_RESOURCES[resource], params)
    _trial_render(template)
    return template


def _split(text: str, separator: str, limit: int = -1) -> list[str]:
    """Split on `separator` outside `${...}` placeholders (a Java pattern may contain `&`, `?` or `#`)."""
    parts: list[str] = []
    pos = start = 0
    while pos < len(text) and (limit < 0 or len(parts) < limit):
        if text.startswith("${", pos):
            pos = _placeholder_end(text, pos)
        elif text[pos] == separator:
            parts.append(text[start:pos])
            pos = start = pos + 1
        else:
            pos += 1
    parts.append(text[start:])
    return parts


def _decode(text: str) -> str:
    try:
        decoded = unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise PollUrlError(f"has percent-encoding that is not UTF-8: {_clip(text)}") from None
    if _CONTROL.search(decoded):
        raise PollUrlError(f"contains an encoded control character: {_clip(text)}")
    return decoded


def _resource(path: str) -> str:
    if "${" in path:
        raise PollUrlError(f"has a placeholder in its path ({_clip(path)}): they belong in query values")
    segments = path.removeprefix("/").removesuffix("/").split("/")
    known = ", ".join(HUB_RESOURCES)
    usage = f"/hubs/{HUB}/<resource> (known: {known})"
    if segments[0] != "hubs":
        raise PollUrlError(f"must be a hub path {usage}, got {_clip(path)}")
    if len(segments) < 2 or not segments[1]:
        raise PollUrlError(f"names no hub: use {usage}")
    if segments[1] != HUB:
        raise PollUrlError(f"names hub {segments[1]!r}, but SmartRecruiters is the {HUB} hub: use {usage}")
    if len(segments) < 3 or not segments[2]:
        raise PollUrlError(f"names no resource: use {usage}")
    if len(segments) > 3 or segments[2] not in HUB_RESOURCES:
        raise PollUrlError(f"maps to no SmartRecruiters call: {_clip(path)} (known: {known})")
    return segments[2]


def _query(query: str, resource: str) -> tuple[tuple[str, str], ...]:
    params: list[tuple[str, str]] = []
    seen_where = False
    for piece in _split(query, "&"):
        if not piece:
            continue  # "a=1&&b=2" or a trailing "&": nothing to map
        raw_name, equals, raw_value = piece.partition("=")
        name = _decode(raw_name)
        if not equals:
            raise PollUrlError(f"has query parameter {_clip(name)!r} without a value (write {name}=value)")
        if not name:
            raise PollUrlError(f"has a query parameter without a name: {_clip(piece)}")
        value = _decode(raw_value)
        if name == "where":
            if seen_where:
                raise PollUrlError("has more than one where=; join the terms with 'and' in one")
            seen_where = True
            params.extend(_where(value))
        else:
            if len(value) >= 2 and value[0] == value[-1] == "'":
                raise PollUrlError(
                    f"has {name}={_clip(value)} quoted: the quotes would be sent to SmartRecruiters "
                    f"(write {name}=… unquoted, or put the term in the where clause)"
                )
            params.append((name, value))
    seen: set[str] = set()
    for name, value in params:
        _check_parameter(name, value, resource)
        if name in seen:
            raise PollUrlError(f"sets {name} more than once; SmartRecruiters would get only one value")
        seen.add(name)
    return tuple(params)


def _check_parameter(name: str, value: str, resource: str) -> None:
    if name in RESERVED_PARAMETERS:
        raise PollUrlError(f"sets {name}, which the poller sets itself to page through results; remove it")
    allowed = QUERY_PARAMETERS[resource]
    if name not in allowed:
        close = [known for known in allowed if known.lower() == name.lower()]
        close = close or difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise PollUrlError(
            f"filters on {name!r}, which SmartRecruiters GET {HUB_RESOURCES[resource]} does not accept "
            f"({hint}it accepts: {', '.join(allowed)})"
        )
    if not value:
        raise PollUrlError(f"gives {name} an empty value")
    _template(value)  # placeholders are checked here, with a message naming the placeholder


def _trial_render(template: PollUrlTemplate) -> None:
    """Render once, so a template that cannot render fails now and not at the first poll."""
    try:
        rendered = template.render(_TRIAL_SINCE)
    except PollUrlError:
        raise
    except ValueError as exc:
        raise PollUrlError(f"cannot be rendered: {exc}") from None
    for name, value in rendered.items():
        if name in DATE_TIME_PARAMETERS and not _is_iso_datetime(value):
            raise PollUrlError(
                f"renders {name} as {value!r}, which is not the ISO 8601 date-time SmartRecruiters requires "
                "(e.g. ${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'})"
            )


def _is_iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value or len(value) == 10  # a date-time, or a plain date


# ------------------------------------------------------------------------------------------- where clause


def _where(clause: str) -> list[tuple[str, str]]:
    """`field='value' and field='value' ...` as (parameter, value template) pairs."""
    terms: list[tuple[str, str]] = []
    pos = _skip_blanks(clause, 0)
    if pos == len(clause):
        raise PollUrlError("has an empty where clause")
    while True:
        field, pos = _where_field(clause, pos)
        pos = _skip_blanks(clause, pos)
        if clause.startswith("=", pos) and not clause.startswith("==", pos):
            pos = _skip_blanks(clause, pos + 1)
        elif pos == len(clause):
            raise PollUrlError(f"has {field} without ='value' in its where clause")
        else:
            op = _OPERATOR.match(clause, pos)
            shown = op.group(0) if op else _clip(clause[pos:], 10)
            raise PollUrlError(
                f"uses operator {shown!r} on {field} in its where clause: only field='value' terms joined "
                "by 'and' can be mapped to SmartRecruiters query parameters"
            )
        value, pos = _where_value(clause, pos, field)
        terms.append((field, value))
        pos = _skip_blanks(clause, pos)
        if pos == len(clause):
            return terms
        word = _FIELD.match(clause, pos)
        connector = word.group(0).lower() if word else ""
        if word and connector == "and":
            pos = _skip_blanks(clause, word.end())
            if pos == len(clause):
                raise PollUrlError("has a where clause that ends with 'and'")
            continue
        if connector == "or":
            raise PollUrlError(
                "has 'or' in its where clause: SmartRecruiters can only be asked for terms that all hold "
                "(join terms with 'and')"
            )
        raise PollUrlError(
            f"has {_clip(clause[pos:], 20)!r} after {field}'s value in its where clause, where 'and' or "
            "the end was expected"
        )


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _where_field(clause: str, pos: int) -> tuple[str, int]:
    match = _FIELD.match(clause, pos)
    if not match:
        found = _clip(clause[pos:], 20)
        if clause.startswith("(", pos):
            raise PollUrlError("has parentheses in its where clause; only 'and' can join terms")
        raise PollUrlError(f"has {found!r} in its where clause where a field name was expected")
    if match.group(0).lower() == "not":
        raise PollUrlError("has 'not' in its where clause, which SmartRecruiters cannot be asked")
    return match.group(0), match.end()


def _where_value(clause: str, pos: int, field: str) -> tuple[str, int]:
    """A quoted value (`''` is a quote; placeholders are atomic) or one bare word."""
    if clause.startswith("'", pos):
        value: list[str] = []
        pos += 1
        while True:
            if pos >= len(clause):
                raise PollUrlError(f"has an unterminated quoted value for {field} in its where clause")
            if clause.startswith("${", pos):
                end = _placeholder_end(clause, pos)
                value.append(clause[pos:end])
                pos = end
            elif clause.startswith("''", pos):
                value.append("'")
                pos += 2
            elif clause[pos] == "'":
                break
            else:
                value.append(clause[pos])
                pos += 1
        if not value:
            raise PollUrlError(f"gives {field} an empty value in its where clause")
        return "".join(value), pos + 1
    if clause.startswith('"', pos):
        raise PollUrlError(f"quotes {field}'s value with double quotes; use single quotes: {field}='...'")
    start = pos
    while pos < len(clause):
        if clause.startswith("${", pos):
            pos = _placeholder_end(clause, pos)
        elif _BARE_CHAR.match(clause, pos):
            pos += 1
        else:
            break
    if pos == start:
        raise PollUrlError(f"has no value after {field}= in its where clause (write {field}='value')")
    return clause[start:pos], pos


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
