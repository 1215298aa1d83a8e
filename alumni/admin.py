from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as ie_fields
from import_export import resources, widgets
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX

from core.admin import IsSetFilter
from core.names import display_name
from core.spreadsheet import (
    ColumnNamesExportForm,
    ExcelCSV,
    FormulaSafeResourceMixin,
    UnreadableFileError,
)
from editorial.admin import EditorialAdminMixin
from editorial.roles import LIAISON

from .models import AlumniProfile, Alumnus, Branch, Gender
from .selectors import branch_leaderboard

LEADERBOARD_PERIODS = {
    "30d": ("last_30_days", _("Last 30 days")),
    "12m": ("last_12_months", _("Last 12 months")),
    "all": ("all_time", _("All time")),
}


def _liaison_label(user) -> str:
    name = display_name(user)
    return name if name == user.get_username() else f"{name}（{user.get_username()}）"


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "region", "contact_name", "member_count", "liaison_count")
    list_filter = ("region", "city")
    search_fields = ("name", "city", "region", "contact_name")
    filter_horizontal = ("liaisons",)
    change_list_template = "admin/alumni/branch/change_list.html"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """The liaisons picker offers liaison accounts (and whoever is a branch's liaison
        already), named as people read them; it listed every login, the office's own too."""
        if db_field.name == "liaisons":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(
                    Q(groups__name=LIAISON)
                    | Q(user_permissions__codename="use_liaison_portal")
                    | Q(liaison_branches__isnull=False)
                )
                .distinct()
                .order_by("last_name", "first_name", "username")
            )
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label_from_instance = _liaison_label
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("members", distinct=True),
                liaison_count=Count("liaisons", distinct=True),
            )
        )

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.display(description=_("liaisons"), ordering="liaison_count")
    def liaison_count(self, obj):
        return obj.liaison_count

    def get_urls(self):
        return [
            path(
                "leaderboard/",
                self.admin_site.admin_view(self.leaderboard_view),
                name="alumni_branch_leaderboard",
            ),
            *super().get_urls(),
        ]

    def leaderboard_view(self, request):
        """Branches ranked by accepted liaison submissions in the chosen period."""
        period = request.GET.get("period", "30d")
        if period not in LEADERBOARD_PERIODS:
            period = "30d"
        column = LEADERBOARD_PERIODS[period][0]
        branches = branch_leaderboard().order_by(f"-{column}", "-all_time", "name")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Contributor leaderboard"),
            "branches": branches,
            "period": period,
            "periods": [(key, label) for key, (_col, label) in LEADERBOARD_PERIODS.items()],
        }
        return TemplateResponse(request, "admin/alumni/leaderboard.html", context)


class GenderWidget(widgets.Widget):
    """男/女 (or m/f, or empty) in a spreadsheet; refuses anything else."""

    VALUES = {"": "", "男": "m", "女": "f", "m": "m", "f": "f", "male": "m", "female": "f"}

    def clean(self, value, row=None, **kwargs):
        key = str(value or "").strip().lower()
        if key not in self.VALUES:
            raise ValueError(gettext("Gender must be 男, 女 or empty."))
        return self.VALUES[key]

    def render(self, value, obj=None, **kwargs):
        return {Gender.MALE: "男", Gender.FEMALE: "女"}.get(value, "")


class ClassYearWidget(widgets.IntegerWidget):
    """A four-digit year; anything else is a row error in words, not a decimal exception."""

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if text.endswith(".0"):  # Excel hands years over as floats
            text = text[:-2]
        if not (text.isdigit() and len(text) == 4):
            raise ValueError(gettext("The class year must be a four-digit year."))
        return int(text)


class AlumnusResource(FormulaSafeResourceMixin, resources.ModelResource):
    """Alumni records in CSV/Excel. A row with the `id` of an existing record updates it; so
    does a row without an id whose name, class year and phone (or, without a phone, email) are
    those of exactly one active record, so that importing the same spreadsheet again updates
    the records instead of doubling them; any other row creates one. Headers may be the field
    names or the office's Chinese ones. One bad row (unparsable value, failed validation,
    unknown branch) rolls the whole file back. Exports carry the headers in the
    language of the page (Chinese for the office); imports read those, the English ones or the
    field names. Cells that would run as a formula in a
    spreadsheet are exported with a leading apostrophe, which an import takes off again."""

    COLUMN_NAMES = {
        "id": _("ID"),
        "name": _("Name"),
        "college": _("College"),
        "major": _("Major"),
        "city": _("City"),
        "employer": _("Employer"),
        "phone": _("Phone"),
        "email": _("Email"),
        "notes": _("Notes"),
    }
    HEADER_ALIASES = {
        "编号": "id",
        "姓名": "name",
        "性别": "gender",
        "届别": "class_year",
        "毕业年份": "class_year",
        "学院": "college",
        "专业": "major",
        "城市": "city",
        "工作单位": "employer",
        "手机": "phone",
        "手机号": "phone",
        "电话": "phone",
        "邮箱": "email",
        "电子邮箱": "email",
        "校友分会": "branch",
        "分会": "branch",
        "备注": "notes",
    }

    gender = ie_fields.Field(attribute="gender", column_name=_("Gender"), widget=GenderWidget())
    class_year = ie_fields.Field(
        attribute="class_year", column_name=_("Class year"), widget=ClassYearWidget()
    )
    branch = ie_fields.Field(
        attribute="branch",
        column_name=_("Branch"),
        widget=widgets.ForeignKeyWidget(Branch, field="name"),
    )

    class Meta:
        model = Alumnus
        fields = (
            "id",
            "name",
            "gender",
            "class_year",
            "college",
            "major",
            "city",
            "employer",
            "phone",
            "email",
            "branch",
            "notes",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        use_transactions = True

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        field.column_name = cls.COLUMN_NAMES.get(field_name, field_name)
        return field

    def header_names(self) -> dict[str, str]:
        """Every header a file may carry (casefolded) -> the column name the fields read."""
        names = {}
        for name, field in self.fields.items():
            column = str(field.column_name)
            with translation.override("en"):
                english = str(field.column_name)
            names.update({name: column, english.casefold(): column, column.casefold(): column})
        for alias, name in self.HEADER_ALIASES.items():
            names[alias] = str(self.fields[name].column_name)
        return names

    def before_import(self, dataset, **kwargs):
        names = self.header_names()
        headers = [str(h or "").strip() for h in dataset.headers]
        if not any(h.casefold() in names for h in headers):
            # Otherwise every row would pass as "unchanged" and the file would vanish silently
            # (a file without its header row, or split on semicolons instead of commas).
            raise ValueError(
                gettext(
                    "None of this file's columns is known (%(headers)s). The first row must "
                    "hold the column names, such as 姓名, 届别, 手机."
                )
                % {"headers": ", ".join(headers)[:200]}
            )
        dataset.headers = [names.get(h.casefold(), h) for h in headers]
        super().before_import(dataset, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            # The errors are keyed by model field; the office knows its columns by their headers.
            columns = {
                field.attribute: str(field.column_name)
                for field in self.fields.values()
                if field.attribute
            }
            raise ValidationError(
                {columns.get(key, key): errors for key, errors in error.error_dict.items()}
            ) from None

    def cell(self, row, name: str) -> str:
        return str(row.get(str(self.fields[name].column_name)) or "").strip()

    def get_instance(self, instance_loader, row):
        if self.cell(row, "id"):
            return super().get_instance(instance_loader, row)
        name = self.cell(row, "name")
        phone = self.cell(row, "phone")
        email = self.cell(row, "email")
        if not name or not (phone or email):
            return None  # nothing tells two namesakes of one class apart: a new record
        try:
            class_year = self.fields["class_year"].clean(row)
        except ValueError:
            return None  # the row's own validation reports the year
        records = self.get_queryset().filter(name=name, class_year=class_year)
        records = records.filter(phone=phone) if phone else records.filter(email__iexact=email)
        found = list(records[:2])
        return found[0] if len(found) == 1 else None

    def import_data(self, dataset, *args, **kwargs):
        # All or nothing: a row that fails validation rolls the whole import back too.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True).select_related("branch")


class RecordStatusFilter(IsSetFilter):
    title = _("record")
    parameter_name = "record"
    field = "deleted_at"
    options = (("deleted", _("Deleted at the alumnus's request")), ("active", _("Active")))
    lists_unset_first = True


@admin.register(Alumnus)
class AlumnusAdmin(ImportExportModelAdmin):
    list_display = (
        "name",
        "class_year",
        "college",
        "major",
        "city",
        "employer",
        "branch",
        "phone_masked",
        "email_masked",
    )
    list_filter = (RecordStatusFilter, "class_year", "college", "city", "branch")
    list_select_related = ("branch",)
    search_fields = ("name", "phone", "email", "college", "major")
    autocomplete_fields = ("branch",)
    readonly_fields = ("wechat_openid", "deleted_at")
    fieldsets = [
        (None, {"fields": ["name", "gender", "class_year", "college", "major"]}),
        (_("Contact"), {"fields": ["phone", "email", "wechat_openid", "city", "employer"]}),
        (None, {"fields": ["branch", "notes", "visible_to_classmates", "deleted_at"]}),
    ]
    resource_classes = [AlumnusResource]
    import_formats = [ExcelCSV, XLSX]
    export_formats = [ExcelCSV, XLSX]
    export_form_class = ColumnNamesExportForm
    import_template_name = "admin/alumni/alumnus/import.html"
    import_error_display = ("message", "row")

    def add_data_read_fail_error_to_form(self, form, e):
        # django-import-export's own message names the Python exception, in English.
        if isinstance(e, UnreadableFileError):
            message = str(e)
        else:
            message = gettext(
                "This file cannot be read. Check that the format chosen matches the file "
                "(CSV or Excel workbook)."
            )
        form.add_error("import_file", message)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_masked(self, obj):
        return obj.masked_phone

    @admin.display(description=_("email"), ordering="email")
    def email_masked(self, obj):
        return obj.masked_email

    def has_export_permission(self, request):
        return request.user.has_perm("alumni.export_alumnus")

    def has_import_permission(self, request):
        return request.user.has_perm("alumni.add_alumnus") and request.user.has_perm(
            "alumni.change_alumnus"
        )

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).filter(deleted_at__isnull=True)


@admin.register(AlumniProfile)
class AlumniProfileAdmin(EditorialAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "status_badge",
        "subject_name",
        "headline",
        "editor_name",
        "publication",
    )
    list_display_links = ("title",)
    list_select_related = ("alumnus", "created_by")
    search_fields = ("title", "subject_name", "headline", "alumnus__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("alumnus",)
    public_preview_templates = ("alumni/profile_detail.html",)
    fieldsets = [
        (None, {"fields": ["title", "digest", "body", "cover"]}),
        (_("About"), {"fields": ["subject_name", "headline", "alumnus", "author"]}),
        (_("Publishing"), {"fields": ["publish_at"]}),
    ]

    def public_preview_context(self, request, obj):
        return {"profile": obj, "more": []}
