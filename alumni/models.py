"""Alumni records, local alumni associations (branches) and alumni-style profiles."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import SingleLineTextMixin
from editorial.models import EditorialItem


class Branch(SingleLineTextMixin, models.Model):
    """A local alumni association (校友分会), run by volunteer liaisons."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=50)
    region = models.CharField(_("region"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    description = models.TextField(_("description"), blank=True)
    liaisons = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="liaison_branches",
        verbose_name=_("liaisons"),
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")
    UNKNOWN = "", _("Not stated")


def mask_phone(value: str) -> str:
    """A phone number with its middle hidden, as list views show it: 138****8000."""
    value = (value or "").strip()
    if len(value) >= 7:
        return f"{value[:3]}****{value[-4:]}"
    return "*" * max(0, len(value) - 2) + value[-2:] if value else ""


def mask_email(value: str) -> str:
    """An e-mail address with its local part hidden but the first letter: z***@example.com."""
    value = (value or "").strip()
    local, at, domain = value.partition("@")
    if not at:
        return mask_phone(value)
    return f"{local[:1]}***@{domain}"


class AlumnusQuerySet(models.QuerySet):
    def active(self):
        """Records not deleted at the alumnus's request."""
        return self.filter(deleted_at__isnull=True)


class Alumnus(SingleLineTextMixin, models.Model):
    """One alumnus's record as the office keeps it.

    `wechat_openid` mirrors the WeChat follower bound to this record (audience.Follower.alumnus);
    only the audience app's binding services write it. A record deleted at the alumnus's request
    keeps its row (gifts and sign-ups still point at it) with `deleted_at` set and every personal
    field erased.
    """

    name = models.CharField(_("name"), max_length=50, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    class_year = models.PositiveSmallIntegerField(_("class year"), db_index=True)
    college = models.CharField(_("college"), max_length=100, blank=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat_openid = models.CharField(
        _("WeChat openid"), max_length=64, unique=True, null=True, blank=True
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("branch"),
    )
    notes = models.TextField(_("notes"), blank=True)
    visible_to_classmates = models.BooleanField(
        _("visible to classmates"),
        default=False,
        help_text=_("Classmates may see this alumnus's name, city and employer."),
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AlumnusQuerySet.as_manager()

    class Meta:
        verbose_name = _("alumnus")
        verbose_name_plural = _("alumni")
        ordering = ["-class_year", "name"]
        permissions = [("export_alumnus", _("Can export alumni records"))]

    def __str__(self):
        return _("%(name)s (class of %(year)s)") % {"name": self.name, "year": self.class_year}

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)


class AlumniProfile(EditorialItem):
    """An alumni-style story (校友风采) about a notable alumnus; `cover` is the portrait."""

    alumnus = models.ForeignKey(
        Alumnus,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("alumnus"),
    )
    subject_name = models.CharField(
        _("name shown"), max_length=50, help_text=_("The alumnus's name as the story shows it.")
    )
    headline = models.CharField(
        _("headline"),
        max_length=100,
        blank=True,
        help_text=_("Position or achievement, e.g. 'Chief engineer, class of 1998'."),
    )
    author = models.CharField(_("author"), max_length=16, blank=True)

    revision_fields = EditorialItem.revision_fields + ("subject_name", "headline", "author")
    public_url_name = "alumni:profile_detail"
    search_title_fields = ("title", "subject_name")
    search_text_fields = ("headline", *EditorialItem.search_text_fields, "author")

    class Meta:
        verbose_name = _("alumni profile")
        verbose_name_plural = _("alumni profiles")
        ordering = ["-published_at", "-pk"]
