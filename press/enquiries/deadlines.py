"""Deadlines in a journalist's own words ("deadline 4pm today", "by 10am tomorrow", "by 5.30pm on Friday"),
read as UK local time from when the email arrived, and the working-day deadline an emailed enquiry is given
until a press officer sets the real one.

A reading is only ever a suggestion shown to staff: words are read too loosely for a deadline to be set by
them. A moment already past when the email arrived is no suggestion at all, so a time of day with no day
named is the next one to come.
"""

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from press import uktime

END_OF_DAY = time(17, 0)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
        r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
ORDINAL = r"(?:st|nd|rd|th)?"
DAY = (rf"today|tonight|tomorrow|(?:this\s+|next\s+)?(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\b|"
       rf"\d{{1,2}}{ORDINAL}\s+(?:of\s+)?{MONTH}\b|{MONTH}\s+\d{{1,2}}{ORDINAL}\b")
TIME = (r"\d{1,2}(?:[.:]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}\b|noon|midday|midnight|"
        r"(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|play|business)|close\s+of\s+(?:play|business)|\beod\b|\bcob\b|\bcop\b")
TRIGGER = r"\bdeadline(?:\s+is)?\s*[:\-]?\s*|\b(?:needed\s+|need\s+it\s+|need\s+this\s+)?by\s+|\bbefore\s+|\bno\s+later\s+than\s+"
PHRASE = re.compile(
    rf"(?P<trigger>{TRIGGER})(?:(?P<day1>{DAY})\s*(?:,\s*|at\s+)?)?(?P<time>{TIME})?(?:\s*,?\s*(?:on\s+)?(?P<day2>{DAY}))?",
    re.IGNORECASE,
)


def suggest(text: str, received_at: datetime) -> tuple[datetime, str] | None:
    """The first deadline the words give, in UTC, with the words it was read from; None if they give none.

    Quoted lines (the journalist's copy of an earlier email) are not read: their deadline is an old one.
    """
    own = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    received = uktime.to_london(received_at)
    for match in PHRASE.finditer(own):
        day_words, time_words = match["day1"] or match["day2"], match["time"]
        if not day_words and not time_words:
            continue
        moment = _moment(day_words, time_words, received)
        if moment is not None and moment > received_at:
            words = re.sub(r"(?:[\s,]+(?:at|on))+$", "", " ".join(match.group(0).split()).rstrip(",. "))
            return moment, words[:200]
    return None


def _moment(day_words: str | None, time_words: str | None, received: datetime) -> datetime | None:
    at = _time(time_words) if time_words else END_OF_DAY
    if at is None:
        return None
    today = received.date()
    if day_words is None:
        # A time alone is today's, or tomorrow's once today's has gone.
        moment = _utc(today, at)
        return moment if moment is None or moment > received else _utc(today + timedelta(days=1), at)
    day = _day(day_words.lower(), today)
    return _utc(day, at) if day is not None else None


def _time(words: str) -> time | None:
    words = " ".join(words.lower().split())
    if words in ("noon", "midday"):
        return time(12, 0)
    if words == "midnight":
        return time(23, 59)
    if not words[0].isdigit():
        return END_OF_DAY  # end of day, close of play and the like
    match = re.match(r"(\d{1,2})(?:[.:](\d{2}))?\s*([ap])?", words)
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or (half and int(match[1]) > 12):
        return None
    return time(hour, minute)


def _day(words: str, today: date) -> date | None:
    words = " ".join(words.split())
    if words in ("today", "tonight"):
        return today
    if words == "tomorrow":
        return today + timedelta(days=1)
    bare = words.removeprefix("this ").removeprefix("next ")
    for index, name in enumerate(WEEKDAYS):
        if bare[:3] == name[:3]:
            ahead = (index - today.weekday()) % 7
            if words.startswith("next ") and ahead == 0:
                ahead = 7
            return today + timedelta(days=ahead)
    number = re.search(r"\d{1,2}", words)
    month_name = re.search(r"[a-z]{3,}", words.replace("of ", ""))
    if number is None or month_name is None:
        return None
    month = next((n for n, name in enumerate(MONTHS, start=1) if name.startswith(month_name[0][:3])), None)
    for year in (today.year, today.year + 1):
        try:
            day = date(year, month, int(number[0]))
        except (TypeError, ValueError):
            return None
        if day >= today:
            return day
    return None


def _utc(day: date, at: time) -> datetime | None:
    """A London wall-clock time in UTC; the earlier of a time the clocks repeat, none for one they skip."""
    try:
        return uktime.london_to_utc(day, at, "BST" if uktime.is_ambiguous(day, at) else None)
    except uktime.NonexistentTimeError:
        return None


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day_end(received_at: datetime) -> datetime:
    """The end of the next working day (17:00 UK time, England's bank holidays off): an emailed enquiry's
    deadline until a press officer sets the journalist's own, so the log stays in order."""
    day = uktime.to_london(received_at).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return uktime.london_to_utc(day, END_OF_DAY)
