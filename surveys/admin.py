import csv

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alumni.models import Branch
from core.questions import QuestionType, as_decimal, export_text
from core.spreadsheet import escape_formula
from core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from core.xlsx import stream_xlsx
from editorial.admin import EditorialAdminMixin

from .models import MAX_QUESTIONS, Question, Survey
from .selectors import ResultFilter, filtered_responses, survey_questions, survey_results

# Rows per piece of the streamed CSV.
ROWS_PER_PIECE = 500
# Answers the Excel export writes as numbers.
NUMBER_TYPES = (QuestionType.NUMBER, QuestionType.RATING)


class QuestionInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) > MAX_QUESTIONS:
            raise forms.ValidationError(
                _("A survey may have at most %(count)d questions.") % {"count": MAX_QUESTIONS}
            )


class QuestionInline(admin.StackedInline):
    model = Question
    formset = QuestionInlineFormSet
    extra = 0
    fields = (
        ("position", "type", "required"),
        "label",
        "help_text",
        ("choices", "rows"),
        ("min_value", "max_value", "max_length"),
        ("record_field", "record_label"),
    )
    formfield_overrides = {
        # Choices are typed one per line: a short box, not the admin's 10-row text area.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 4, "cols": 30})},
    }


class ResultFilterForm(forms.Form):
    class_year_from = forms.IntegerField(
        label=_("class year from"), required=False, min_value=1900, max_value=2100
    )
    class_year_to = forms.IntegerField(
        label=_("class year to"), required=False, min_value=1900, max_value=2100
    )
    branch = forms.ModelChoiceField(
        label=_("branch"), queryset=Branch.objects.order_by("name"), required=False
    )
    segment = forms.ModelChoiceField(label=_("segment"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from audience.models import Segment

        self.fields["segment"].queryset = Segment.objects.order_by("name")

    def result_filter(self) -> ResultFilter:
        if not self.is_valid():
            return ResultFilter()
        data = self.cleaned_data
        return ResultFilter(
            class_year_from=data.get("class_year_from"),
            class_year_to=data.get("class_year_to"),
            branch_id=data["branch"].pk if data.get("branch") else None,
            segment=data.get("segment"),
        )


@admin.register(Survey)
class SurveyAdmin(EditorialAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "status_badge",
        "respondents",
        "answer_count",
        "closes_at",
        "publication",
        "results_link",
    )
    list_display_links = ("title",)
    list_select_related = ("created_by",)
    search_fields = ("title", "digest")
    date_hierarchy = "created_at"
    inlines = [QuestionInline]
    public_preview_templates = ("surveys/detail.html",)
    fieldsets = [
        (None, {"fields": ["title", "digest", "body", "cover"]}),
        (_("Answers"), {"fields": ["respondents", "opens_at", "closes_at"]}),
        (_("Publishing"), {"fields": ["publish_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(answers=Count("responses"))

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "results_summary"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            (name, {**options, "fields": [*options["fields"], "results_summary"]})
            if name == _("Answers")
            else (name, options)
            for name, options in fieldsets
        ]

    @admin.display(description=_("results"))
    def results_summary(self, obj):
        url = reverse("admin:surveys_survey_results", args=[obj.pk])
        count = obj.responses.count()
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext(
                "%(count)d answer: see the results", "%(count)d answers: see the results", count
            )
            % {"count": count},
        )

    @admin.display(description=_("answers"), ordering="answers")
    def answer_count(self, obj):
        return obj.answers

    @admin.display(description=_("results"))
    def results_link(self, obj):
        url = reverse("admin:surveys_survey_results", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _gettext("Results"))

    def public_preview_context(self, request, obj):
        from .views import survey_form

        return {"survey": obj, "form": survey_form(survey_questions(obj))}

    def get_urls(self):
        def route(pattern, view, name):
            return path(pattern, self.admin_site.admin_view(view), name=f"surveys_survey_{name}")

        return [
            route("<int:pk>/results/", self.results_view, "results"),
            route("<int:pk>/results/export.csv", self.export_csv_view, "export_csv"),
            route("<int:pk>/results/export.xlsx", self.export_xlsx_view, "export_xlsx"),
            *super().get_urls(),
        ]

    def _survey_for_results(self, request, pk) -> Survey:
        if not (
            request.user.has_perm("surveys.view_results")
            or request.user.has_perm("surveys.change_survey")
        ):
            raise PermissionDenied
        return get_object_or_404(Survey, pk=pk)

    def results_view(self, request, pk: int):
        """Per-question charts and tables, filtered by the respondents' records."""
        survey = self._survey_for_results(request, pk)
        form = ResultFilterForm(request.GET or None)
        results = survey_results(survey, form.result_filter())
        query = request.GET.urlencode()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _gettext("Results: %(title)s") % {"title": survey.title},
            "survey": survey,
            "results": results,
            "form": form,
            "csv_url": reverse("admin:surveys_survey_export_csv", args=[pk])
            + (f"?{query}" if query else ""),
            "xlsx_url": reverse("admin:surveys_survey_export_xlsx", args=[pk])
            + (f"?{query}" if query else ""),
        }
        return TemplateResponse(request, "admin/surveys/results.html", context)

    def _rows(self, request, survey, *, numbers: bool = False):
        """The export's header and rows (one per response), read in chunks. With `numbers`,
        number and rating answers are numbers (a spreadsheet sums them), else text."""
        form = ResultFilterForm(request.GET or None)
        questions = survey_questions(survey)
        specs = [(str(q.pk), q.spec()) for q in questions]
        header = [_gettext("No."), _gettext("Answered at")]
        if survey.tied_to_record:
            header += [_gettext("Name"), _gettext("Class year"), _gettext("Branch")]
        header += [q.label for q in questions]
        yield header
        # Plain tuples, not model instances: at 50,000 answers building three objects a row
        # (answer, alumnus, branch) was a third of the export's time.
        responses = (
            filtered_responses(survey, form.result_filter())
            .order_by("pk")
            .values_list(
                "pk",
                "created_at",
                "answers",
                "alumnus__name",
                "alumnus__class_year",
                "alumnus__branch__name",
            )
        )
        tied = survey.tied_to_record
        # An answer of yes/no is most cells of many surveys: translated once, not per cell.
        yes, no = _gettext("Yes"), _gettext("No")
        columns = [(key, spec, numbers and spec.type in NUMBER_TYPES) for key, spec in specs]
        for pk, created_at, answers, name, class_year, branch in responses.iterator(
            chunk_size=2000
        ):
            row = [pk, timezone.localtime(created_at).strftime("%Y-%m-%d %H:%M")]
            if tied:
                row += [name or "", class_year or "", branch or ""]
            answers = answers or {}
            for key, spec, as_number in columns:
                stored = answers.get(key)
                # The two commonest cells, as export_text would write them, without its checks.
                if type(stored) is str:
                    row.append(stored)
                    continue
                if stored is True or stored is False:
                    row.append(yes if stored else no)
                    continue
                number = as_decimal(stored) if as_number else None
                row.append(export_text(spec, stored) if number is None else number)
            yield row

    def _filename(self, survey, extension: str) -> str:
        return (
            f'attachment; filename="survey-{survey.pk}-{timezone.localdate():%Y%m%d}.{extension}"'
        )

    def export_csv_view(self, request, pk: int):
        """Every response as a CSV row (UTF-8 with a BOM, Chinese headers, formulas escaped)."""
        survey = self._survey_for_results(request, pk)

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())

        def lines():
            # A few hundred rows per piece: under gunicorn each piece is a write to the socket.
            batch = ["\ufeff"]
            for row in self._rows(request, survey):
                batch.append(writer.writerow([escape_formula(str(cell)) for cell in row]))
                if len(batch) >= ROWS_PER_PIECE:
                    yield "".join(batch)
                    batch.clear()
            yield "".join(batch)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = self._filename(survey, "csv")
        return response

    def export_xlsx_view(self, request, pk: int):
        """Every response as an Excel row, streamed as it is written (core.xlsx: flat memory
        at any number of answers; formulas escaped)."""
        survey = self._survey_for_results(request, pk)
        rows = (
            [escape_formula(cell) for cell in row]
            for row in self._rows(request, survey, numbers=True)
        )
        response = StreamingHttpResponse(
            stream_xlsx(rows, sheet_title=survey.title), content_type=XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = self._filename(survey, "xlsx")
        return response
