"""The admin of automatic replies and of the inbox (conversations with followers).

Replies: an ordinary model admin whose form checks a rule as the callback will read it (a
regular expression that cannot backtrack for ever, an image uploaded to WeChat as permanent
material, a news card of a published item). Inbox: the changelist of InboxMessage is the list
of conversations (one row per follower, newest first, unread counts); a conversation's page
shows the follower's messages beside their alumni record, answers them with customer-service
messages while WeChat's 48 hours last, and turns a message into a news tip.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.paging import paginate
from editorial.errors import EditorialError
from editorial.publishing import item_by_key, item_key, item_publishable, pushable_items

from . import inbox
from .directory import follower_cards
from .errors import WeChatError
from .gateway import WeChatGateway
from .models import InboxMessage, MessageDirection, ReplyKind, ReplyMatch, ReplyRule, ReplyTrigger
from .replies import REPLY_TEXT_MAX_CHARS, pattern_problem
from .urlcheck import wechat_url_or_empty

IMAGE_MAX_BYTES = 2 * 1024 * 1024  # WeChat's permanent image material (CONTRACT.md §3.2)
ANSWER_MAX_CHARS = 600
CONVERSATION_MESSAGES = 200


class ReplyRuleForm(forms.ModelForm):
    item = forms.ChoiceField(label=_("Published item"), required=False)

    class Meta:
        model = ReplyRule
        fields = [
            "name",
            "trigger",
            "match",
            "pattern",
            "priority",
            "active",
            "active_from",
            "active_until",
            "kind",
            "text",
            "text_bound",
            "image",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4, "maxlength": REPLY_TEXT_MAX_CHARS}),
            "text_bound": forms.Textarea(attrs={"rows": 2, "maxlength": REPLY_TEXT_MAX_CHARS}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "---------")]
        choices += [(item_key(i), f"{i._meta.verbose_name} · {i.title}") for i in pushable_items()]
        current = self.instance.item_key
        if current and current not in dict(choices):
            choices.append((current, gettext("%(key)s (no longer published)") % {"key": current}))
        self.fields["item"].choices = choices
        self.fields["item"].initial = current
        self.fields["item"].help_text = gettext("News card: its title, summary, cover and link.")
        self.fields["pattern"].help_text = gettext(
            "Keyword rules only. A regular expression has at most 100 characters and may not "
            "repeat a group that itself repeats (like (a+)+)."
        )

    def clean_pattern(self):
        return self.cleaned_data["pattern"].strip()

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and getattr(image, "size", 0) > IMAGE_MAX_BYTES:
            raise ValidationError(gettext("An image for WeChat has at most 2 MB."))
        return image

    def clean(self):
        data = super().clean()
        trigger, kind = data.get("trigger"), data.get("kind")
        pattern = data.get("pattern", "")
        if trigger == ReplyTrigger.KEYWORD:
            if not pattern:
                self.add_error("pattern", gettext("A keyword rule needs a keyword or pattern."))
            elif data.get("match") == ReplyMatch.REGEX and (problem := pattern_problem(pattern)):
                self.add_error("pattern", problem)
        if kind == ReplyKind.TEXT and not (data.get("text") or "").strip():
            self.add_error("text", gettext("Write the text of the reply."))
        if kind == ReplyKind.IMAGE and not (data.get("image") or self.instance.image_media_id):
            self.add_error("image", gettext("Choose the image of the reply."))
        if kind == ReplyKind.NEWS:
            key = data.get("item") or ""
            try:
                publishable = bool(key) and item_publishable(item_by_key(key))
            except LookupError:
                publishable = False
            if not publishable:
                self.add_error("item", gettext("Choose a published item for the news card."))
        if not self.errors and kind == ReplyKind.IMAGE and "image" in self.changed_data:
            self._upload_image(data["image"])
        return data

    def _upload_image(self, image) -> None:
        """Upload as WeChat permanent material now (the callback may only name a media_id)."""
        image.seek(0)
        try:
            material = WeChatGateway().add_image_material(image.read(), image.name)
        except WeChatError as exc:
            raise ValidationError({"image": exc.user_message}) from exc
        image.seek(0)
        self.instance.image_media_id = material.media_id

    def save(self, commit=True):
        self.instance.item_key = (
            self.cleaned_data.get("item") or "" if self.instance.kind == ReplyKind.NEWS else ""
        )
        return super().save(commit=commit)


@admin.register(ReplyRule)
class ReplyRuleAdmin(admin.ModelAdmin):
    form = ReplyRuleForm
    list_display = ["name", "trigger", "match", "pattern", "kind", "priority", "active", "hours"]
    list_filter = ["trigger", "active", "kind"]
    list_editable = ["priority", "active"]
    search_fields = ["name", "pattern", "text"]
    readonly_fields = ["image_media_id", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["name", "trigger", "active", "priority"]}),
        (_("When it answers"), {"fields": ["match", "pattern", "active_from", "active_until"]}),
        (
            _("What it answers"),
            {"fields": ["kind", "text", "text_bound", "image", "image_media_id", "item"]},
        ),
        (None, {"fields": ["updated_at", "updated_by"]}),
    ]

    @admin.display(description=_("hours"))
    def hours(self, rule):
        if rule.active_from is None and rule.active_until is None:
            return gettext("all day")
        start = rule.active_from.strftime("%H:%M") if rule.active_from else "00:00"
        end = rule.active_until.strftime("%H:%M") if rule.active_until else "24:00"
        return f"{start}–{end}"

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=ANSWER_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ANSWER_MAX_CHARS}),
    )
    image = forms.ImageField(label=_("or an image"), required=False)

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and image.size > IMAGE_MAX_BYTES:
            raise ValidationError(gettext("An image for WeChat has at most 2 MB."))
        return image

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("image"):
            raise ValidationError(gettext("Write an answer or choose an image."))
        return data


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    """Conversations with followers; the model's changelist is the inbox."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def view(fn, name, route):
            return path(route, self.admin_site.admin_view(fn), name=f"wechat_inbox_{name}")

        return [
            view(self.conversation_view, "conversation", "conversation/<str:openid>/"),
            view(self.tip_view, "tip", "<int:pk>/tip/"),
        ] + super().get_urls()

    def _may_answer(self, request) -> bool:
        return request.user.has_perm("wechat.answer_inboxmessage")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        unread_only = request.GET.get("unread") == "1"
        page = paginate(request, inbox.conversations(unread_only=unread_only), per_page=30)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Follower messages"),
            "page": page,
            "rows": inbox.conversation_rows(page.object_list),
            "unread_only": unread_only,
        }
        return TemplateResponse(request, "admin/wechat/inbox/conversations.html", context)

    def conversation_view(self, request, openid):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if len(openid) > 64:
            raise Http404
        rows = list(
            InboxMessage.objects.filter(openid=openid)
            .select_related("sent_by")
            .order_by("-pk")[:CONVERSATION_MESSAGES]
        )
        if not rows:
            raise Http404
        rows.reverse()
        form = AnswerForm()
        if request.method == "POST":
            if not self._may_answer(request):
                raise PermissionDenied
            form = AnswerForm(request.POST, request.FILES)
            if form.is_valid():
                image = form.cleaned_data.get("image")
                try:
                    inbox.inbox_answer(
                        openid=openid,
                        by=request.user,
                        text=form.cleaned_data.get("text") or "",
                        image=image.read() if image else None,
                        filename=image.name if image else "",
                    )
                except inbox.InboxError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, gettext("Your answer was sent to the follower."))
                return HttpResponseRedirect(request.path)
        for message in rows:
            message.tip_hint = inbox.looks_like_tip(message)
            # The callback keeps only WeChat's URLs; checked again here, so a row stored another
            # way (or before the check) is never a javascript: or look-alike link.
            data = message.data if isinstance(message.data, dict) else {}
            message.link_url = (
                wechat_url_or_empty(data.get("url")) if message.msg_type == "link" else ""
            )
            message.picture_url = (
                wechat_url_or_empty(data.get("pic_url")) if message.msg_type == "image" else ""
            )
        inbound = [m for m in rows if m.direction == MessageDirection.IN]
        if inbound:
            inbox.conversation_mark_read(openid=openid, upto=inbound[-1].pk)
        closes = inbox.window_closes_at(openid)
        window_open = closes is not None and closes > timezone.now()
        answers_left = inbox.answers_left(openid) if window_open else 0
        card = follower_cards([openid])[openid]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": card.name or gettext("Follower"),
            "card": card,
            "messages_list": rows,
            "form": form,
            "window_open": window_open,
            "window_closes_at": closes,
            "answers_left": answers_left,
            "may_answer": self._may_answer(request),
            "may_tip": self._may_answer(request),
        }
        return TemplateResponse(request, "admin/wechat/inbox/conversation.html", context)

    def tip_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._may_answer(request):
            raise PermissionDenied
        message = InboxMessage.objects.filter(pk=pk).first()
        if message is None:
            raise Http404
        back = reverse("admin:wechat_inbox_conversation", args=[message.openid])
        try:
            item = inbox.inbox_message_to_tip(message=message, by=request.user)
        except (inbox.InboxError, EditorialError) as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(back)
        try:
            url = reverse(
                f"admin:{item._meta.app_label}_{item._meta.model_name}_change", args=[item.pk]
            )
        except NoReverseMatch:
            url = back
        messages.success(
            request,
            gettext("The message is now a news draft: “%(title)s”.") % {"title": item.title},
        )
        return HttpResponseRedirect(url)
