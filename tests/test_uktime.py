from datetime import UTC, date, datetime, time

import pytest

from press import uktime


def test_summer_time_is_bst():
    moment = uktime.london_to_utc(date(2024, 9, 4), time(0, 1))
    assert moment == datetime(2024, 9, 3, 23, 1, tzinfo=UTC)
    assert uktime.format_moment(moment) == "00:01 BST, Wednesday 4 September 2024"


def test_winter_time_is_gmt():
    moment = uktime.london_to_utc(date(2025, 1, 15), time(10, 30))
    assert moment == datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
    assert uktime.format_moment(moment) == "10:30 GMT, Wednesday 15 January 2025"


def test_time_skipped_in_spring_is_refused():
    with pytest.raises(uktime.NonexistentTimeError, match="does not exist"):
        uktime.london_to_utc(date(2025, 3, 30), time(1, 30))


def test_repeated_time_in_autumn_needs_a_zone():
    day, at = date(2024, 10, 27), time(1, 30)
    assert uktime.is_ambiguous(day, at)
    with pytest.raises(uktime.AmbiguousTimeError, match="happens twice"):
        uktime.london_to_utc(day, at)
    assert uktime.london_to_utc(day, at, "BST") == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert uktime.london_to_utc(day, at, "GMT") == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)


def test_wrong_zone_for_the_date_is_refused():
    with pytest.raises(ValueError, match="BST, not GMT"):
        uktime.london_to_utc(date(2024, 7, 1), time(9, 0), "GMT")


def test_boundaries_are_not_ambiguous():
    assert not uktime.is_ambiguous(date(2024, 10, 27), time(2, 0))
    assert not uktime.is_ambiguous(date(2024, 10, 27), time(0, 59))
    assert not uktime.is_nonexistent(date(2025, 3, 30), time(2, 0))


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2024, 4, 1), "2024/25"), (date(2025, 3, 31), "2024/25"), (date(2000, 1, 1), "1999/00")],
)
def test_financial_year(day, year):
    assert uktime.financial_year(day) == year
