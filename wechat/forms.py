"""Forms of the push admin: compose (mode, audience, send time, ordered items) and push one."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from editorial.errors import InvalidValueError
from editorial.publishing import item_by_key

from .models import Push, PushItem, PushMode
from .services import push_items_check, tag_choices

AUDIENCE_ALL = "all"


def audience_choices(push: Push | None = None) -> list[tuple[str, str]]:
    """All followers, then the account's tags (by name); a push's own tag stays listed even
    when WeChat cannot be reached."""
    choices = [(AUDIENCE_ALL, str(_("All followers")))]
    choices += [(str(tag_id), name) for tag_id, name in tag_choices()]
    listed = {value for value, _label in choices}
    if push is not None and push.tag_id is not None and str(push.tag_id) not in listed:
        choices.append((str(push.tag_id), push.tag_name or str(push.tag_id)))
    return choices


def _audience_of(value: str, choices: list[tuple[str, str]]) -> tuple[int | None, str]:
    if not value or value == AUDIENCE_ALL:
        return None, ""
    return int(value), dict(choices).get(value, "")


class PushForm(forms.ModelForm):
    """Mode, audience and send time of a push; the items come from the inline."""

    audience = forms.ChoiceField(
        label=_("Audience"),
        help_text=_("Mass sends only: every follower, or the followers carrying one WeChat tag."),
    )

    class Meta:
        model = Push
        fields = ["mode", "audience", "send_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = audience_choices(self.instance)
        if self.instance.tag_id is not None:
            self.fields["audience"].initial = str(self.instance.tag_id)
        else:
            self.fields["audience"].initial = AUDIENCE_ALL

    def clean(self):
        data = super().clean()
        tag_id, tag_name = _audience_of(data.get("audience"), self.fields["audience"].choices)
        if data.get("mode") == PushMode.PUBLISH:
            tag_id, tag_name = None, ""
        self.instance.tag_id, self.instance.tag_name = tag_id, tag_name
        return data


class PushItemForm(forms.ModelForm):
    """One row of the compose inline: which item (its key, "articles.article:12", chosen in the
    item picker), at which place."""

    item_key = forms.CharField(label=_("Item"), max_length=120)

    class Meta:
        model = PushItem
        fields = ["position", "item_key"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["item_key"].initial = self.instance.key

    def clean_item_key(self):
        key = self.cleaned_data["item_key"].strip()
        try:
            item_by_key(key)
        except LookupError as exc:
            raise ValidationError(_("This item does not exist; choose it in the list.")) from exc
        return key

    def validate_unique(self):
        # The rows are replaced as a whole by the service; uniqueness is judged by the formset.
        pass


class PushItemFormSet(forms.BaseInlineFormSet):
    def ordered_keys(self) -> list[str]:
        rows = [
            (form.cleaned_data.get("position") or 0, n, form.cleaned_data["item_key"])
            for n, form in enumerate(self.forms)
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("item_key")
            and not form.cleaned_data.get("DELETE")
        ]
        return [key for _position, _n, key in sorted(rows)]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            push_items_check(keys=self.ordered_keys())
        except InvalidValueError as exc:
            raise ValidationError(exc.errors.get("items") or [str(exc)]) from exc


class PushOptionsForm(forms.Form):
    """How to push one item (the "push to WeChat" action)."""

    mode = forms.ChoiceField(label=_("mode"), choices=PushMode.choices, initial=PushMode.MASS)
    audience = forms.ChoiceField(label=_("Audience"))
    send_at = forms.DateTimeField(
        label=_("send at"),
        required=False,
        help_text=_("Empty: as soon as it is approved."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = audience_choices()

    def push_options(self) -> dict:
        tag_id, tag_name = _audience_of(
            self.cleaned_data["audience"], self.fields["audience"].choices
        )
        return {
            "mode": self.cleaned_data["mode"],
            "tag_id": tag_id,
            "tag_name": tag_name,
            "send_at": self.cleaned_data.get("send_at"),
        }
