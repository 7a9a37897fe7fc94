"""The FOI and EIR statutory clock as a rule of dates: working days across the UK, receipt, pauses, extensions."""

from datetime import UTC, date, datetime

import pytest

from press.enquiries import foi
from press.enquiries.foi import Pause, due_date, working_day


def test_weekends_never_count():
    assert working_day(date(2026, 9, 7))  # a Monday
    assert not working_day(date(2026, 9, 5)) and not working_day(date(2026, 9, 6))


@pytest.mark.parametrize(("day", "why"), [
    (date(2026, 12, 25), "Christmas Day"),
    (date(2026, 12, 28), "the substitute for Boxing Day, a Saturday in 2026"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 1, 4), "Scotland's substitute for 2 January, a Saturday in 2027"),
    (date(2026, 1, 2), "2 January, a bank holiday in Scotland only"),
    (date(2026, 11, 30), "St Andrew's Day, Scotland"),
    (date(2025, 12, 1), "the substitute for St Andrew's Day, a Sunday in 2025"),
    (date(2026, 3, 17), "St Patrick's Day, Northern Ireland"),
    (date(2027, 7, 12), "the Battle of the Boyne, Northern Ireland"),
    (date(2026, 7, 13), "the substitute for 12 July, a Sunday in 2026"),
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 6), "Easter Monday, England, Wales and Northern Ireland"),
    (date(2026, 8, 3), "the summer bank holiday in Scotland"),
    (date(2026, 8, 31), "the summer bank holiday in England, Wales and Northern Ireland"),
])
def test_a_bank_holiday_of_any_part_of_the_uk_stops_the_clock(day, why):
    assert day.weekday() < 5
    assert not working_day(day), why


@pytest.mark.parametrize(("day", "why"), [
    (date(2022, 6, 2), "the spring bank holiday, moved for the Platinum Jubilee"),
    (date(2022, 6, 3), "the Platinum Jubilee bank holiday"),
    (date(2022, 9, 19), "the state funeral of Queen Elizabeth II"),
    (date(2023, 5, 8), "the coronation of King Charles III"),
])
def test_the_one_off_bank_holidays_of_2022_and_2023_are_known_to_the_holidays_library(day, why):
    # The installed holidays library has these itself; a later one-off day it does not know yet is added by an
    # admin (test_an_admins_one_off_day_stops_the_clock).
    assert not working_day(day), why
    assert day in foi.bank_holidays(day.year)


def test_ordinary_weekdays_around_them_count():
    for day in (date(2022, 5, 31), date(2022, 9, 20), date(2023, 5, 9), date(2026, 3, 18), date(2026, 12, 29)):
        assert working_day(day), day


def test_the_day_of_receipt_never_counts_and_the_twentieth_working_day_after_is_due():
    # Received Monday 7 September 2026: day one is Tuesday 8th, day 20 Monday 5 October.
    assert due_date(date(2026, 9, 7)) == date(2026, 10, 5)


def test_a_request_received_on_a_saturday_starts_on_the_monday():
    # Day one is Monday 7 September; day 20 is Friday 2 October.
    assert due_date(date(2026, 9, 5)) == date(2026, 10, 2)
    assert due_date(date(2026, 9, 6)) == date(2026, 10, 2)


def test_receipt_is_the_uk_day_not_the_utc_one():
    # 23:30 UTC on Friday 4 September 2026 is 00:30 BST on Saturday 5th.
    assert foi.received_on(datetime(2026, 9, 4, 23, 30, tzinfo=UTC)) == date(2026, 9, 5)
    # In winter London is on UTC: 23:30 is still the same day.
    assert foi.received_on(datetime(2026, 12, 11, 23, 30, tzinfo=UTC)) == date(2026, 12, 11)


def test_christmas_and_new_year_2026_27():
    # Received Friday 11 December 2026. Day one is Monday 14th; Christmas Day, Monday 28th (Boxing Day's substitute),
    # New Year's Day and Monday 4 January (Scotland's substitute for 2 January) are skipped: due Thursday 14 January.
    assert due_date(date(2026, 12, 11)) == date(2027, 1, 14)
    assert foi.ClockState("foi", due_date(date(2026, 12, 11))).label == "FOI due 14 January 2027"
    # Received Monday 14th: due Friday 15 January.
    assert due_date(date(2026, 12, 14)) == date(2027, 1, 15)


def test_scotlands_2_january_moves_the_due_date():
    # Received Wednesday 31 December 2025: 1 and 2 January do not count, day one is Monday 5 January 2026.
    assert due_date(date(2025, 12, 31)) == date(2026, 1, 30)


def test_st_andrews_day_and_its_substitute_move_the_due_date():
    # Received Monday 16 November 2026; St Andrew's Day, Monday 30th, does not count: due Tuesday 15 December.
    assert due_date(date(2026, 11, 16)) == date(2026, 12, 15)
    # 2025: St Andrew's Day is a Sunday and Monday 1 December is its substitute.
    assert due_date(date(2025, 11, 17)) == date(2025, 12, 16)


def test_northern_irelands_17_march_and_12_july_move_the_due_date():
    # Received Monday 2 March 2026; Tuesday 17th does not count: due Tuesday 31 March.
    assert due_date(date(2026, 3, 2)) == date(2026, 3, 31)
    # Received Monday 28 June 2027; Monday 12 July does not count: due Tuesday 27 July.
    assert due_date(date(2027, 6, 28)) == date(2027, 7, 27)


def test_the_2022_state_funeral_and_the_2023_coronation_move_the_due_date():
    # Received Monday 5 September 2022; Monday 19th does not count: due Tuesday 4 October.
    assert due_date(date(2022, 9, 5)) == date(2022, 10, 4)
    # Received Monday 1 May 2023 (the early May bank holiday): day one is Tuesday 2nd; the coronation on Monday 8th
    # and the spring bank holiday on Monday 29th do not count: due Wednesday 31 May.
    assert due_date(date(2023, 5, 1)) == date(2023, 5, 31)


def test_an_admins_one_off_day_stops_the_clock():
    one_off = frozenset({date(2026, 9, 21)})
    assert not working_day(date(2026, 9, 21), one_off)
    assert due_date(date(2026, 9, 7), extra_days=one_off) == date(2026, 10, 6)


def test_a_fees_notice_stops_the_clock_until_the_fee_arrives():
    # Received Monday 7 September 2026; four working days gone when the notice is sent on Monday 14th; the fee
    # arrives Friday 18th. Those five days are disregarded and the count carries on from Monday 21st: due 12 October.
    paused = Pause(foi.FEES, date(2026, 9, 14), date(2026, 9, 18))
    assert due_date(date(2026, 9, 7), [paused]) == date(2026, 10, 12)


def test_an_answered_clarification_starts_the_twenty_days_afresh():
    # Asked Thursday 10 September, answered Tuesday 15th: day one is Wednesday 16th, day 20 Tuesday 13 October.
    asked = Pause(foi.CLARIFICATION, date(2026, 9, 10), date(2026, 9, 15))
    assert due_date(date(2026, 9, 7), [asked]) == date(2026, 10, 13)


def test_while_a_pause_is_open_there_is_no_due_date():
    waiting = Pause(foi.FEES, date(2026, 9, 14))
    assert due_date(date(2026, 9, 7), [waiting]) is None
    state = foi.clock_state("foi", datetime(2026, 9, 7, 9, 0, tzinfo=UTC), [waiting], 0)
    assert state.due_on is None and state.paused_since == date(2026, 9, 14)
    assert state.label == "Paused since 14 September 2026"


def test_an_extension_adds_working_days_up_to_twenty():
    assert due_date(date(2026, 9, 7), extension_days=20) == date(2026, 11, 2)
    assert due_date(date(2026, 9, 7), extension_days=5) == date(2026, 10, 12)
    # Never more than 20 further working days: 40 in all, as the EIR allow for a complex request.
    assert due_date(date(2026, 9, 7), extension_days=99) == date(2026, 11, 2)


def test_an_eir_request_says_so():
    state = foi.clock_state("eir", datetime(2026, 9, 7, 9, 0, tzinfo=UTC), [], 0)
    assert state.label == "EIR due 5 October 2026"

