from datetime import timedelta

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.admin import EditorialAdminMixin
from editorial.models import State

from .models import AlumniProfile, Alumnus, Branch

# A liaison's submission counts once the office has accepted it, published or not yet.
ACCEPTED_STATES = (State.APPROVED, State.SCHEDULED, State.PUBLISHED)
LEADERBOARD_PERIODS = {
    "30d": ("last_30_days", _("Last 30 days")),
    "12m": ("last_12_months", _("Last 12 months")),
    "all": ("all_time", _("All time")),
}


def branch_leaderboard(*, now=None) -> QuerySet[Branch]:
    """Every branch with its accepted liaison submissions (articles carrying the branch) counted
    over the last 30 days, the last 12 months and all time, by submission date; one query."""
    now = now or timezone.now()
    accepted = Q(articles__state__in=ACCEPTED_STATES)
    return Branch.objects.annotate(
        last_30_days=Count(
            "articles", filter=accepted & Q(articles__created_at__gte=now - timedelta(days=30))
        ),
        last_12_months=Count(
            "articles", filter=accepted & Q(articles__created_at__gte=now - timedelta(days=365))
        ),
        all_time=Count("articles", filter=accepted),
    )


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "region", "contact_name", "member_count", "liaison_count")
    list_filter = ("region", "city")
    search_fields = ("name", "city", "region", "contact_name")
    filter_horizontal = ("liaisons",)
    change_list_template = "admin/alumni/branch/change_list.html"

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


@admin.register(Alumnus)
class AlumnusAdmin(admin.ModelAdmin):
    list_display = ("name", "class_year", "college", "major", "city", "employer", "branch", "phone")
    list_filter = ("class_year", "college", "city", "branch")
    list_select_related = ("branch",)
    search_fields = ("name", "phone", "college", "major")
    autocomplete_fields = ("branch",)
    fieldsets = [
        (None, {"fields": ["name", "gender", "class_year", "college", "major"]}),
        (_("Contact"), {"fields": ["phone", "email", "wechat_openid", "city", "employer"]}),
        (None, {"fields": ["branch", "notes"]}),
    ]


@admin.register(AlumniProfile)
class AlumniProfileAdmin(EditorialAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "status_badge",
        "subject_name",
        "headline",
        "alumnus",
        "created_by",
        "published_at",
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
