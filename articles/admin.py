from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from editorial.admin import EditorialAdminMixin

from .models import Article, ArticlePhoto, Category, Department


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "article_count")
    list_editable = ("position",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "article_count")
    list_editable = ("position",)
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


class ArticlePhotoInline(admin.TabularInline):
    model = ArticlePhoto
    fields = ("image", "caption", "position")
    extra = 0


@admin.register(Article)
class ArticleAdmin(EditorialAdminMixin, admin.ModelAdmin):
    # Eight columns cut the title to a character per line at 1366 px: where the article comes
    # from is one column (a department, or a branch for a liaison's news), when it goes out is
    # one (published, or due); both remain filters.
    list_display = (
        "title",
        "status_badge",
        "category",
        "source",
        "editor_name",
        "publication",
    )
    list_display_links = ("title",)
    list_filter = ("category", "department", "branch")
    list_select_related = ("category", "department", "branch", "created_by")
    search_fields = ("title", "digest", "author", "body")
    date_hierarchy = "created_at"
    autocomplete_fields = ("category", "department", "branch")
    inlines = [ArticlePhotoInline]
    public_preview_templates = ("articles/detail.html",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["title", "digest", "body", "cover"]}),
        (
            _("Source"),
            {"fields": ["author", "category", "department", "branch", "event_date", "source_url"]},
        ),
        (_("Publishing"), {"fields": ["publish_at"]}),
    ]

    @admin.display(description=_("source"), ordering="department__name")
    def source(self, obj):
        return obj.department or obj.branch

    def public_preview_context(self, request, obj):
        # The public page shows the article block that its view renders (and keeps); a preview
        # renders it afresh, photos included, whatever the article's state.
        photos = list(obj.photos.all())
        block = render_to_string(
            "articles/article_block.html", {"article": obj, "photos": photos}, request=request
        )
        return {"article": obj, "article_html": block, "more": []}
