"""How the press office is doing with enquiries: figures and charts drawn by the app itself."""

from datetime import date

from flask import render_template, request

from press import clock, uktime
from press.accounts.access import staff_required
from press.enquiries import stats
from press.enquiries.blueprints import staff as bp
from press.enquiries.charts import bar_chart, describe
from press.extensions import db


def chosen_weeks() -> int:
    """The period asked for in the query string; anything other than an offered choice means the default."""
    offered = {str(weeks): weeks for weeks in stats.PERIODS}
    return offered.get(request.args.get("weeks", ""), stats.DEFAULT_WEEKS)


def week_label(monday: date, current: bool) -> str:
    return f"{monday.day} {monday:%b %Y}" + (" (so far)" if current else "")


@bp.get("/dashboard")
@staff_required
def dashboard():
    """Show the chosen period's figures and charts, and everyone's open and overdue enquiries as they are now."""
    now = clock.now()
    period = stats.period_ending(now, chosen_weeks())
    received = stats.received(db.session, period)
    last = len(received.weeks) - 1
    week_rows = [(week_label(monday, n == last), count) for n, (monday, count) in enumerate(received.weeks)]
    kind_rows = [(count.label, count.value) for count in received.kinds]
    outlet_rows = [(count.label, count.value) for count in stats.outlet_counts(db.session, period, received.total)]
    span = f"Weeks beginning {uktime.format_date(period.mondays[0])} to {uktime.format_date(period.mondays[-1])}. "
    charts = {
        "weeks": bar_chart("chart-weeks", "Enquiries received per week",
                           span + describe(week_rows, "in the week of {}"), week_rows),
        "kinds": bar_chart("chart-kinds", "Enquiries by type", describe(kind_rows, "were of the type {}"),
                           kind_rows),
        "outlets": bar_chart("chart-outlets", f"Enquiries by outlet: the top {stats.TOP_OUTLETS} and the rest",
                             describe(outlet_rows, "from {}"), outlet_rows),
    }
    return render_template(
        "enquiries/dashboard.html", period=period, periods=stats.PERIODS, now=now, total=received.total,
        charts=charts, share=received.share, median=stats.median_response(db.session, period),
        format_duration=stats.format_duration, workloads=stats.workloads(db.session, now),
    )
