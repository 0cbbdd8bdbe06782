"""The rules on dates: ``@when`` and its kin are real W3C dates in order, and a printed date
agrees with its ``@when``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from ..diagnostics import Diagnostic
from ..document import Document, tei
from .facts import DATE_ATTRIBUTES, facts_of

#: Elements whose text is the printed form of their @when.
PRINTED_DATES = frozenset({tei("date"), tei("origDate"), tei("docDate")})
_NOTE = tei("note")


_TZ = r"(?P<tz>Z|[+-]\d\d:\d\d)?"
_YEAR = r"(?P<year>-?(?:[1-9]\d{4,}|\d{4}))"
_TEMPORAL = [
    ("dateTime", re.compile(_YEAR + r"-(?P<month>\d\d)-(?P<day>\d\d)T(?P<hour>\d\d):(?P<minute>\d\d)"
                            r":(?P<second>\d\d(?:\.\d+)?)" + _TZ, re.ASCII)),
    ("date", re.compile(_YEAR + r"-(?P<month>\d\d)-(?P<day>\d\d)" + _TZ, re.ASCII)),
    ("gYearMonth", re.compile(_YEAR + r"-(?P<month>\d\d)" + _TZ, re.ASCII)),
    ("gYear", re.compile(_YEAR + _TZ, re.ASCII)),
    ("time", re.compile(r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d(?:\.\d+)?)" + _TZ, re.ASCII)),
    ("gMonthDay", re.compile(r"--(?P<month>\d\d)-(?P<day>\d\d)" + _TZ, re.ASCII)),
    ("gMonth", re.compile(r"--(?P<month>\d\d)" + _TZ, re.ASCII)),
    ("gDay", re.compile(r"---(?P<day>\d\d)" + _TZ, re.ASCII)),
]


def _leap(year: int) -> bool:
    # proleptic Gregorian, astronomical years (XSD 1.1: 0000 is 1 BCE)
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int | None, month: int) -> int:
    if month == 2:
        return 29 if year is None or _leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year, negative too)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@dataclass(frozen=True)
class TemporalValue:
    """A valid W3C date or time: its type, its fields, and the interval it covers."""

    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    seconds: float | None = None    # of the day, for times and dateTimes
    offset: int = 0                 # timezone, in seconds east of UTC

    @property
    def domain(self) -> str:
        """Values compare only within a domain: calendar dates, times of day, or recurring days."""
        if self.year is not None:
            return "timeline"
        return "time" if self.kind == "time" else self.kind

    def interval(self) -> tuple[float, float]:
        """First and last second covered, in seconds (UTC when a timezone is given)."""
        if self.kind == "time":
            start = (self.seconds or 0.0) - self.offset
            return start, start
        if self.year is None:
            base = _days_from_civil(2000, self.month or 1, self.day or 1)
            last = _days_from_civil(2000, self.month or 12, self.day or _days_in_month(2000, self.month or 12))
        else:
            base = _days_from_civil(self.year, self.month or 1, self.day or 1)
            month = self.month or 12
            last = _days_from_civil(self.year, month, self.day or _days_in_month(self.year, month))
        if self.seconds is not None:
            start = base * 86400 + self.seconds - self.offset
            return start, start
        return base * 86400.0 - self.offset, last * 86400.0 + 86399.999 - self.offset


def parse_temporal(value: str) -> TemporalValue | str:
    """A :class:`TemporalValue`, or the reason why ``value`` is not a W3C date or time."""
    for kind, pattern in _TEMPORAL:
        match = pattern.fullmatch(value)
        if not match:
            continue
        parts = match.groupdict()
        year = int(parts["year"]) if parts.get("year") else None
        month = int(parts["month"]) if parts.get("month") else None
        day = int(parts["day"]) if parts.get("day") else None
        if month is not None and not 1 <= month <= 12:
            return f"month {month:02d} does not exist"
        if day is not None:
            limit = _days_in_month(year, month) if month is not None else 31
            if not 1 <= day <= limit:
                where = f"{_MONTHS_BY_NUMBER[month]} {year}" if month and year is not None else (
                    _MONTHS_BY_NUMBER[month] if month else "any month")
                return f"day {day} does not exist in {where}"
        seconds = None
        if parts.get("hour") is not None:
            hour, minute, second = int(parts["hour"]), int(parts["minute"]), float(parts["second"])
            if hour == 24 and (minute or second):
                return "24:00:00 is the only time allowed with hour 24"
            if hour > 24 or minute > 59 or second >= 60:
                return f"{parts['hour']}:{parts['minute']}:{parts['second']} is not a time of day"
            seconds = hour * 3600 + minute * 60 + second
        offset = 0
        tz = parts.get("tz")
        if tz and tz != "Z":
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            if hours > 14 or minutes > 59 or (hours == 14 and minutes):
                return f"timezone {tz} is out of range (-14:00 to +14:00)"
            offset = (1 if tz[0] == "+" else -1) * (hours * 3600 + minutes * 60)
        return TemporalValue(kind, year, month, day, seconds, offset)
    return ("not a W3C date or time; write YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm:ss "
            "(optionally with a timezone such as Z or +01:00) or hh:mm:ss")


def _show(element: etree._Element, name: str) -> str:
    return f"@{name}=\"{element.get(name)}\""


def check_dates(document: Document) -> Iterator[Diagnostic]:
    """Dates (@when, @from/@to, @notBefore/@notAfter) are real W3C dates, and ranges are in order."""
    for element in facts_of(document).dated:
        parsed: dict[str, TemporalValue] = {}
        for name in DATE_ATTRIBUTES:
            value = element.get(name)
            if value is None or (name in ("from", "to") and value.lstrip().startswith("#")):
                continue
            result = parse_temporal(value.strip())
            if isinstance(result, str):
                yield document.diagnostic(element, "E0204", f"{_show(element, name)} is not a valid date: "
                                          f"{result}")
            else:
                parsed[name] = result
        for first, last in (("from", "to"), ("notBefore", "notAfter")):
            start, end = parsed.get(first), parsed.get(last)
            if start is None or end is None or start.domain != end.domain:
                continue
            if start.interval()[0] > end.interval()[1]:
                yield document.diagnostic(
                    element, "E0205", f"{_show(element, first)} is later than {_show(element, last)}; "
                    f"swap them or correct one")


_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTHS_BY_NUMBER = dict(enumerate(("January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December"), start=1))
_MONTH = r"(?P<month>[A-Za-z]+)\.?"
_PRINTED = [
    _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{3,4})",     # September 24, 1959
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{3,4})",  # 24 September 1959
    r"(?P<year>\d{4})-(?P<nmonth>\d\d)-(?P<day>\d\d)",                        # 1959-09-24
    _MONTH + r",?\s+(?P<year>\d{3,4})",                                         # September 1959
    r"(?P<year>\d{4})",                                                         # 1959
]
# a time of day after a full date: "September 16, 1958, 9:07 p.m.", "May 10, 1958, noon"
_PRINTED_TIME = (r"(?:,?\s+(?:(?P<hour>\d{1,2})(?::(?P<minute>\d\d))?\s*(?P<half>[ap])\.?\s?m\.?"
                 r"|(?P<noon>noon|midnight)))?")
_PRINTED_PATTERNS = [re.compile(pattern + (_PRINTED_TIME if "day" in pattern else ""), re.I)
                     for pattern in _PRINTED]


@dataclass(frozen=True)
class PrintedDate:
    """The fields of a printed plain date (None where the text does not give them)."""

    year: int
    month: int | None = None
    day: int | None = None
    minutes: int | None = None      # time of day, when printed after the date


def parse_printed_date(text: str) -> PrintedDate | None:
    """The :class:`PrintedDate` of text that is a plain date (with an optional time), else None.

    >>> parse_printed_date("Sept. 24, 1959.")
    PrintedDate(year=1959, month=9, day=24, minutes=None)
    """
    if len(text) > 200:
        return None                         # a plain date is short; a long text is something else
    text = " ".join(text.split()).rstrip(".,;: ")
    if text.endswith((" a", " p")):          # the stripped final period of "p.m."
        text += ".m"
    for pattern in _PRINTED_PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        parts = match.groupdict()
        month: int | None
        if parts.get("month"):
            month = _MONTHS.get(parts["month"].lower())
            if month is None:
                return None
        else:
            month = int(parts["nmonth"]) if parts.get("nmonth") else None
        day = int(parts["day"]) if parts.get("day") else None
        minutes = None
        if parts.get("noon"):
            minutes = 12 * 60 if parts["noon"].lower() == "noon" else 0
        elif parts.get("hour"):
            hour = int(parts["hour"])
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if parts["half"].lower() == "p" else 0)
            minutes = hour * 60 + int(parts.get("minute") or 0)
        return PrintedDate(int(parts["year"]), month, day, minutes)
    return None


def _printed_text(element: etree._Element) -> str:
    # a note inside a date is apparatus, not the printed date
    parts = [element.text or ""]
    for child in element:
        if child.tag != _NOTE and isinstance(child.tag, str):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def check_printed_dates(document: Document) -> Iterator[Diagnostic]:
    """A date's @when agrees with its printed text, where that text is a plain date."""
    for element in facts_of(document).dated:
        if element.tag not in PRINTED_DATES or element.get("when") is None:
            continue
        value = parse_temporal(element.get("when", "").strip())
        if isinstance(value, str) or value.year is None:
            continue
        text = _printed_text(element)
        printed = parse_printed_date(text)
        if printed is None:
            continue
        minutes = int(value.seconds // 60) if value.seconds is not None else None
        pairs = [(printed.year, value.year), (printed.month, value.month), (printed.day, value.day),
                 (printed.minutes, minutes)]
        if printed.minutes == 0 and minutes == 24 * 60:
            pairs.pop()                     # midnight written as 24:00:00
        if any(p is not None and m is not None and p != m for p, m in pairs):
            yield document.diagnostic(
                element, "W0206", f"@when=\"{element.get('when')}\" disagrees with the printed date "
                f"\"{' '.join(text.split())}\"; correct whichever is wrong")


