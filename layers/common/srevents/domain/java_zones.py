"""Java's time zones: the `java.util.TimeZone` IDs a configuration names, and the zone names dates carry.

Zones (`resolve_timezone`) are `java.util.TimeZone` IDs: `GMT`, `UTC`, IANA names, Java's legacy three-letter
IDs (`PST` is America/Los_Angeles, `EST` is a fixed -05:00, `BST` is Asia/Dhaka: Java's meanings, not
folklore's), and offsets `GMT+2`, `GMT+02:00`, `GMT-0500`, `UTC+1`, `+02:00`. Unlike Java, an unknown ID is an
error instead of silently meaning GMT. Long zone names (`zzzz`) follow JDK 8 (`Central European Time`).

Data and lookups only; `java_dates` formats and parses with them. Stdlib-only, like it.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["GMT", "ZONE_NAMES", "ZONE_TEXTS", "gmt_offset_name", "resolve_timezone"]

GMT = timezone(timedelta(0), "GMT")
"""UTC under the name Java gives it: `z` formats it as `GMT` (`datetime.UTC` formats as `UTC`)."""

# Zone abbreviations: the long name `zzzz` formats (JDK 8 wording) and the offset parsing accepts.
# Only unambiguous ones; `IST` (India? Ireland? Israel?) is deliberately absent.
ZONE_NAMES: dict[str, tuple[int, str | None]] = {
    "GMT": (0, "Greenwich Mean Time"),
    "UTC": (0, "Coordinated Universal Time"),
    "UT": (0, None),
    "Z": (0, None),
    "WET": (0, "Western European Time"),
    "WEST": (60, "Western European Summer Time"),
    "BST": (60, "British Summer Time"),
    "CET": (60, "Central European Time"),
    "CEST": (120, "Central European Summer Time"),
    "EET": (120, "Eastern European Time"),
    "EEST": (180, "Eastern European Summer Time"),
    "MSK": (180, "Moscow Standard Time"),
    "JST": (540, "Japan Standard Time"),
    "KST": (540, "Korea Standard Time"),
    "EST": (-300, "Eastern Standard Time"),
    "EDT": (-240, "Eastern Daylight Time"),
    "CST": (-360, "Central Standard Time"),
    "CDT": (-300, "Central Daylight Time"),
    "MST": (-420, "Mountain Standard Time"),
    "MDT": (-360, "Mountain Daylight Time"),
    "PST": (-480, "Pacific Standard Time"),
    "PDT": (-420, "Pacific Daylight Time"),
    "AKST": (-540, "Alaska Standard Time"),
    "AKDT": (-480, "Alaska Daylight Time"),
    "HST": (-600, "Hawaii Standard Time"),
}
ZONE_TEXTS: dict[str, int] = {
    **{abbr.upper(): minutes for abbr, (minutes, _) in ZONE_NAMES.items()},
    **{long.upper(): minutes for minutes, long in ZONE_NAMES.values() if long},
}

# java.util.TimeZone's legacy three-letter IDs (java.time.ZoneId.SHORT_IDS), which Java resolves before
# anything else: a configuration written for the hosted platform means these.
_JAVA_SHORT_IDS = {
    "ACT": "Australia/Darwin",
    "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo",
    "AST": "America/Anchorage",
    "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare",
    "CNT": "America/St_Johns",
    "CST": "America/Chicago",
    "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia",
    "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles",
    "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh",
}
_JAVA_FIXED_IDS = {"EST": -300, "MST": -420, "HST": -600}
_OFFSET_ID = re.compile(r"(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def resolve_timezone(name: str) -> tzinfo:
    """A `java.util.TimeZone` ID as a tzinfo; ValueError for an ID Java would not know either.

    Java quietly substitutes GMT for an unknown ID; we refuse instead, because a typo would shift every
    date by hours without anyone noticing.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{name!r} names no time zone (try GMT, UTC, Europe/Paris or GMT+02:00)")
    key = name.strip()
    upper = key.upper()
    if upper == "GMT":
        return GMT
    if upper in ("UTC", "UT", "Z"):
        return UTC
    offset = _OFFSET_ID.fullmatch(key)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"{name!r} is not a valid offset: hours must be 0-23 and minutes 0-59")
        total = (hours * 60 + minutes) * (-1 if sign == "-" else 1)
        return timezone(timedelta(minutes=total), gmt_offset_name(total))
    if key in _JAVA_FIXED_IDS:
        minutes = _JAVA_FIXED_IDS[key]
        return timezone(timedelta(minutes=minutes), key)
    try:
        return ZoneInfo(_JAVA_SHORT_IDS.get(key, key))
    except (ValueError, KeyError, OSError):
        raise ValueError(
            f"no zone is called {name!r} (use an IANA name such as Europe/Paris or America/New_York, "
            "GMT, UTC, or an offset such as GMT+02:00)"
        ) from None


def gmt_offset_name(total_minutes: int) -> str:
    """Java's name for a custom zone: `GMT+02:00`, `GMT-05:30`."""
    sign = "-" if total_minutes < 0 else "+"
    hours, minutes = divmod(abs(total_minutes), 60)
    return f"GMT{sign}{hours:02d}:{minutes:02d}"
