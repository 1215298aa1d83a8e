"""WeChat followers, their binding to alumni records, segments (WeChat tags) and the trail of
what alumni changed themselves.

Only `audience.services` writes these rows; WeChat is reached through `wechat.gateway` alone.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alumni.models import Alumnus, Branch, mask_email, mask_phone

# WeChat's limit on a tag name (CONTRACT.md §8: 30 UTF-8 bytes, error 45158).
TAG_NAME_MAX_BYTES = 30


class Follower(models.Model):
    """One follower of the Official Account, as user/get, user/info and the callbacks tell us.

    Kept current by the syncs (`followers_sync`, full or incremental) and the
    subscribe/unsubscribe callbacks.
    `alumnus` is the alumni record the follower bound to (at most one follower per record;
    `Alumnus.wechat_openid` mirrors it).
    """

    openid = models.CharField(_("openid"), max_length=64, unique=True)
    unionid = models.CharField(_("unionid"), max_length=64, blank=True)
    subscribed = models.BooleanField(_("following"), default=False, db_index=True)
    subscribe_time = models.DateTimeField(_("followed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unfollowed at"), null=True, blank=True)
    subscribe_scene = models.CharField(_("followed through"), max_length=64, blank=True)
    # WeChat stopped returning nicknames in 2021; kept for accounts that still get them.
    nickname = models.CharField(_("nickname"), max_length=64, blank=True)
    remark = models.CharField(_("remark"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    tag_ids = models.JSONField(_("WeChat tag ids"), default=list, blank=True)
    alumnus = models.OneToOneField(
        Alumnus,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follower",
        verbose_name=_("alumnus"),
    )
    bound_at = models.DateTimeField(_("bound at"), null=True, blank=True)
    # The newest subscribe/unsubscribe event applied: an older one arriving late is ignored.
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True)
    # The last sync run that fetched this follower's details (full or incremental).
    last_sync_run = models.PositiveBigIntegerField(_("last sync"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("WeChat follower")
        verbose_name_plural = _("WeChat followers")
        ordering = ["-subscribe_time", "-pk"]

    def __str__(self):
        return self.openid


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class SyncMode(models.TextChoices):
    INCREMENTAL = "incremental", _("Incremental")
    FULL = "full", _("Full")


class FollowerSyncRun(models.Model):
    """One sync of the follower list; resumable from `next_openid`.

    A full run fetches every follower's details; an incremental one reads the whole openid list
    but fetches details only for followers we do not know (or know from too long ago).

    At most one run is RUNNING (a partial unique constraint). The worker holding it writes its
    `owner` token and renews `heartbeat_at` after each page; a run nobody holds (owner empty)
    or whose heartbeat is older than AUDIENCE_SYNC_LEASE is taken over and resumed.
    """

    status = models.CharField(
        _("status"), max_length=16, choices=SyncStatus.choices, default=SyncStatus.RUNNING
    )
    trigger = models.CharField(_("started by"), max_length=32, blank=True)
    mode = models.CharField(
        _("kind"), max_length=16, choices=SyncMode.choices, default=SyncMode.FULL
    )
    next_openid = models.CharField(_("resume after"), max_length=64, blank=True)
    owner = models.CharField(_("worker"), max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total_reported = models.PositiveIntegerField(_("followers WeChat reports"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    followers_seen = models.PositiveIntegerField(_("followers synced"), default=0)
    calls = models.PositiveIntegerField(_("WeChat calls"), default=0)
    details_fetched = models.PositiveIntegerField(_("details fetched"), default=0)
    found_new = models.PositiveIntegerField(_("found following"), default=0)
    marked_unsubscribed = models.PositiveIntegerField(_("found unfollowed"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("follower sync")
        verbose_name_plural = _("follower syncs")
        ordering = ["-started_at", "-pk"]
        # Retention deletes old runs by started_at; the status page reads the latest.
        indexes = [models.Index(fields=["started_at"], name="audience_fsync_started_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="running"),
                name="audience_one_running_follower_sync",
            )
        ]

    def __str__(self):
        return f"{self.get_status_display()} {self.started_at:%Y-%m-%d %H:%M}"


class FollowerSyncPage(models.Model):
    """The openids of one user/get page an incremental run has gone through.

    Kept until the run ends, so that a resumed run still knows every follower the list held
    and can tell who left; one row per page (≤ 10 000 openids), never one per follower.
    """

    run = models.ForeignKey(FollowerSyncRun, on_delete=models.CASCADE, related_name="+")
    openids = models.JSONField(default=list)

    class Meta:
        verbose_name = _("follower list page")
        verbose_name_plural = _("follower list pages")

    def __str__(self):
        return f"{self.run_id}: {len(self.openids)}"


class FollowerDailyCount(models.Model):
    """Followers on one day (local date) and how many followed and unfollowed that day."""

    day = models.DateField(_("day"), unique=True)
    total = models.PositiveIntegerField(_("followers"), default=0)
    new = models.PositiveIntegerField(_("new followers"), default=0)
    unsubscribed = models.PositiveIntegerField(_("unfollowed"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("follower count per day")
        verbose_name_plural = _("follower counts per day")
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day}: {self.total}"

    @property
    def net(self) -> int:
        return self.new - self.unsubscribed


class Tristate(models.TextChoices):
    ANY = "", _("Either")
    YES = "yes", _("Yes")
    NO = "no", _("No")


YES_NO_WORDS = {"是": "yes", "yes": "yes", "否": "no", "no": "no"}


def validate_tag_name(value: str) -> None:
    if len(value.encode()) > TAG_NAME_MAX_BYTES:
        raise ValidationError(
            _(
                "WeChat tag names may have at most 30 bytes (10 Chinese characters); "
                "this one has %(bytes)d."
            ),
            params={"bytes": len(value.encode())},
        )


class Segment(models.Model):
    """A saved filter over bound alumni, mirrored to WeChat as a tag of the same name.

    Empty filter fields match everyone. `members` are the followers the tag carried after the
    last sync, so the next sync only tags newcomers and untags leavers.
    """

    name = models.CharField(
        _("name"),
        max_length=30,
        unique=True,
        validators=[validate_tag_name],
        help_text=_("Also the name of the WeChat tag (at most 30 bytes)."),
    )
    class_year_from = models.PositiveSmallIntegerField(_("class year from"), null=True, blank=True)
    class_year_to = models.PositiveSmallIntegerField(_("class year to"), null=True, blank=True)
    college = models.CharField(_("college"), max_length=100, blank=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="segments",
        verbose_name=_("branch"),
    )
    donor = models.CharField(
        _("has donated"), max_length=3, choices=Tristate.choices, blank=True, default=""
    )
    participant = models.CharField(
        _("took part in activities"),
        max_length=3,
        choices=Tristate.choices,
        blank=True,
        default="",
        help_text=_("Signed up for an activity and did not cancel."),
    )
    label = models.CharField(
        _("has the label"),
        max_length=30,
        blank=True,
        help_text=_("A label on the record, e.g. set by a survey's answer (愿意担任导师)."),
    )
    survey_question = models.ForeignKey(
        "surveys.Question",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered the survey question"),
        help_text=_("Alumni whose survey answer (tied to their record) to this question…"),
    )
    survey_answer = models.CharField(
        _("with the answer"),
        max_length=100,
        blank=True,
        help_text=_(
            "…is this choice (是 or 否 for a yes/no question; the exact text for a text "
            "question). Empty: any answer."
        ),
    )
    wechat_tag_id = models.PositiveIntegerField(_("WeChat tag id"), null=True, blank=True)
    wechat_tag_name = models.CharField(_("WeChat tag name"), max_length=30, blank=True)
    member_count = models.PositiveIntegerField(_("tagged followers"), default=0)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    last_sync_error = models.TextField(_("last sync error"), blank=True)
    sync_started_at = models.DateTimeField(_("sync running since"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.class_year_from is not None
            and self.class_year_to is not None
            and self.class_year_from > self.class_year_to
        ):
            raise ValidationError(
                {"class_year_to": _("The last class year comes before the first one.")}
            )
        self.survey_answer = self.survey_answer.strip()
        if self.survey_answer and self.survey_question_id is None:
            raise ValidationError(
                {"survey_question": _("Choose the survey question this answer is to.")}
            )
        if self.survey_question_id is not None and self.survey_question.type == "yes_no":
            # Answers to yes/no questions are stored as "yes"/"no"; the office types 是 or 否.
            answer = YES_NO_WORDS.get(self.survey_answer.lower())
            if self.survey_answer and answer is None:
                raise ValidationError({"survey_answer": _("Write 是 or 否 (or leave it empty).")})
            self.survey_answer = answer or ""


class SegmentMember(models.Model):
    """A follower the segment's WeChat tag carries (as of the last successful tagging call)."""

    segment = models.ForeignKey(
        Segment, on_delete=models.CASCADE, related_name="members", verbose_name=_("segment")
    )
    openid = models.CharField(_("openid"), max_length=64)
    added_at = models.DateTimeField(_("tagged at"), default=timezone.now)

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "openid"], name="audience_segmentmember_unique"
            )
        ]

    def __str__(self):
        return self.openid


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")


class BindingCode(models.Model):
    """A one-time code sent to the phone or e-mail on an alumni record, to prove the follower
    who asked for it owns that record. Only a salted hash of the code is stored."""

    follower = models.ForeignKey(
        Follower, on_delete=models.CASCADE, related_name="codes", verbose_name=_("follower")
    )
    alumnus = models.ForeignKey(
        Alumnus, on_delete=models.CASCADE, related_name="+", verbose_name=_("alumnus")
    )
    channel = models.CharField(_("sent by"), max_length=8, choices=Channel.choices)
    code_hash = models.CharField(_("code hash"), max_length=128)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("binding code")
        verbose_name_plural = _("binding codes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_channel_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RecordRequest(models.Model):
    """A follower with no record asking the office to create one (and bind it)."""

    follower = models.ForeignKey(
        Follower,
        on_delete=models.CASCADE,
        related_name="record_requests",
        verbose_name=_("follower"),
    )
    name = models.CharField(_("name"), max_length=50)
    class_year = models.PositiveSmallIntegerField(_("class year"))
    college = models.CharField(_("college"), max_length=100, blank=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    note = models.TextField(_("note"), blank=True)
    alumnus = models.ForeignKey(
        Alumnus,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record created"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        verbose_name = _("record request")
        verbose_name_plural = _("record requests")
        ordering = ["handled_at", "-created_at"]

    def __str__(self):
        return f"{self.class_year} {mask_phone(self.phone) or mask_email(self.email)}"


class ProfileChange(models.Model):
    """One field of an alumni record changed by the alumnus (or the office), with the old and
    new values masked where they are contact details."""

    alumnus = models.ForeignKey(
        Alumnus, on_delete=models.CASCADE, related_name="changes", verbose_name=_("alumnus")
    )
    follower = models.ForeignKey(
        Follower,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by follower"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by user"),
    )
    field = models.CharField(_("field"), max_length=32)
    old_value = models.CharField(_("old value"), max_length=255, blank=True)
    new_value = models.CharField(_("new value"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("profile change")
        verbose_name_plural = _("profile changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.field} {self.created_at:%Y-%m-%d %H:%M}"


class RecordLabel(models.Model):
    """A label on an alumni record ("愿意担任导师"), set by the office or by a survey answer;
    segments select by it. Changes are logged in ProfileChange (field "label")."""

    alumnus = models.ForeignKey(
        Alumnus, on_delete=models.CASCADE, related_name="labels", verbose_name=_("alumnus")
    )
    name = models.CharField(_("label"), max_length=30)
    created_at = models.DateTimeField(_("labelled at"), default=timezone.now)

    class Meta:
        verbose_name = _("record label")
        verbose_name_plural = _("record labels")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["alumnus", "name"], name="audience_recordlabel_unique")
        ]

    def __str__(self):
        return self.name
