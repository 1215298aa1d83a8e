"""What WeChat pushed to us, what we push to WeChat and what we already uploaded there."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class CallbackEvent(models.Model):
    """One event or message WeChat pushed to /wechat/callback/, stored exactly once.

    `dedup_key` makes WeChat's retries (3 attempts) land on the same row. `payload` holds the
    parsed XML under "raw" plus normalised fields per event (see wechat.callbacks). Whoever
    acts on the event sets `processed` through `mark_processed()`.
    """

    MASS_SEND_FINISHED = "MASSSENDJOBFINISH"
    PUBLISH_FINISHED = "PUBLISHJOBFINISH"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"

    dedup_key = models.CharField(_("deduplication key"), max_length=255)
    msg_type = models.CharField(_("message type"), max_length=32)
    event = models.CharField(_("event"), max_length=64, blank=True, db_index=True)
    from_user = models.CharField(_("sender"), max_length=64)
    to_user = models.CharField(_("recipient account"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"))
    msg_id = models.CharField(_("message id"), max_length=64, blank=True, db_index=True)
    publish_id = models.CharField(_("publish id"), max_length=64, blank=True, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    processed = models.BooleanField(_("processed"), default=False)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat callback event")
        verbose_name_plural = _("WeChat callback events")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], name="wechat_callbackevent_dedup_key")
        ]

    def __str__(self):
        return f"{self.event or self.msg_type} {self.msg_id or self.publish_id or self.from_user}"

    def mark_processed(self) -> None:
        """Record that the event has been acted on (idempotent)."""
        if not self.processed:
            self.processed = True
            self.processed_at = timezone.now()
            self.save(update_fields=["processed", "processed_at"])


class PushMode(models.TextChoices):
    MASS = "mass", _("Mass send (notifies followers)")
    PUBLISH = "publish", _("Publish only (no notification)")


class PushState(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    UPLOADING = "uploading", _("Uploading images")
    DRAFT_CREATED = "draft_created", _("Draft created")
    SENT = "sent", _("Sent to WeChat")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Push(models.Model):
    """One WeChat news message (群发) of 1 to 8 approved items, and how far its sending got.

    Only `wechat.services` changes it. Every WeChat answer is stored here before the next step
    begins (draft media_id, msg_id, msg_data_id, publish_id), so a run that died is resumed from
    the last recorded step. `lease_until`/`lease_token` mark the run in progress; `next_run_at`
    is when the scheduler looks at the push again (send time, resume, poll).
    """

    title = models.CharField(_("title"), max_length=64, blank=True)
    mode = models.CharField(
        _("mode"), max_length=16, choices=PushMode.choices, default=PushMode.MASS
    )
    tag_id = models.IntegerField(
        _("WeChat tag id"), null=True, blank=True, help_text=_("Empty: all followers.")
    )
    tag_name = models.CharField(_("WeChat tag"), max_length=64, blank=True)
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: as soon as it is approved.")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=PushState.choices, default=PushState.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # What WeChat answered, step by step.
    draft_media_id = models.CharField(_("WeChat draft id (media_id)"), max_length=128, blank=True)
    client_msg_id = models.CharField(
        _("duplicate-send guard (clientmsgid)"), max_length=64, blank=True
    )
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    # When the first send call went out: WeChat may have taken it from then on, and its
    # clientmsgid protects a resend for 24 hours only (CONTRACT.md §6.3).
    send_started_at = models.DateTimeField(_("first send attempt"), null=True, blank=True)
    msg_id = models.CharField(
        _("mass send message id (msg_id)"), max_length=64, blank=True, db_index=True
    )
    msg_data_id = models.CharField(_("news data id (msg_data_id)"), max_length=64, blank=True)
    publish_id = models.CharField(
        _("publish task id (publish_id)"), max_length=64, blank=True, db_index=True
    )
    answer_lost = models.BooleanField(_("WeChat's answer was lost"), default=False)
    article_id = models.CharField(
        _("published article id (article_id)"), max_length=128, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    finish_status = models.CharField(_("WeChat status"), max_length=64, blank=True)
    total_count = models.PositiveIntegerField(_("followers targeted"), null=True, blank=True)
    filter_count = models.PositiveIntegerField(_("after filtering"), null=True, blank=True)
    sent_count = models.PositiveIntegerField(_("delivered"), null=True, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), null=True, blank=True)
    error_code = models.IntegerField(_("error code"), null=True, blank=True)
    error_message = models.TextField(_("reason"), blank=True)
    preview_media_id = models.CharField(
        _("preview draft id (media_id)"), max_length=128, blank=True
    )
    preview_sent_at = models.DateTimeField(_("last preview sent at"), null=True, blank=True)
    # The push's own draft was deleted in WeChat (it failed or was cancelled before sending).
    draft_deleted_at = models.DateTimeField(_("draft deleted at"), null=True, blank=True)

    # The run in progress and the scheduler's next look.
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    next_run_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("WeChat push")
        verbose_name_plural = _("WeChat pushes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_run_at"], name="wechat_push_due")]

    def __str__(self):
        return self.title or gettext("Push #%(id)s") % {"id": self.pk}

    @property
    def to_all(self) -> bool:
        return self.tag_id is None

    @property
    def audience_label(self) -> str:
        if self.mode == PushMode.PUBLISH:
            return gettext("No notification")
        if self.tag_id is None:
            return gettext("All followers")
        return gettext("Tag “%(name)s”") % {"name": self.tag_name or self.tag_id}

    def make_client_msg_id(self) -> str:
        """The mass send's clientmsgid: the same for every attempt of this push, version and
        audience; the creation time keeps a re-created database from reusing a sent id."""
        audience = "all" if self.tag_id is None else f"t{self.tag_id}"
        stamp = int(self.created_at.timestamp())
        return f"cms-push-{self.pk}-{stamp}-v{self.version}-{audience}"

    @property
    def waiting_for_confirmation(self) -> bool:
        """A send to all waits for the account administrator's confirmation in WeChat when the
        account has API mass-send protection on (CONTRACT.md §6.1)."""
        return (
            self.state == PushState.SENT
            and self.mode == PushMode.MASS
            and self.to_all
            and settings.WECHAT_MASS_SEND_PROTECTION
        )

    @property
    def status_text(self) -> str:
        """The state as editors read it, with WeChat's counts or the reason of a failure."""
        if self.state == PushState.FAILED:
            return gettext("Failed: %(reason)s") % {"reason": self.failure_reason}
        if self.waiting_for_confirmation:
            return gettext("Waiting for the administrator's confirmation in WeChat")
        if self.state == PushState.SENT and self.mode == PushMode.PUBLISH:
            return gettext("Publishing in WeChat")
        if self.state == PushState.APPROVED and self.send_at and self.send_at > timezone.now():
            return gettext("Scheduled to go out")
        if self.state == PushState.FINISHED and self.sent_count is not None:
            return self.counts_text
        return self.get_state_display()

    @property
    def counts_text(self) -> str:
        return gettext(
            "Finished: %(total)s targeted, %(filter)s after filtering, %(sent)s delivered, "
            "%(errors)s errors"
        ) % {
            "total": self.total_count,
            "filter": self.filter_count,
            "sent": self.sent_count,
            "errors": self.error_count,
        }

    @property
    def failure_reason(self) -> str:
        from .errors import USER_MESSAGES

        if self.error_code in USER_MESSAGES:
            return str(USER_MESSAGES[self.error_code])
        return self.error_message


class PushItem(models.Model):
    """One article of a push, at its place (from 1), and what was sent for it.

    The content fields are filled when the images have been uploaded: they are what WeChat got,
    even if the item changes later.
    """

    push = models.ForeignKey(
        Push, on_delete=models.CASCADE, related_name="items", verbose_name=_("push")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    title = models.CharField(_("title"), max_length=64, blank=True)
    item_version = models.CharField(_("item version"), max_length=16, blank=True)
    author = models.CharField(_("author"), max_length=64, blank=True)
    digest = models.CharField(_("digest"), max_length=255, blank=True)
    source_url = models.CharField(_("page on the site"), max_length=1024, blank=True)
    content = models.TextField(_("content sent to WeChat"), blank=True)
    thumb_media_id = models.CharField(_("cover media id"), max_length=128, blank=True)
    article_url = models.CharField(_("article URL in WeChat"), max_length=1024, blank=True)

    class Meta:
        verbose_name = _("pushed item")
        verbose_name_plural = _("pushed items")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["push", "position"], name="wechat_pushitem_position"),
            models.UniqueConstraint(
                fields=["push", "content_type", "object_id"], name="wechat_pushitem_once"
            ),
        ]

    def __str__(self):
        return self.title or f"{self.content_type_id}:{self.object_id}"

    @property
    def key(self) -> str:
        ct = ContentType.objects.get_for_id(self.content_type_id)
        return f"{ct.app_label}.{ct.model}:{self.object_id}"

    @property
    def rendered(self) -> bool:
        return bool(self.content and self.thumb_media_id)


class PushEventKind(models.TextChoices):
    CREATED = "created", _("Composed")
    CHANGED = "changed", _("Changed")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Send time changed")
    CANCELLED = "cancelled", _("Cancelled")
    PREVIEWED = "previewed", _("Preview sent")
    UPLOADING = "uploading", _("Uploading images")
    IMAGES_UPLOADED = "images_uploaded", _("Images uploaded")
    DRAFT_CREATED = "draft_created", _("Draft created")
    SENT = "sent", _("Sent to WeChat")
    PUBLISHING = "publishing", _("Publication submitted")
    WAITING = "waiting", _("Waiting for the administrator's confirmation in WeChat")
    RETRY = "retry", _("WeChat call failed, will retry")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class PushEvent(models.Model):
    """One line of a push's timeline: what happened, when, and what WeChat answered."""

    push = models.ForeignKey(
        Push, on_delete=models.CASCADE, related_name="events", verbose_name=_("push")
    )
    kind = models.CharField(_("event"), max_length=32, choices=PushEventKind.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    detail = models.TextField(_("detail"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("push event")
        verbose_name_plural = _("push events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.get_kind_display()

    @property
    def description(self) -> str:
        """The event's details in the active language."""
        data = self.data or {}
        if self.kind == PushEventKind.IMAGES_UPLOADED:
            return gettext("%(new)s uploaded, %(reused)s already in WeChat") % {
                "new": data.get("uploaded", 0),
                "reused": data.get("reused", 0),
            }
        if self.kind == PushEventKind.SENT and data.get("duplicate"):
            return gettext(
                "msg_id %(msg_id)s (an earlier attempt had already gone through; "
                "WeChat says: %(status)s)"
            ) % {"msg_id": data.get("msg_id", ""), "status": data.get("status") or "?"}
        if self.kind == PushEventKind.SENT:
            return gettext("msg_id %(msg_id)s") % {"msg_id": data.get("msg_id", "")}
        if self.kind in (PushEventKind.FAILED, PushEventKind.RETRY) and data.get("errcode"):
            from .errors import USER_MESSAGES

            message = USER_MESSAGES.get(data["errcode"])
            if message is not None:
                return str(message)
        if self.kind == PushEventKind.FINISHED and "sent_count" in data:
            return gettext(
                "%(total)s targeted, %(filter)s after filtering, %(sent)s delivered, "
                "%(errors)s errors"
            ) % {
                "total": data.get("total_count"),
                "filter": data.get("filter_count"),
                "sent": data.get("sent_count"),
                "errors": data.get("error_count"),
            }
        if self.kind == PushEventKind.SCHEDULED and data.get("back_to_approval"):
            when = self.detail or gettext("as soon as it is approved")
            return gettext("%(when)s; the push awaits approval again") % {"when": when}
        if self.kind == PushEventKind.FINISHED and data.get("article_id"):
            return gettext("article id %(id)s") % {"id": data["article_id"]}
        if self.kind == PushEventKind.RETRY and data.get("attempt"):
            return gettext("%(reason)s (attempt %(count)s)") % {
                "reason": self.detail,
                "count": data["attempt"],
            }
        return self.detail


class UploadedImage(models.Model):
    """An image already uploaded with media/uploadimg, by the SHA-256 of its file: never again."""

    app_id = models.CharField(_("AppID"), max_length=64)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    url = models.CharField(_("URL"), max_length=1024)
    size = models.PositiveIntegerField(_("bytes uploaded"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("image uploaded to WeChat")
        verbose_name_plural = _("images uploaded to WeChat")
        constraints = [
            models.UniqueConstraint(fields=["app_id", "sha256"], name="wechat_uploadedimage_sha")
        ]

    def __str__(self):
        return self.url


class CoverMaterial(models.Model):
    """A cover uploaded as a permanent image material, by the SHA-256 of the original file."""

    app_id = models.CharField(_("AppID"), max_length=64)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    media_id = models.CharField(_("media id"), max_length=128)
    url = models.CharField(_("URL"), max_length=1024, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("cover uploaded to WeChat")
        verbose_name_plural = _("covers uploaded to WeChat")
        constraints = [
            models.UniqueConstraint(fields=["app_id", "sha256"], name="wechat_covermaterial_sha")
        ]

    def __str__(self):
        return self.media_id


class PreviewRecipient(models.Model):
    """The follower (openid) a staff member receives push previews on: their own WeChat, linked
    once through a PreviewLinkToken (wechat.services.preview_link). The openid is never shown."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wechat_preview_recipient",
        verbose_name=_("user"),
    )
    openid = models.CharField(_("openid"), max_length=64)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("preview recipient")
        verbose_name_plural = _("preview recipients")

    def __str__(self):
        return gettext("WeChat of %(user)s") % {"user": self.user}


class PreviewLinkToken(models.Model):
    """A one-time link a staff member opens in WeChat to link it as their preview recipient.

    Only the SHA-256 of the token is stored: whoever reads the table cannot open the link. It
    links the user who made it, once, until `expires_at`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wechat_preview_link_tokens",
        verbose_name=_("user"),
    )
    digest = models.CharField(_("token digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat link token")
        verbose_name_plural = _("WeChat link tokens")

    def __str__(self):
        return self.digest[:12]


# Replies and the inbox (issue 13 items 2, 3): wechat/replies.py answers inside the callback,
# wechat/inbox.py stores what followers send and what staff answer.


class ReplyTrigger(models.TextChoices):
    KEYWORD = "keyword", _("Keyword")
    WELCOME = "welcome", _("Welcome (on follow)")
    DEFAULT = "default", _("Default (nothing else matched)")


class ReplyMatch(models.TextChoices):
    EXACT = "exact", _("Exact")
    CONTAINS = "contains", _("Contains")
    REGEX = "regex", _("Regular expression")


class ReplyKind(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    NEWS = "news", _("News card")


class ReplyRule(models.Model):
    """An automatic reply: the welcome on follow, a keyword rule or the default reply.

    The callback reads rules from a cache (wechat.replies), never from this table; every save
    and delete makes that cache stale. Among keyword rules the highest `priority` that matches
    wins (then the oldest); a rule answers only while `active` and, when set, between
    `active_from` and `active_until` (Asia/Shanghai; a window may run past midnight).
    """

    name = models.CharField(_("name"), max_length=64)
    trigger = models.CharField(
        _("when"), max_length=16, choices=ReplyTrigger.choices, default=ReplyTrigger.KEYWORD
    )
    match = models.CharField(
        _("match"), max_length=16, choices=ReplyMatch.choices, default=ReplyMatch.CONTAINS
    )
    pattern = models.CharField(_("keyword or pattern"), max_length=100, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0)
    active = models.BooleanField(_("active"), default=True)
    active_from = models.TimeField(_("active from"), null=True, blank=True)
    active_until = models.TimeField(_("active until"), null=True, blank=True)
    kind = models.CharField(
        _("answer with"), max_length=16, choices=ReplyKind.choices, default=ReplyKind.TEXT
    )
    text = models.TextField(_("text"), max_length=600, blank=True)
    text_bound = models.TextField(
        _("text for bound alumni"),
        max_length=600,
        blank=True,
        help_text=_(
            "Welcome only: sent to a follower bound to an alumni record; {name} is "
            "replaced by the alumnus's name."
        ),
    )
    image = models.ImageField(_("image"), upload_to="wechat/replies/", blank=True)
    image_media_id = models.CharField(_("image media id"), max_length=128, blank=True)
    item_key = models.CharField(_("published item"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("automatic reply")
        verbose_name_plural = _("automatic replies")
        ordering = ["trigger", "-priority", "pk"]

    def __str__(self):
        return self.name


class MessageDirection(models.TextChoices):
    IN = "in", _("From the follower")
    OUT = "out", _("From the office")


class InboxMessage(models.Model):
    """One message a follower sent (stored once per WeChat MsgId, in one INSERT inside the
    callback, with the automatic reply it got) or one customer-service message staff sent."""

    openid = models.CharField(_("openid"), max_length=64)
    direction = models.CharField(_("direction"), max_length=8, choices=MessageDirection.choices)
    msg_type = models.CharField(_("message type"), max_length=16)
    msg_id = models.CharField(_("message id"), max_length=64, blank=True)
    content = models.TextField(_("content"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    reply_rule = models.ForeignKey(
        ReplyRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("automatic reply"),
    )
    reply_summary = models.CharField(_("automatic reply given"), max_length=255, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    delivered = models.BooleanField(_("delivered"), default=True)
    error = models.CharField(_("error"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("follower message")
        verbose_name_plural = _("follower messages")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["openid", "id"], name="wechat_inbox_openid_id"),
            # Retention deletes by age (RETENTION_INBOX_DAYS).
            models.Index(fields=["received_at"], name="wechat_inbox_received_at"),
            # A conversation's 48-hour window: the follower's latest message to us.
            models.Index(
                fields=["openid", "direction", "received_at"], name="wechat_inbox_openid_in_at"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["msg_id"],
                condition=~models.Q(msg_id=""),
                name="wechat_inboxmessage_msg_id",
            )
        ]
        permissions = [("answer_inboxmessage", _("Can answer followers' messages"))]

    def __str__(self):
        return f"{self.msg_type} {self.msg_id or self.pk}"


class ConversationRead(models.Model):
    """How far staff have read one follower's messages (unread: inbound messages after
    `read_upto`). Written by staff only, so the callback's one INSERT stays one."""

    openid = models.CharField(_("openid"), max_length=64, unique=True)
    read_upto = models.BigIntegerField(_("read up to"), default=0)
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation read mark")
        verbose_name_plural = _("conversation read marks")

    def __str__(self):
        return f"{self.openid}: {self.read_upto}"


# The custom menus live in their own module (issue 13); imported here so Django sees them.
from .menu_models import Menu, MenuVersion, MenuVersionState  # noqa: E402, F401
