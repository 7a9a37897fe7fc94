"""Horizontal bar charts laid out in Python and drawn as inline SVG by a template: no script, no CDN."""

from dataclasses import dataclass

WIDTH = 600
ROW = 28
BAR_HEIGHT = 20
PAD = 6
VALUE_ROOM = 64  # right of the longest bar, for its value label ("10,000" in bold)
CHAR_WIDTH = 7.8  # a generous average width of one character at the chart's 14px type
MAX_LABEL = 32  # characters of a category label drawn in the chart; the table beside it has the full text


@dataclass(frozen=True)
class PlacedBar:
    """One bar with its position, ready for the template to draw."""

    label: str
    short_label: str
    value: int
    y: int
    width: float
    text_y: int
    value_x: float


@dataclass(frozen=True)
class BarChart:
    """A whole chart: its accessible name and description, its size and its bars."""

    id: str
    title: str
    description: str
    bars: list[PlacedBar]
    width: int
    height: int
    label_end: int
    bar_start: int
    bar_height: int = BAR_HEIGHT


def shorten(label: str, limit: int = MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, description: str, rows: list[tuple[str, int]]) -> BarChart:
    """Place one bar per row, scaled so the largest value fills the room; a zero is a label with no bar.

    The labels' column is as wide as the longest (shortened) label needs, so no label runs off the left edge.
    """
    labels = [shorten(label) for label, _ in rows]
    label_end = round(max((len(label) for label in labels), default=1) * CHAR_WIDTH) + PAD
    bar_start = label_end + 8
    room = WIDTH - bar_start - VALUE_ROOM
    largest = max((value for _, value in rows), default=0) or 1
    bars = []
    for n, ((label, value), short) in enumerate(zip(rows, labels, strict=True)):
        y = PAD + n * ROW
        width = round(room * value / largest, 1)
        bars.append(PlacedBar(label=label, short_label=short, value=value, y=y, width=width,
                              text_y=y + BAR_HEIGHT // 2, value_x=bar_start + width + 6))
    return BarChart(id=chart_id, title=title, description=description, bars=bars, width=WIDTH,
                    height=2 * PAD + max(len(rows), 1) * ROW, label_end=label_end, bar_start=bar_start)


def describe(rows: list[tuple[str, int]], most: str) -> str:
    """A sentence for people who cannot see the chart: the total and the largest bar (``most`` names it)."""
    total = sum(value for _, value in rows)
    label, value = max(rows, key=lambda row: row[1], default=("", 0))
    return (f"{total:,} {'enquiry' if total == 1 else 'enquiries'} in all. "
            f"The most, {value:,}, {most.format(label)}. Every figure is also in the table after the chart.")
