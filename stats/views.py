"""The office dashboard in the admin (/admin/dashboard/) and its CSV exports."""

import csv
from datetime import date
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .charts import CHART_SERIES_MAX, bar_chart, line_chart
from .forms import PRESETS, DateRangeForm
from .selectors import TABLES, Dashboard, Table


def _range(request):
    form = DateRangeForm(request.GET or None)
    start, end = form.date_range(today=timezone.localdate())
    return form, start, end


def _line(table: Table, label: str, *, skip_last: bool = False) -> str:
    """One line per column of a per-day table; columns beyond the first few summed as Other."""
    columns = table.columns[1:-1] if skip_last else table.columns[1:]
    values = [[row[i + 1] for row in table.rows] for i in range(len(columns))]
    series = list(zip(columns, values, strict=True))
    if len(series) > CHART_SERIES_MAX:
        rest = series[CHART_SERIES_MAX - 1 :]
        other = [sum(day) for day in zip(*[v for _name, v in rest], strict=True)]
        series = [*series[: CHART_SERIES_MAX - 1], (_("Other"), other)]
    days = [row[0] for row in table.rows]
    return line_chart(days=[date.fromisoformat(d) for d in days], series=series, label=label)


def _bars(table: Table, *, column: int, label: str) -> str:
    bars = [(str(row[0]), row[column]) for row in table.rows if row[column] is not None]
    return bar_chart(bars=bars[:12], label=label)


@staff_member_required
def dashboard(request):
    form, start, end = _range(request)
    board = Dashboard(start=start, end=end)
    tables = {slug: build(board) for slug, build in TABLES.items()}
    days = tables["views-by-day"]
    signups = tables["signups-by-day"]
    donations = tables["donations-by-day"]
    modules = tables["modules-ranked"]
    charts = {
        "views-by-day": _line(days, _("Page views per day by module")),
        "category-views-by-day": _line(
            tables["category-views-by-day"], _("News page views per day by category")
        ),
        "department-views-by-day": _line(
            tables["department-views-by-day"], _("News page views per day by source department")
        ),
        "signups-by-day": _line(signups, _("Activity sign-ups per day")),
        "donations-by-day": line_chart(
            days=board.days,
            series=[(_("Amount (yuan)"), [row[2] for row in donations.rows])],
            label=_("Donations per day"),
        ),
        "modules-ranked": _bars(modules, column=4, label=_("Modules by views per post")),
        "categories-ranked": _bars(
            tables["categories-ranked"], column=4, label=_("News categories by views per post")
        ),
        "departments-ranked": _bars(
            tables["departments-ranked"],
            column=4,
            label=_("Source departments by views per post"),
        ),
        "donations-by-project": _bars(
            tables["donations-by-project"], column=2, label=_("Donations per project")
        ),
    }
    query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    sections = [
        (_("Page views"), ["views-by-day", "category-views-by-day", "department-views-by-day"]),
        (_("Most read"), ["top-7-days", "top-30-days"]),
        (_("What alumni like"), ["modules-ranked", "categories-ranked", "departments-ranked"]),
        (
            _("Sign-ups and donations"),
            ["signups-by-day", "donations-by-day", "donations-by-project"],
        ),
        (_("WeChat"), ["wechat-by-push", "wechat-by-source"]),
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Reading statistics"),
        "form": form,
        "start": start,
        "end": end,
        "presets": [
            (n, f"?days={n}", (end - start).days + 1 == n and end == timezone.localdate())
            for n in PRESETS
        ],
        "summary": {
            "views": sum(row[-1] for row in days.rows),
            "visitors": sum(row[2] for row in modules.rows),
            "signups": sum(row[1] for row in signups.rows),
            "gifts": sum(row[1] for row in donations.rows),
            "amount": sum((row[2] for row in donations.rows), start=0),
        },
        "sections": [
            (
                heading,
                [
                    {
                        "table": tables[slug],
                        "chart": charts.get(slug, ""),
                        "long": len(tables[slug].rows) > 15,
                        "export_url": f"{reverse('stats:export', args=[slug])}?{query}",
                    }
                    for slug in slugs
                ],
            )
            for heading, slugs in sections
        ],
    }
    return TemplateResponse(request, "stats/dashboard.html", context)


@staff_member_required
def export_csv(request, table: str):
    """One dashboard table as CSV (UTF-8 with a BOM, so Excel opens the Chinese right)."""
    build = TABLES.get(table)
    if build is None:
        raise Http404
    _form, start, end = _range(request)
    data = build(Dashboard(start=start, end=end))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(data.columns)
    writer.writerows([["" if cell is None else str(cell) for cell in row] for row in data.rows])
    return response
