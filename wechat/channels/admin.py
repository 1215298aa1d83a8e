"""The office's channel QR codes: create one, see and download its code, print it."""

import io

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.publishing import item_give_url
from editorial.registry import content_models, get_item

from ..errors import WeChatError
from .models import Channel
from .services import ChannelError, channel_code_issue, channel_scene_new


def qr_svg(url: str, *, scale: int = 5) -> str:
    """The code's content as an inline SVG QR code (dark on white)."""
    svg = segno.make(url, error="m").svg_inline(scale=scale, light="#fff", svgclass="channel-qr")
    return mark_safe(svg)  # noqa: S308 - segno's own markup of WeChat's URL


def give_url(channel: Channel) -> str:
    """Where a reader gives to the channel's item, with ?src=qr:<scene>; "" for a channel of no
    item one gives to (editorial knows which: a donation project)."""
    if not channel.content_type_id or not channel.scene:
        return ""
    item = channel.item
    return item_give_url(item, source=f"qr:{channel.scene}") if item is not None else ""


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = [
            "name", "kind", "branch", "content_type", "object_id", "permanent", "expire_days",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "content_type" in self.fields:
            ids = [ContentType.objects.get_for_model(m).pk for m in content_models()]
            self.fields["content_type"].queryset = ContentType.objects.filter(pk__in=ids)
            self.fields["content_type"].help_text = _(
                "Optional: the activity or other item this code is for (with its id)."
            )
        if self.instance.pk and self.instance.url:
            # A code once issued keeps its lifetime: renew it instead.
            for name in ("permanent", "expire_days"):
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        content_type, object_id = data.get("content_type"), data.get("object_id")
        if bool(content_type) != bool(object_id):
            raise forms.ValidationError(_("Give both the item type and the item id, or neither."))
        if content_type and object_id:
            try:
                get_item(content_type.pk, object_id)
            except (LookupError, ObjectDoesNotExist):
                self.add_error("object_id", _("There is no such item."))
        if not data.get("permanent") and not 1 <= (data.get("expire_days") or 0) <= 30:
            self.add_error("expire_days", _("A temporary QR code is valid for 1 to 30 days."))
        return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = (
        "name", "kind", "linked_to", "code_state", "scan_count", "follower_count", "created_at",
    )  # fmt: skip
    list_filter = ("kind", "permanent")
    search_fields = ("name", "scene")
    list_select_related = ("branch", "content_type")
    readonly_fields = (
        "scene", "code_panel", "give_link", "expires_at", "created_by", "created_at",
    )  # fmt: skip
    change_form_template = "admin/wechat_channels/channel/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_scans=Count("scans"),
                n_followers=Count("scans", filter=Q(scans__new_follower=True)),
            )
            .prefetch_related("item")  # one query per item type, not one per row
        )

    def get_fieldsets(self, request, obj=None):
        main = ["name", "kind", "branch", "content_type", "object_id", "permanent", "expire_days"]
        if obj is None:
            return [(None, {"fields": main})]
        code = ["code_panel", "scene", "expires_at", "created_by", "created_at"]
        if give_url(obj):
            code.insert(1, "give_link")
        return [(None, {"fields": main}), (_("QR code of the channel"), {"fields": code})]

    @admin.display(description=_("Donation link"))
    def give_link(self, obj):
        """For a channel of a donation project: the give page's link carrying the channel
        (?src=qr:<scene>, so the dashboard counts its gifts under the channel) and a web QR
        code of it for posters (scanned with any camera, unlike the WeChat code)."""
        url = give_url(obj)
        if not url:
            return "—"
        return format_html(
            '<div class="channel-code channel-give"><p><a href="{}" target="_blank" '
            'rel="noopener">{}</a></p>{}<p><a class="button" href="{}">{}</a></p></div>',
            url,
            url,
            qr_svg(url),
            reverse("admin:wechat_channels_channel_give_png", args=[obj.pk]),
            gettext("Download PNG"),
        )

    @admin.display(description=_("linked to"))
    def linked_to(self, obj):
        if obj.branch_id:
            return obj.branch.name
        if obj.content_type_id:
            item = obj.item
            return str(item) if item is not None else "—"
        return "—"

    @admin.display(description=_("QR code of the channel"))
    def code_state(self, obj):
        if not obj.url:
            return gettext("Not issued")
        if obj.expired:
            return gettext("Expired")
        if obj.expires_at:
            return gettext("Valid until %(date)s") % {"date": obj.expires_at.strftime("%Y-%m-%d")}
        return gettext("Permanent")

    @admin.display(description=_("scans"), ordering="n_scans")
    def scan_count(self, obj):
        return obj.n_scans

    @admin.display(description=_("new followers"), ordering="n_followers")
    def follower_count(self, obj):
        return obj.n_followers

    @admin.display(description=_("QR code of the channel"))
    def code_panel(self, obj):
        if obj is None or not obj.pk:
            return "—"
        if not obj.has_code:
            message = gettext("Expired: renew the code.") if obj.url else gettext("Not issued.")
            return format_html('<span class="channel-no-code">{}</span>', message)
        return format_html(
            '<div class="channel-code">{}<p><a class="button" href="{}">{}</a> '
            '<a class="button" href="{}" target="_blank">{}</a></p></div>',
            qr_svg(obj.url),
            reverse("admin:wechat_channels_channel_png", args=[obj.pk]),
            gettext("Download PNG"),
            reverse("admin:wechat_channels_channel_print", args=[obj.pk]),
            gettext("Printable page"),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.scene = channel_scene_new(kind=obj.kind)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not obj.url:
            self._issue(request, obj)

    def _issue(self, request, obj) -> bool:
        try:
            channel_code_issue(channel=obj)
        except ChannelError as error:
            self.message_user(request, str(error), messages.ERROR)
        except WeChatError as error:
            self.message_user(
                request,
                gettext("The QR code could not be issued: %(reason)s")
                % {"reason": error.user_message},
                messages.ERROR,
            )
        else:
            return True
        return False

    def get_urls(self):
        def view(fn, name, route):
            return path(
                route, self.admin_site.admin_view(fn), name=f"wechat_channels_channel_{name}"
            )

        return [
            view(self.png_view, "png", "<path:object_id>/qr.png"),
            view(self.give_png_view, "give_png", "<path:object_id>/give.png"),
            view(self.print_view, "print", "<path:object_id>/print/"),
            view(self.renew_view, "renew", "<path:object_id>/renew/"),
            *super().get_urls(),
        ]

    def _channel(self, request, object_id) -> Channel:
        channel = self.get_object(request, unquote(object_id))
        if channel is None or not self.has_view_permission(request, channel):
            raise Http404
        return channel

    def png_view(self, request, object_id):
        """The code as a PNG for a poster (large, with the quiet zone printers need)."""
        channel = self._channel(request, object_id)
        if not channel.has_code:
            raise Http404
        out = io.BytesIO()
        segno.make(channel.url, error="m").save(out, kind="png", scale=12, border=4)
        response = HttpResponse(out.getvalue(), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="channel-{channel.pk}.png"'
        return response

    def give_png_view(self, request, object_id):
        """The donation link's web QR code as a PNG for a poster."""
        channel = self._channel(request, object_id)
        url = give_url(channel)
        if not url:
            raise Http404
        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="png", scale=12, border=4)
        response = HttpResponse(out.getvalue(), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="channel-{channel.pk}-give.png"'
        return response

    def print_view(self, request, object_id):
        channel = self._channel(request, object_id)
        if not channel.has_code:
            raise Http404
        return TemplateResponse(
            request,
            "admin/wechat_channels/channel/print.html",
            {"channel": channel, "qr": qr_svg(channel.url, scale=10)},
        )

    def renew_view(self, request, object_id):
        """POST: a new ticket for the same scene (an expired temporary code, a lost one)."""
        channel = self._channel(request, object_id)
        if request.method != "POST" or not self.has_change_permission(request, channel):
            raise Http404
        if self._issue(request, channel):
            self.message_user(request, gettext("A new QR code was issued."), messages.SUCCESS)
        return redirect("admin:wechat_channels_channel_change", channel.pk)
