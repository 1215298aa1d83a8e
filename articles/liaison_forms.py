"""Forms of the liaison portal: a branch's news submission, new or sent back for changes."""

import html as _html
import re

import nh3
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.html import linebreaks
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from alumni.models import Branch
from core.text import validate_single_line
from editorial.images import process_photo

from .models import Article, ArticlePhoto


def text_to_html(text: str) -> str:
    """Plain text from a phone as HTML: blank lines part paragraphs, other newlines are <br>.

    Everything the liaison typed is escaped, so `<script>` arrives as text, not markup.
    """
    return linebreaks(text.strip(), autoescape=True)


def html_to_plain(html: str) -> str:
    """The reverse of `text_to_html`, to put a stored body back into the textarea."""
    text = re.sub(r"<br\s*/?>", "\n", html or "", flags=re.IGNORECASE)
    text = re.sub(r"</p\s*>", "\n\n", text, flags=re.IGNORECASE)
    text = _html.unescape(nh3.clean(text, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class PhotosInput(forms.FileInput):
    """`<input type=file multiple accept="image/*">`: a phone offers its camera and gallery."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", **(attrs or {})})


class PhotosField(forms.Field):
    """Several photos from one input; cleans to a list of processed ContentFiles.

    Every photo is checked and re-encoded here (editorial.images.process_photo), before anything
    is written: a bad photo makes the whole form invalid with an error naming the file.
    """

    widget = PhotosInput

    def __init__(self, *, max_count: int, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_count = max_count

    def to_python(self, data):
        if not data:
            return []
        uploads = data if isinstance(data, (list, tuple)) else [data]
        return [upload for upload in uploads if upload and getattr(upload, "name", "")]

    def clean(self, data):
        uploads = self.to_python(data)
        self.validate(uploads)
        if len(uploads) > self.max_count:
            raise ValidationError(
                ngettext_lazy(
                    "You chose %(count)d photos; at most %(max)d may be attached.",
                    "You chose %(count)d photos; at most %(max)d may be attached.",
                    "count",
                ),
                code="too_many_photos",
                params={"count": len(uploads), "max": self.max_count},
            )
        processed, errors = [], []
        for upload in uploads:
            try:
                processed.append(process_photo(upload))
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)
        return processed


class SubmissionForm(forms.Form):
    """A branch's news: title, text, event date, branch and photos (new submission)."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Article._meta.get_field("title").max_length,
        help_text=_("At most 32 characters: WeChat refuses longer titles."),
        validators=[validate_single_line],
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Leave an empty line between paragraphs."),
    )
    event_date = forms.DateField(
        label=_("Date of the event"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    photos = PhotosField(
        label=_("Photos"),
        max_count=settings.LIAISON_MAX_PHOTOS,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        branches = Branch.objects.filter(liaisons=user).order_by("name")
        field = self.fields["branch"]
        field.queryset = branches
        only = list(branches[:2])
        if len(only) == 1:
            field.initial = only[0].pk
            field.empty_label = None
        photos = self.fields["photos"]
        photos.max_count = settings.LIAISON_MAX_PHOTOS
        photos.help_text = _(
            "Up to %(max)d photos (JPEG, PNG, GIF or WebP), each at most %(size)s."
        ) % {
            "max": settings.LIAISON_MAX_PHOTOS,
            "size": filesizeformat(settings.LIAISON_PHOTO_MAX_BYTES),
        }

    def body_html(self) -> str:
        return text_to_html(self.cleaned_data["text"])


class SubmissionEditForm(SubmissionForm):
    """A sent-back submission: the same fields, plus photos to remove (at most 9 in total)."""

    remove_photos = forms.ModelMultipleChoiceField(
        label=_("Remove these photos"),
        queryset=ArticlePhoto.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, article: Article, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "title": article.title,
                "text": html_to_plain(article.body),
                "event_date": article.event_date,
                "branch": article.branch_id,
            },
        )
        super().__init__(*args, user=user, **kwargs)
        self.article = article
        self.fields["remove_photos"].queryset = article.photos.all()
        self.fields["photos"].label = _("Add photos")

    def clean(self):
        cleaned = super().clean()
        new = cleaned.get("photos") or []
        removed = cleaned.get("remove_photos") or []
        kept = self.article.photos.count() - len(removed)
        limit = settings.LIAISON_MAX_PHOTOS
        if "photos" in cleaned and kept + len(new) > limit:
            self.add_error(
                "photos",
                ValidationError(
                    _(
                        "A submission may have at most %(max)d photos: "
                        "it keeps %(kept)d and you added %(added)d."
                    ),
                    code="too_many_photos",
                    params={"max": limit, "kept": kept, "added": len(new)},
                ),
            )
        return cleaned
