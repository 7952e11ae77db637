"""Back office: the day's money, for today or a range of days, on a page and as CSV."""

from flask import Response, render_template, request
from flask_login import current_user

from blueprints.admin import bp
from services import report


def _period():
    return report.parse_period(request.args.get("from"), request.args.get("to"), current_user.shop)


@bp.get("/day")
def day():
    shop = current_user.shop
    period = _period()
    return render_template(
        "admin/day.html",
        shop=shop,
        period=period,
        report=report.day_report(shop, period),
        duration_text=report.duration_text,
        age_text=report.age_text,
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
