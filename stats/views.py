"""The office dashboard in the admin (/admin/dashboard/) and its CSV exports."""

import csv
import importlib.util
from datetime import date
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.spreadsheet import escape_formula

from .charts import CHART_SERIES_MAX, bar_chart, line_chart
from .forms import PRESETS, DateRangeForm
from .selectors import TABLES, Dashboard, Link, Table
from .selectors.dashboard import ONLINE_GIVING_PERMISSION, ONLINE_GIVING_TABLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def table_html(table: Table) -> SafeString:
    """The table as HTML, built here: a year of days through the template engine took a second."""
    number = ' class="number"'
    classes = [number if i >= table.text_columns else "" for i in range(len(table.columns))]
    head = "".join(
        f'<th scope="col"{css}>{escape(str(column))}</th>'
        for css, column in zip(classes, table.columns, strict=True)
    )
    rows = []
    for row in table.rows:
        cells = []
        for css, cell in zip(classes, row, strict=True):
            if isinstance(cell, int | Decimal) and css and not isinstance(cell, bool):
                # Grouped in thousands as core.money writes amounts (4,207,884.00; a Decimal
                # keeps its places). The language's own format would not group: zh-hans has
                # no thousands separator. Numbers in text columns (ids) are left as they are.
                text = f"{cell:,}"
            elif isinstance(cell, int | Decimal):
                text = str(cell)
            elif isinstance(cell, Link):
                text = f'<a href="{escape(cell.url)}">{escape(cell.text)}</a>'
            else:
                text = "—" if cell is None else escape(str(cell))
            cells.append(f"<td{css}>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    if not rows:
        empty = escape(_("Nothing in this range."))
        rows.append(f'<tr><td colspan="{len(table.columns)}">{empty}</td></tr>')
    # Every text above was escaped (the standard library's escape: Django's checks for lazy
    # strings on each call, which was most of the time here).
    return mark_safe(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _bars(table: Table, *, column: int, label: str) -> str:
    bars = [(str(row[0]), row[column]) for row in table.rows if row[column] is not None]
    return bar_chart(bars=bars[:12], label=label)


def _followers_total(days: list[date], table: Table) -> str:
    """Followers over time; a day without a count draws the day before's (the table shows —)."""
    known = [row[1] for row in table.rows if row[1] is not None]
    if not known:
        return ""
    values, last = [], known[0]
    for row in table.rows:
        last = row[1] if row[1] is not None else last
        values.append(last)
    return line_chart(days=days, series=[(_("Followers"), values)], label=_("WeChat followers"))


@staff_member_required
def dashboard(request):
    form, start, end = _range(request)
    board = Dashboard(start=start, end=end)
    # Online giving's figures are built (and shown) only for those allowed to see them.
    online = request.user.has_perm(ONLINE_GIVING_PERMISSION)
    tables = {
        slug: build(board)
        for slug, build in TABLES.items()
        if online or slug not in ONLINE_GIVING_TABLES
    }
    days = tables["views-by-day"]
    signups = tables["signups-by-day"]
    donations = tables["donations-by-day"]
    modules = tables["modules-ranked"]
    charts = {
        "views-by-day": _line(days, _("Page views per day by module"), skip_last=True),
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
        "wechat-source-by-day": _line(
            tables["wechat-source-by-day"], _("WeChat reads per day by source")
        ),
        "followers-total": _followers_total(board.days, tables["followers-by-day"]),
        "followers-by-day": line_chart(
            days=board.days,
            series=[
                (_("New followers"), [row[2] for row in tables["followers-by-day"].rows]),
                (_("Unfollowed"), [row[3] for row in tables["followers-by-day"].rows]),
            ],
            label=_("WeChat followers per day"),
        ),
        "channel-followers-by-day": _line(
            tables["channel-followers-by-day"], _("New followers per day by channel QR code")
        ),
        "channels-ranked": _bars(
            tables["channels-ranked"], column=2, label=_("New followers by channel QR code")
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
    if online:
        charts["online-by-day"] = line_chart(
            days=board.days,
            series=[(_("Amount (yuan)"), [row[2] for row in tables["online-by-day"].rows])],
            label=_("Online gifts per day"),
        )
        for slug, label in (
            ("online-by-project", _("Online gifts per project")),
            ("online-by-channel", _("Online gifts per channel")),
        ):
            charts[slug] = _bars(tables[slug], column=2, label=label)
    query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    sections = [
        (_("Page views"), ["views-by-day", "category-views-by-day", "department-views-by-day"]),
        (_("Most read"), ["top-7-days", "top-30-days"]),
        (_("What alumni like"), ["modules-ranked", "categories-ranked", "departments-ranked"]),
        (
            _("Sign-ups and donations"),
            ["signups-by-day", "attendance", "donations-by-day", "donations-by-project"],
        ),
        (_("Pushes"), ["pushes"]),
        (
            _("WeChat"),
            ["followers-by-day", "wechat-by-push", "wechat-by-source", "wechat-source-by-day"],
        ),
        (_("Channel QR codes"), ["channel-followers-by-day", "channels-ranked"]),
    ]
    if online:
        sections.insert(4, (_("Online giving"), list(ONLINE_GIVING_TABLES)))
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
                        "html": table_html(tables[slug]),
                        "chart": charts.get(slug, ""),
                        "extra_chart": (
                            charts["followers-total"] if slug == "followers-by-day" else ""
                        ),
                        "long": len(tables[slug].rows) > 15,
                        "export_url": f"{reverse('stats:export', args=[slug])}?{query}",
                        "xlsx_url": (
                            f"{reverse('stats:export_xlsx', args=[slug])}?{query}"
                            if xlsx_available()
                            else ""
                        ),
                    }
                    for slug in slugs
                ],
            )
            for heading, slugs in sections
        ],
    }
    return TemplateResponse(request, "stats/dashboard.html", context)


def _export(request, table: str, extension: str, content_type: str):
    build = TABLES.get(table)
    if build is None:
        raise Http404
    if table in ONLINE_GIVING_TABLES and not request.user.has_perm(ONLINE_GIVING_PERMISSION):
        raise PermissionDenied
    _form, start, end = _range(request)
    data = build(Dashboard(start=start, end=end))
    response = HttpResponse(content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{start.isoformat()}-{end.isoformat()}.{extension}"'
    )
    return data, response


@staff_member_required
def export_csv(request, table: str):
    """One dashboard table as CSV (UTF-8 with a BOM, so Excel opens the Chinese right)."""
    data, response = _export(request, table, "csv", "text/csv; charset=utf-8")
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([escape_formula(str(column)) for column in data.columns])
    writer.writerows(
        [[escape_formula("" if cell is None else str(cell)) for cell in row] for row in data.rows]
    )
    return response


def xlsx_available() -> bool:
    return importlib.util.find_spec("openpyxl") is not None


@staff_member_required
def export_xlsx(request, table: str):
    """One dashboard table as an Excel workbook (needs openpyxl; 404 without it)."""
    if not xlsx_available():
        raise Http404
    from openpyxl import Workbook

    data, response = _export(request, table, "xlsx", XLSX)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table[:31])
    sheet.append([escape_formula(str(column)) for column in data.columns])
    for row in data.rows:
        # openpyxl stores any text starting with "=" as a formula.
        sheet.append(
            [escape_formula(str(cell) if isinstance(cell, Link) else cell) for cell in row]
        )
    book.save(response)
    return response
