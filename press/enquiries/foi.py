"""The statutory clock of FOI and EIR requests: which days are working days, and the day a reply is due.

Plain functions of dates, with no database: press.enquiries.foi_services reads the pauses and the one-off
non-working days and hands them in.

The rules, from the Freedom of Information Act 2000 and the Environmental Information Regulations 2004, as
the Information Commissioner's Office guidance on time limits (FOIA section 10) reads them:

- A reply is due no later than the twentieth working day following the date of receipt (FOI s.10(1), EIR
  reg. 5(2)). The day of receipt never counts: day one is the first working day after it.
- A working day is any day but a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday in any part
  of the United Kingdom (FOI s.10(6)). So Scotland's 2 January and St Andrew's Day and Northern Ireland's
  17 March and 12 July stop the clock everywhere, as do the substitute days when they fall at a weekend.
- Clarification: when the authority reasonably asks for more to identify the information, it need not
  comply until it has it (FOI s.1(3), EIR reg. 9(4)), and the "date of receipt" becomes the day the answer
  arrives (s.10(6)(b)). The ICO's guidance says the 20 working days do not start until the clarification is
  received, so the count starts afresh the day after it: the days before the question do not carry over.
- Fees notice: the working days from the day the notice is given to the day the fee is received, both
  included, are disregarded (FOI s.10(2)), and the count carries on the day after the fee arrives.
- Extension: for the public interest test (FOI s.10(3)) the ICO's guidance takes a reasonable extension to be
  no more than 20 further working days; for a complex and voluminous EIR request, regulation 7 allows up to
  40 working days in all, again 20 more. Either way the extension adds working days to the count.
"""

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import holidays

from press import uktime

STATUTORY_DAYS = 20
MOST_EXTRA_DAYS = 20
# Every part of the United Kingdom: a bank holiday in any of them is not a working day (FOI s.10(6)).
UK_PARTS = ("ENG", "WLS", "SCT", "NIR")
CLARIFICATION = "clarification"
FEES = "fees"
LAW_LABELS = {"foi": "FOI", "eir": "EIR"}


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """Christmas Day, Good Friday and the bank holidays (with substitute days) of every UK part, in one year."""
    days: set[date] = set()
    for part in UK_PARTS:
        days.update(holidays.UK(subdiv=part, years=year))
    return frozenset(days)


def working_day(day: date, extra_days: Set[date] = frozenset()) -> bool:
    """Whether the day counts towards the 20: a weekday that is not a UK bank holiday nor an admin's one-off day."""
    return day.weekday() < 5 and day not in bank_holidays(day.year) and day not in extra_days


@dataclass(frozen=True)
class Pause:
    """A wait on the requester: a clarification asked for, or a fees notice sent, and when it was answered."""

    kind: str
    started_on: date
    ended_on: date | None = None


def received_on(received_at: datetime) -> date:
    """The day of receipt is the UK day, so an email at 23:30 BST is received that day, not the next in UTC."""
    return uktime.to_london(received_at).date()


def due_date(received: date, pauses: Iterable[Pause] = (), extension_days: int = 0,
             extra_days: Set[date] = frozenset()) -> date | None:
    """The last day for the reply: the 20th working day after receipt (more with an extension), with the
    clock restarted by each answered clarification and stopped for each fees notice; None while waiting."""
    pauses = list(pauses)
    if any(pause.ended_on is None for pause in pauses):
        return None
    start = received
    for pause in pauses:
        if pause.kind == CLARIFICATION and pause.ended_on > start:
            start = pause.ended_on
    # The fees notices' days are disregarded only where they fall after the clock (re)started.
    stopped = [(pause.started_on, pause.ended_on) for pause in pauses if pause.kind == FEES and pause.ended_on > start]
    needed = STATUTORY_DAYS + max(0, min(extension_days, MOST_EXTRA_DAYS))
    day, counted = start, 0
    while counted < needed:
        day += timedelta(days=1)
        if working_day(day, extra_days) and not any(first <= day <= last for first, last in stopped):
            counted += 1
    return day


@dataclass(frozen=True)
class ClockState:
    """Where an FOI or EIR request's clock stands: due on a day, or paused since one."""

    law: str
    due_on: date | None
    paused_since: date | None = None

    @property
    def label(self) -> str:
        """What the log says: "FOI due 14 January 2027", "EIR due ...", or "Paused since 3 December 2026"."""
        if self.paused_since is not None:
            return f"Paused since {long_date(self.paused_since)}"
        if self.due_on is None:
            return ""
        return f"{LAW_LABELS.get(self.law, self.law.upper())} due {long_date(self.due_on)}"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def clock_state(law: str, received_at: datetime, pauses: Iterable[Pause], extension_days: int,
                extra_days: Set[date] = frozenset()) -> ClockState:
    """The clock of one request from its receipt, its pauses and its extension."""
    pauses = list(pauses)
    waiting = [pause.started_on for pause in pauses if pause.ended_on is None]
    if waiting:
        return ClockState(law, None, min(waiting))
    return ClockState(law, due_date(received_on(received_at), pauses, extension_days, extra_days))
