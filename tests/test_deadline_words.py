"""Deadlines in a journalist's words, read as UK time from when the email arrived, never in the past."""

from datetime import UTC, datetime

import pytest

from press.enquiries.deadlines import next_working_day_end, suggest

# Tuesday 3 September 2024, 11:00 BST.
TUESDAY = datetime(2024, 9, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected", "words"), [
    ("My deadline 4pm today, thanks", datetime(2024, 9, 3, 15, 0, tzinfo=UTC), "deadline 4pm today"),
    ("Could you reply by 10am tomorrow?", datetime(2024, 9, 4, 9, 0, tzinfo=UTC), "by 10am tomorrow"),
    ("I need it by noon.", datetime(2024, 9, 3, 11, 0, tzinfo=UTC), "need it by noon"),
    ("Needed by 5.30pm on Friday", datetime(2024, 9, 6, 16, 30, tzinfo=UTC), "Needed by 5.30pm on Friday"),
    ("a response by end of day would be great", datetime(2024, 9, 3, 16, 0, tzinfo=UTC), "by end of day"),
    ("Filming by 3 December at the latest", datetime(2024, 12, 3, 17, 0, tzinfo=UTC), "by 3 December"),
    ("Deadline: 14:00", datetime(2024, 9, 3, 13, 0, tzinfo=UTC), "Deadline: 14:00"),
    ("deadline is Friday at 3pm", datetime(2024, 9, 6, 14, 0, tzinfo=UTC), "deadline is Friday at 3pm"),
    ("By 2:30pm tomorrow, please", datetime(2024, 9, 4, 13, 30, tzinfo=UTC), "By 2:30pm tomorrow"),
    ("before 4.30pm on Thursday", datetime(2024, 9, 5, 15, 30, tzinfo=UTC), "before 4.30pm on Thursday"),
    ("by Monday", datetime(2024, 9, 9, 16, 0, tzinfo=UTC), "by Monday"),
    ("by the 3rd of December", None, None),
    ("by 3rd of December", datetime(2024, 12, 3, 17, 0, tzinfo=UTC), "by 3rd of December"),
])
def test_uk_phrasing_is_read_in_london_time(text, expected, words):
    found = suggest(text, TUESDAY)
    if expected is None:
        assert found is None
    else:
        assert found == (expected, words)


def test_a_time_of_day_already_gone_is_tomorrows_and_a_day_already_gone_is_none():
    evening = datetime(2024, 9, 3, 18, 0, tzinfo=UTC)  # 19:00 BST
    assert suggest("by 9am", evening) == (datetime(2024, 9, 4, 8, 0, tzinfo=UTC), "by 9am")
    assert suggest("deadline 4pm today", evening) is None, "4pm today has gone: no suggestion in the past"
    assert suggest("deadline 4pm today, or failing that by 10am tomorrow", evening)[1] == "by 10am tomorrow"
    assert suggest("by 3 September", datetime(2024, 9, 4, 8, 0, tzinfo=UTC))[0].year == 2025


def test_words_that_give_no_deadline_suggest_none():
    for text in ("This was written by the council's press team.", "by 10", "deadline approaching", "",
                 "by 31 February", "by 25pm today"):
        assert suggest(text, TUESDAY) is None, text


def test_quoted_lines_of_an_earlier_email_are_not_read():
    text = "Thanks, that answers it.\n\n> My deadline 4pm today"
    assert suggest(text, TUESDAY) is None


def test_on_the_day_the_clocks_go_back_tomorrow_is_in_gmt():
    # Saturday 26 October 2024, 20:00 BST; the clocks go back at 02:00 BST on Sunday.
    saturday = datetime(2024, 10, 26, 19, 0, tzinfo=UTC)
    assert suggest("by 10am tomorrow", saturday) == (datetime(2024, 10, 27, 10, 0, tzinfo=UTC), "by 10am tomorrow")
    # 01:30 happens twice that night: the first, in BST, is the one suggested.
    assert suggest("by 1.30am tomorrow", saturday)[0] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


def test_on_the_day_the_clocks_go_forward_today_is_in_bst():
    # Sunday 31 March 2024, 08:00 BST: the clocks went forward at 01:00 GMT.
    sunday = datetime(2024, 3, 31, 7, 0, tzinfo=UTC)
    assert suggest("deadline 4pm today", sunday) == (datetime(2024, 3, 31, 15, 0, tzinfo=UTC), "deadline 4pm today")
    before = datetime(2024, 3, 30, 20, 0, tzinfo=UTC)
    assert suggest("by 1.30am tomorrow", before) is None, "01:30 does not exist that night"
    assert suggest("by noon tomorrow", before) == (datetime(2024, 3, 31, 11, 0, tzinfo=UTC), "by noon tomorrow")


def test_the_default_deadline_is_the_end_of_the_next_working_day():
    # Friday 23 August 2024: the next working day is Tuesday 27, after the bank holiday Monday.
    assert next_working_day_end(datetime(2024, 8, 23, 12, 0, tzinfo=UTC)) == datetime(2024, 8, 27, 16, 0, tzinfo=UTC)
    assert next_working_day_end(TUESDAY) == datetime(2024, 9, 4, 16, 0, tzinfo=UTC)
    # Christmas Eve 2024 is a Tuesday: Christmas and Boxing Day are bank holidays; 17:00 GMT on Friday 27.
    assert next_working_day_end(datetime(2024, 12, 24, 9, 0, tzinfo=UTC)) == datetime(2024, 12, 27, 17, 0, tzinfo=UTC)
