"""Times, parsed and formatted in one place.

Everything seawitness stores is UTC; sources write local time (ORBS and the NRA
workbooks are JST, Japan Standard Time, UTC+09:00 with no daylight saving), and people
type dates (``2023-08-24``), date-times with or without a zone, or ``Z``. Every parse
that can fail raises :class:`~seawitness.errors.InputError` naming the field and what
would have been accepted, and never lets a time outside years 1..9999 escape as an
``OverflowError`` (``9999-12-31T23:59:59-23:59`` is past the last representable
instant once converted to UTC).

Output is ISO 8601 in UTC with a ``Z`` (RFC 3339 §5.6), to the second for records and
to the microsecond for log entries.

>>> parse_instant("2023-08-24T13:03+09:00")
datetime.datetime(2023, 8, 24, 4, 3, tzinfo=datetime.timezone.utc)
>>> format_utc(parse_instant("2023-08-24"))
'2023-08-24T00:00:00Z'
>>> parse_local("2023/8/24 13:03")
(datetime.datetime(2023, 8, 24, 4, 3, tzinfo=datetime.timezone.utc), False)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from seawitness.errors import InputError

__all__ = [
    "JST",
    "UTC",
    "format_date",
    "format_utc",
    "format_utc_micro",
    "now_utc",
    "parse_instant",
    "parse_local",
    "parse_with_format",
    "zone",
]

#: Japan Standard Time, the zone of the ORBS and NRA sources (UTC+09:00, no DST).
JST = timezone(timedelta(hours=9), "JST")
TOKYO = "Asia/Tokyo"

_EXPECTED = "an ISO 8601 date (2023-08-24) or date-time (2023-08-24T04:03:00Z)"


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def parse_instant(
    text: str,
    *,
    field: str = "time",
    naive: tzinfo | None = UTC,
    allow_date: bool = True,
) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime.

    :param field: the name of the field or parameter, for the error message.
    :param naive: the zone a time without one is in (default UTC); None refuses a
        time without a zone (as a signed record must carry its own).
    :param allow_date: accept a bare date (midnight of that day in ``naive``).
    :raises InputError: not ISO 8601, no zone where one is required, or outside
        years 1..9999 once in UTC.
    """
    if not isinstance(text, str):
        raise InputError(f"{field}: {text!r} is not a string", where=field, expected=_EXPECTED)
    s = text.strip()
    try:
        if len(s) == 10 and allow_date:
            d = date.fromisoformat(s)
            t = datetime(d.year, d.month, d.day)
        else:
            t = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        raise InputError(
            f"{field}: {text!r} is not an ISO 8601 date or time", where=field, expected=_EXPECTED
        ) from None
    if t.tzinfo is None:
        if naive is None:
            raise InputError(
                f"{field}: time {text!r} has no time zone",
                where=field,
                expected="a zone such as Z or +09:00",
            )
        t = t.replace(tzinfo=naive)
    try:
        return t.astimezone(UTC)
    except OverflowError:
        raise InputError(
            f"{field}: {text!r} is outside the years 1 to 9999 in UTC", where=field
        ) from None


@lru_cache(maxsize=65536)
def parse_local(text: str, tz: tzinfo = JST) -> tuple[datetime, bool]:
    """Parse a source's local time ``YYYY/M/D[ H:MM[:SS]]`` or ``YYYY-MM-DD[ HH:MM[:SS]]``.

    Returns ``(time in UTC, day_only)``. A date without a time is taken as local midnight
    and flagged ``day_only`` so the record can say ``time_precision = day``. Cached: the
    same date string recurs for every nuclide and every side-by-side block of a row.
    """
    s = text.strip()
    date_part, _, time_part = s.replace("T", " ").partition(" ")
    sep = "/" if "/" in date_part else "-"
    bits = date_part.split(sep)
    if len(bits) != 3 or not all(b.isdigit() for b in bits):
        raise InputError(f"not a date: {text!r} (expected YYYY/M/D or YYYY-MM-DD [H:MM])")
    y, mo, d = (int(b) for b in bits)
    _check_date(y, mo, d, text)
    hh = mm = ss = 0
    time_part = time_part.strip()
    if time_part:
        tb = time_part.split(":")
        try:
            hh, mm = int(tb[0]), int(tb[1])
            ss = int(float(tb[2])) if len(tb) > 2 else 0
        except (ValueError, IndexError):
            raise InputError(f"not a time of day: {text!r} (expected H:MM)") from None
    try:
        local = datetime(y, mo, d, hh, mm, ss, tzinfo=tz)
    except ValueError as exc:
        raise InputError(f"impossible date {text!r}: {exc}") from None
    return local.astimezone(UTC), not time_part


def parse_with_format(text: str, fmt: str, tz: tzinfo) -> tuple[datetime, bool]:
    """Parse ``text`` with a strptime format; ``day_only`` when the format has no hour."""
    try:
        t = datetime.strptime(text.strip(), fmt)
    except ValueError as exc:
        raise InputError(f"time {text!r} does not match format {fmt!r} ({exc})") from None
    _check_date(t.year, t.month, t.day, text)
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.astimezone(UTC), "%H" not in fmt and "%I" not in fmt


#: Years a monitoring record can have (the same bounds as ``Measurement.validate``).
MIN_YEAR, MAX_YEAR = 1945, 2200


def _check_date(y: int, mo: int, d: int, text: str) -> None:
    """Refuse years and months no monitoring record can have (a typo such as 20223);
    the day is checked by ``datetime()`` itself."""
    if not (MIN_YEAR <= y <= MAX_YEAR):
        raise InputError(f"impossible date {text!r}: year {y} (expected {MIN_YEAR}..{MAX_YEAR})")
    if not 1 <= mo <= 12:
        raise InputError(f"impossible date {text!r}: month {mo} (expected 1..12)")


def zone(name: str) -> tzinfo:
    """A time zone by IANA name (``Asia/Tokyo`` is the exact fixed :data:`JST`)."""
    if name == TOKYO:
        return JST
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r} (expected an IANA name)") from None


@lru_cache(maxsize=65536)
def format_utc(t: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (cached: the records of one sample share a time)."""
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def format_utc_micro(t: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, as log entries carry their times."""
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:"
        f"{t.second:02d}.{t.microsecond:06d}Z"
    )


def format_date(t: datetime | date | None) -> str:
    """``YYYY-MM-DD`` (of the UTC day for an aware datetime); ``-`` for no time."""
    if t is None:
        return "-"
    if isinstance(t, datetime) and t.tzinfo is not None:
        t = t.astimezone(UTC)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}"
