"""Back office: the day's money, for today or a range of days, on a page and as CSV."""

from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent
from flask import Response, render_template, request
from flask_babel import gettext, ngettext
from flask_login import current_user

from blueprints.admin import bp
from blueprints.admin.charts import Chart, bar_chart
from money import format_money, format_short
from services import cashup, report, takings, trends


def _period():
    return report.parse_period(request.args.get("from"), request.args.get("to"), current_user.shop)


@dataclass
class ChartView:
    """One chart on the page: its drawing(s) and the same numbers as a table."""

    id: str
    title: str
    summary: str
    drawings: list[tuple[Chart, str]]
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    legend: tuple[str, str] | None = None


def numbers(shop):
    """Counts, averages and shares written the shop's way (like its money)."""
    locale = shop.locale.replace("-", "_")

    def number(value, layout="#,##0.#") -> str:
        return format_decimal(value, format=layout, locale=locale)

    def percent(value) -> str:
        return format_percent(value, locale=locale)

    return number, percent


def _change_text(comparison: trends.Comparison, cash, percent) -> str:
    change = comparison.change
    if change is None:
        return gettext(
            "%(now)s; nothing was sold in the %(days)d days before.",
            now=cash(comparison.now),
            days=comparison.days,
        )
    if abs(change) < 0.005:
        return gettext(
            "%(now)s, about the same as the %(days)d days before.",
            now=cash(comparison.now),
            days=comparison.days,
        )
    words = gettext("%(now)s, up %(percent)s on the %(days)d days before (%(before)s).")
    if change < 0:
        words = gettext("%(now)s, down %(percent)s on the %(days)d days before (%(before)s).")
    return words % {
        "now": cash(comparison.now),
        "percent": percent(abs(change)),
        "days": comparison.days,
        "before": cash(comparison.before),
    }


def day_charts(found: trends.Trends, shop) -> list[ChartView]:
    """The day page's charts, drawn from the trends' numbers, with their words."""

    def cash(value) -> str:
        return format_money(int(value), shop.currency, shop.locale)

    def short(value) -> str:
        return format_short(int(value), shop.currency, shop.locale)

    number, percent = numbers(shop)

    def rating(value) -> str:
        return number(value, "0.0")

    charts = []
    hours = found.by_hour
    busiest = max(hours, key=lambda g: g.values[0], default=None)
    busiest_text = ""
    if busiest and busiest.values[0]:
        busiest_text = gettext(
            "Busiest hour: %(hour)s, %(amount)s.",
            hour=busiest.title,
            amount=cash(busiest.values[0]),
        )
    charts.append(
        ChartView(
            "by-hour",
            gettext("Sales and orders by hour"),
            busiest_text,
            [
                (bar_chart(hours, (0,), short), gettext("Sales")),
                (bar_chart(hours, (1,), number, whole=True), gettext("Items ordered")),
            ],
            [gettext("Hour"), gettext("Sales"), gettext("Items ordered")],
            [(g.title, [cash(g.values[0]), number(g.values[1])]) for g in hours],
        )
    )
    for comparison, chart_id, title, unit in (
        (found.week, "week", gettext("The last 7 days"), gettext("Day")),
        (found.month, "month", gettext("The last 28 days, week by week"), gettext("Week to")),
    ):
        now_name = gettext("Last %(days)d days", days=comparison.days)
        before_name = gettext("The %(days)d before", days=comparison.days)
        charts.append(
            ChartView(
                chart_id,
                title,
                _change_text(comparison, cash, percent),
                [(bar_chart(comparison.groups, (0, 1), short), "")],
                [unit, now_name, before_name],
                [(g.title, [cash(g.values[0]), cash(g.values[1])]) for g in comparison.groups],
                legend=(now_name, before_name),
            )
        )
    owed = found.owed_by_age
    charts.append(
        ChartView(
            "owed",
            gettext("Money owed now, by how long the tab has been open"),
            ngettext(
                "%(amount)s owed by %(num)d tab.",
                "%(amount)s owed by %(num)d tabs.",
                sum(g.values[1] for g in owed),
                amount=cash(sum(g.values[0] for g in owed)),
            ),
            [(bar_chart(owed, (0,), short), "")],
            [gettext("Open for"), gettext("Owed"), gettext("Tabs")],
            [(g.title, [cash(g.values[0]), str(g.values[1])]) for g in owed],
        )
    )
    given = [g for g in found.ratings if g.values[1]]
    count_given = sum(g.values[1] for g in given)
    ratings_text = ""
    if count_given:
        average = sum(g.values[0] * g.values[1] for g in given) / count_given
        ratings_text = ngettext(
            "%(num)d rating, %(average)s of 5 on average.",
            "%(num)d ratings, %(average)s of 5 on average.",
            count_given,
            average=rating(average),
        )
    charts.append(
        ChartView(
            "ratings",
            gettext("Ratings, the last 28 days"),
            ratings_text,
            [(bar_chart(found.ratings, (0,), rating, top=5), "")],
            [gettext("Day"), gettext("Average"), gettext("Ratings")],
            [(g.title, [rating(g.values[0]), str(g.values[1])]) for g in given],
        )
    )
    return charts


@bp.get("/day")
def day():
    shop = current_user.shop
    period = _period()
    day_report = report.day_report(shop, period)
    found = trends.trends(shop, period, day_report.owing)
    cash_ups = cashup.cash_ups(shop.id, period, report.staff_names(shop.id))
    number, percent = numbers(shop)
    return render_template(
        "admin/day.html",
        shop=shop,
        period=period,
        report=day_report,
        headline=day_report.headline,
        trends=found,
        charts=day_charts(found, shop),
        cash_ups=cash_ups,
        cash_difference=cashup.difference_of(cash_ups, shop.currency),
        is_today=period.is_single_day and period.first == shop.local_today(),
        number=number,
        percent=percent,
        duration_text=report.duration_text,
        age_text=report.age_text,
        deposit_kept=takings.deposit_kept,
        exports=report.EXPORTS,
    )


@bp.get("/day.csv")
def day_csv():
    shop = current_user.shop
    period = _period()
    what = request.args.get("what", "tabs")
    header, rows = report.export(shop, period, what)
    filename = f"{shop.slug}-{what}-{period.slug()}.csv"
    return Response(
        report.csv_text(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # Takings are private: no shared cache keeps a copy.
            "Cache-Control": "private, no-store",
        },
    )
