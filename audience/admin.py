"""The office's screens for followers, segments, record requests and the change log.

Every change goes through audience.services; WeChat's refusals are shown in their
`user_message` words.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from alumni.models import mask_email, mask_phone
from core.admin import IsSetFilter
from core.names import display_name
from core.queueing import enqueue
from wechat.errors import RetryableError

from . import selectors, services
from .errors import AudienceError, SegmentSyncError, SyncBusyError
from .forms import SegmentAdminForm
from .models import (
    Follower,
    FollowerDailyCount,
    FollowerSyncRun,
    ProfileChange,
    RecordLabel,
    RecordRequest,
    Segment,
    SyncMode,
)
from .tasks import followers_sync_task, segment_sync_task


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BoundFilter(IsSetFilter):
    title = _("bound to a record")
    parameter_name = "bound"
    field = "alumnus"


class FollowerForm(forms.ModelForm):
    class Meta:
        model = Follower
        fields = ["alumnus"]

    def clean_alumnus(self):
        alumnus = self.cleaned_data.get("alumnus")
        if alumnus is None:
            return alumnus
        if alumnus.deleted_at is not None:
            raise forms.ValidationError(gettext("This alumni record was deleted."))
        holder = Follower.objects.filter(alumnus=alumnus).exclude(pk=self.instance.pk).first()
        if holder is not None:
            raise forms.ValidationError(
                gettext("This record is already bound to follower %(openid)s.")
                % {"openid": holder.openid}
            )
        return alumnus


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    """Followers as WeChat reports them; only the binding can be changed, by hand."""

    form = FollowerForm
    change_list_template = "admin/audience/follower/change_list.html"
    list_display = (
        "openid",
        "subscribed",
        "subscribe_time",
        "language",
        "alumnus",
        "bound_at",
        "synced_at",
    )
    list_filter = ("subscribed", BoundFilter, "language", "subscribe_scene")
    list_select_related = ("alumnus",)
    search_fields = ("openid", "unionid", "alumnus__name")
    autocomplete_fields = ("alumnus",)
    date_hierarchy = "subscribe_time"
    readonly_fields = (
        "openid",
        "unionid",
        "subscribed",
        "subscribe_time",
        "unsubscribed_at",
        "subscribe_scene",
        "language",
        "remark",
        "tag_ids",
        "bound_at",
        "synced_at",
        "created_at",
    )
    fields = readonly_fields[:9] + ("alumnus", "bound_at", "synced_at", "created_at")
    actions = ["unbind_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if "alumnus" not in form.changed_data:
            return
        current = Follower.objects.get(pk=obj.pk)
        try:
            if obj.alumnus is None:
                services.follower_unbind(follower=current, by=request.user)
            else:
                services.follower_bind(follower=current, alumnus=obj.alumnus, by=request.user)
        except AudienceError as exc:
            messages.error(request, exc.message)

    @admin.action(description=_("Unbind the selected followers"), permissions=["change"])
    def unbind_selected(self, request, queryset):
        count = 0
        for follower in queryset.filter(alumnus__isnull=False):
            services.follower_unbind(follower=follower, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d follower unbound.", "%(count)d followers unbound.", count)
            % {"count": count},
        )

    def get_urls(self):
        return [
            path(
                "sync/",
                self.admin_site.admin_view(self.sync_view),
                name="audience_follower_sync",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def _can_sync(request) -> bool:
        return request.user.has_perm("audience.add_followersyncrun")

    def sync_view(self, request):
        """Queue a follower sync (POST; `mode` incremental, the default, or full)."""
        if not self._can_sync(request):
            raise PermissionDenied
        return _sync_post(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "totals": selectors.follower_totals(),
            "growth": selectors.follower_growth(days=14),
            "runs": FollowerSyncRun.objects.all()[:3],
            "can_sync": self._can_sync(request),
        }
        return super().changelist_view(request, extra_context)


@require_POST
def _sync_post(request):
    mode = request.POST.get("mode") or SyncMode.INCREMENTAL
    if mode not in SyncMode.values:
        messages.error(request, gettext("Choose an incremental or a full sync."))
        return redirect("admin:audience_follower_changelist")
    if not enqueue(followers_sync_task, trigger=f"admin:{request.user.pk}", mode=mode):
        messages.warning(
            request,
            gettext(
                "The task queue is unavailable right now, so the follower sync could not be "
                "started. The nightly sync will run as usual; try again in a few minutes."
            ),
        )
        return redirect("admin:audience_follower_changelist")
    if mode == SyncMode.FULL:
        text = gettext(
            "A full follower sync was queued: it fetches every follower's details again. "
            "It resumes an interrupted sync if there is one."
        )
    else:
        text = gettext(
            "An incremental follower sync was queued: it reads the follower list and fetches "
            "the details of new followers only. It resumes an interrupted sync if there is one."
        )
    messages.success(request, text)
    return redirect("admin:audience_follower_changelist")


@admin.register(FollowerSyncRun)
class FollowerSyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "status",
        "mode",
        "trigger",
        "followers_seen",
        "total_reported",
        "pages",
        "calls",
        "details_fetched",
        "found_new",
        "marked_unsubscribed",
        "finished_at",
        "error",
    )
    list_filter = ("status", "mode", "trigger")


@admin.register(FollowerDailyCount)
class FollowerDailyCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "total", "new", "unsubscribed", "net")
    date_hierarchy = "day"

    @admin.display(description=_("net growth"))
    def net(self, obj):
        return obj.net


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Segments with their size and the WeChat tag each is mirrored to."""

    form = SegmentAdminForm
    list_display = (
        "name",
        "filters",
        "wechat_tag_id",
        "member_count",
        "last_synced_at",
        "last_sync_error",
    )
    search_fields = ("name",)
    autocomplete_fields = ("branch",)
    readonly_fields = (
        "size",
        "wechat_tag_id",
        "wechat_tag_name",
        "member_count",
        "last_synced_at",
        "last_sync_error",
        "created_by",
        "created_at",
    )
    fieldsets = [
        (None, {"fields": ["name"]}),
        (
            _("Who is in it"),
            {
                "fields": [
                    ("class_year_from", "class_year_to"),
                    "college",
                    "major",
                    "city",
                    "branch",
                    "donor",
                    "participant",
                    "label",
                    ("survey_question", "survey_answer"),
                ]
            },
        ),
        (
            _("Size and WeChat tag"),
            {
                "fields": [
                    "size",
                    "wechat_tag_id",
                    "wechat_tag_name",
                    "member_count",
                    "last_synced_at",
                    "last_sync_error",
                    "created_by",
                    "created_at",
                ]
            },
        ),
    ]
    actions = ["sync_to_wechat", "full_sync_to_wechat", "show_size"]

    @admin.display(description=_("filter"))
    def filters(self, obj):
        parts = []
        if obj.class_year_from or obj.class_year_to:
            parts.append(f"{obj.class_year_from or '…'}–{obj.class_year_to or '…'}")
        parts += [v for v in (obj.college, obj.major, obj.city) if v]
        if obj.branch_id:
            parts.append(str(obj.branch))
        if obj.donor:
            parts.append(f"{Segment._meta.get_field('donor').verbose_name}: "
                         f"{obj.get_donor_display()}")  # fmt: skip
        if obj.participant:
            parts.append(f"{Segment._meta.get_field('participant').verbose_name}: "
                         f"{obj.get_participant_display()}")  # fmt: skip
        if obj.label:
            parts.append(f"{Segment._meta.get_field('label').verbose_name}: {obj.label}")
        if obj.survey_question_id:
            parts.append(gettext("answered a survey question"))
        return " · ".join(parts) or gettext("All bound alumni")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch")

    @admin.display(description=_("size"))
    def size(self, obj):
        if obj is None or obj.pk is None:
            return gettext("Save the segment to see its size.")
        size = selectors.segment_size(obj)
        return gettext(
            "%(records)d matching records, %(bound)d bound to WeChat, "
            "%(reachable)d still following (a push reaches these)."
        ) % {"records": size.records, "bound": size.bound, "reachable": size.reachable}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        try:
            services.segment_delete(segment=obj)
        except (SegmentSyncError, RetryableError) as exc:
            message = exc.message if isinstance(exc, SegmentSyncError) else exc.user_message
            messages.error(request, f"{obj}: {message}")

    def delete_queryset(self, request, queryset):
        for segment in queryset:
            self.delete_model(request, segment)

    @admin.action(description=_("Sync to WeChat"), permissions=["change"])
    def sync_to_wechat(self, request, queryset):
        self._sync(request, queryset, full=False)

    @admin.action(
        description=_("Sync to WeChat, re-reading the tag's members"), permissions=["change"]
    )
    def full_sync_to_wechat(self, request, queryset):
        self._sync(request, queryset, full=True)

    @admin.action(description=_("Show the size"), permissions=["view"])
    def show_size(self, request, queryset):
        for segment in queryset:
            self.message_user(request, f"{segment}: {self.size(segment)}")

    def _sync(self, request, queryset, *, full: bool) -> None:
        for segment in queryset:
            reachable = selectors.segment_members(segment).count()
            if reachable > settings.AUDIENCE_SEGMENT_SYNC_INLINE_MAX:
                if enqueue(segment_sync_task, segment.pk, full=full):
                    message = gettext("%(segment)s is large: its sync was queued.")
                    level = messages.INFO
                else:
                    message = gettext(
                        "%(segment)s is large and the task queue is unavailable right now: its "
                        "sync could not be queued. The nightly sync will run as usual; try again "
                        "in a few minutes."
                    )
                    level = messages.WARNING
                self.message_user(request, message % {"segment": segment}, level)
                continue
            try:
                result = services.segment_sync(segment=segment, full=full)
            except SyncBusyError as exc:
                self.message_user(request, f"{segment}: {exc.message}", messages.WARNING)
            except SegmentSyncError as exc:
                self.message_user(request, f"{segment}: {exc.message}", messages.ERROR)
            except RetryableError as exc:
                self.message_user(request, f"{segment}: {exc.user_message}", messages.WARNING)
            else:
                self.message_user(
                    request,
                    gettext(
                        "%(segment)s synced to WeChat tag %(tag)s: %(added)d tagged, "
                        "%(removed)d untagged, %(members)d carry the tag."
                    )
                    % {
                        "segment": segment,
                        "tag": result.tag_id,
                        "added": result.added,
                        "removed": result.removed,
                        "members": result.members,
                    },
                )
                segment.refresh_from_db()
                if segment.last_sync_error:
                    self.message_user(
                        request, f"{segment}: {segment.last_sync_error}", messages.WARNING
                    )


@admin.register(RecordLabel)
class RecordLabelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who carries which label; labels are set and taken off by survey answers (each change is
    in the change log), and segments select by them."""

    list_display = ("name", "alumnus", "created_at")
    list_filter = ("name",)
    list_select_related = ("alumnus",)
    search_fields = ("name", "alumnus__name")
    date_hierarchy = "created_at"


@admin.register(ProfileChange)
class ProfileChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who changed what on which record (contact details masked)."""

    list_display = ("created_at", "alumnus", "field", "old_value", "new_value", "changed_by")
    list_filter = ("field", "created_at")
    list_select_related = ("alumnus", "user", "follower")
    search_fields = ("alumnus__name",)
    date_hierarchy = "created_at"

    @admin.display(description=_("changed by"))
    def changed_by(self, obj):
        if obj.user_id:
            return display_name(obj.user)
        if obj.follower_id:
            return gettext("The alumnus (WeChat)")
        return "—"


class HandledFilter(IsSetFilter):
    title = _("handled")
    parameter_name = "handled"
    field = "handled_at"
    options = (("yes", _("Handled")), ("no", _("Waiting")))
    lists_unset_first = True


@admin.register(RecordRequest)
class RecordRequestAdmin(admin.ModelAdmin):
    """Followers without a record asking the office to create one."""

    list_display = (
        "created_at",
        "name",
        "class_year",
        "college",
        "major",
        "phone_masked",
        "email_masked",
        "record",
        "handled_at",
    )
    list_filter = (HandledFilter, "class_year")
    list_select_related = ("alumnus",)
    search_fields = ("name", "college", "major")
    readonly_fields = ("follower", "alumnus", "handled_at", "handled_by", "created_at")
    actions = ["create_records"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("email"))
    def email_masked(self, obj):
        return mask_email(obj.email)

    @admin.display(description=_("record created"))
    def record(self, obj):
        if obj.alumnus_id is None:
            return "—"
        url = reverse("admin:alumni_alumnus_change", args=[obj.alumnus_id])
        return format_html('<a href="{}">{}</a>', url, obj.alumnus)

    @admin.action(
        description=_("Create the records and bind the followers"), permissions=["change"]
    )
    def create_records(self, request, queryset):
        count = 0
        for record_request in queryset.filter(Q(alumnus__isnull=True)):
            try:
                services.record_request_fulfil(request=record_request, by=request.user)
            except AudienceError as exc:
                self.message_user(request, f"{record_request}: {exc.message}", messages.ERROR)
                continue
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d record created.", "%(count)d records created.", count)
            % {"count": count},
        )
