"""Forms of the self-service pages (/me/) and the segment admin."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alumni.models import Alumnus

from .models import Channel, RecordRequest, Segment

FIRST_CLASS_YEAR = 1900


def _class_year_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Class year"),
        min_value=FIRST_CLASS_YEAR,
        max_value=timezone.localdate().year + 8,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "2005"}),
        **kwargs,
    )


class LookupForm(forms.Form):
    """Name and class year, to find the record to bind to."""

    name = forms.CharField(label=_("Full name"), max_length=50)
    class_year = _class_year_field(help_text=_("The year you graduated (or will graduate)."))


class DestinationForm(forms.Form):
    """Where to send the code: one of the masked phone numbers and e-mail addresses on the
    records found. Choices are "<index in the session's candidate list>:<channel>"."""

    destination = forms.ChoiceField(label=_("Send the code to"), widget=forms.RadioSelect)

    def __init__(self, *args, candidates: list[Alumnus], **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for index, alumnus in enumerate(candidates):
            if alumnus.phone:
                label = _("Phone %(number)s") % {"number": alumnus.masked_phone}
                choices.append((f"{index}:{Channel.PHONE}", label))
            if alumnus.email:
                label = _("E-mail %(address)s") % {"address": alumnus.masked_email}
                choices.append((f"{index}:{Channel.EMAIL}", label))
        self.fields["destination"].choices = choices

    def chosen(self) -> tuple[int, str]:
        index, channel = self.cleaned_data["destination"].split(":")
        return int(index), channel


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Verification code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits of the code.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


class RecordRequestForm(forms.ModelForm):
    class_year = _class_year_field()

    class Meta:
        model = RecordRequest
        fields = ["name", "class_year", "college", "major", "phone", "email", "note"]
        labels = {"name": _("Full name"), "note": _("Anything the office should know")}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")):
            raise forms.ValidationError(
                _("Give a phone number or an e-mail address so the office can reach you.")
            )
        return data


class ProfileForm(forms.ModelForm):
    """The fields an alumnus may change themselves (audience.services.SELF_SERVICE_FIELDS)."""

    class Meta:
        model = Alumnus
        fields = ["phone", "email", "city", "employer", "visible_to_classmates"]
        help_texts = {
            "visible_to_classmates": _(
                "Classmates of your year and college who bound their records see your name, "
                "major, city and employer. Your phone and e-mail are never shown."
            )
        }


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my record will be deleted and cannot be restored."),
        required=True,
    )


class SegmentAdminForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = [
            "name",
            "class_year_from",
            "class_year_to",
            "college",
            "major",
            "city",
            "branch",
            "donor",
            "participant",
            "label",
            "survey_question",
            "survey_answer",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["survey_question"]
        # Only questions of surveys tied to the record: an anonymous answer names nobody.
        field.queryset = (
            field.queryset.filter(survey__respondents="record")
            .select_related("survey")
            .order_by("-survey__pk", "position", "pk")
        )
        field.label_from_instance = lambda q: f"{q.survey.title} · {q.label}"
