import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.questions import add_fields, answers_from

from .services import MOBILE_RE


class SignupForm(forms.Form):
    """The public sign-up form on an activity's page; the service does the rest of the checks."""

    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    class_year = forms.IntegerField(
        label=_("Class year"),
        min_value=1900,
        help_text=_("The year you graduated (or will graduate)."),
        error_messages={"required": _("Enter your class year.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "2010"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        error_messages={"required": _("Enter your mobile phone number.")},
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 20}
        ),
    )

    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        max_length=254,
        help_text=_("We send the confirmation and the link to your sign-up here."),
        error_messages={"invalid": _("Enter a valid e-mail address, or leave it empty.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )

    def __init__(self, *args, questions=(), **kwargs):
        """`questions`: the activity's own questions (core.questions specs), asked after the
        person's details."""
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        add_fields(self, self.questions)

    def signup_data(self) -> dict:
        """The cleaned details and the answers, as registration_create takes them."""
        data = {name: self.cleaned_data[name] for name in ("name", "class_year", "phone", "email")}
        data["answers"] = answers_from(self, self.questions)
        return data

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter your name."), code="required")
        return name

    def clean_class_year(self):
        year = self.cleaned_data["class_year"]
        # Current students may sign up too: allow a few years ahead, not any number.
        if year > timezone.localdate().year + 8:
            raise ValidationError(_("Enter a valid class year."), code="invalid")
        return year

    def clean_phone(self):
        return clean_mobile(self.cleaned_data["phone"])


def clean_mobile(value: str) -> str:
    """The 11 digits of a mainland mobile number as people type it. Raises ValidationError."""
    # People paste numbers as "138 0013 8000", "138-0013-8000" or "+86 13800138000", and a
    # Chinese input method may type full-width digits (１３８…): NFKC makes them ASCII.
    phone = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value))
    if phone.startswith("+86"):
        phone = phone[3:]
    if not MOBILE_RE.match(phone):
        raise ValidationError(
            _("Enter a valid mainland China mobile number (11 digits starting with 1)."),
            code="invalid",
        )
    return phone


class LookupPhoneForm(forms.Form):
    """Step one of finding one's sign-ups: the phone number they were made with."""

    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        error_messages={"required": _("Enter your mobile phone number.")},
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 20}
        ),
    )

    def clean_phone(self):
        return clean_mobile(self.cleaned_data["phone"])


class LookupCodeForm(forms.Form):
    """Step two: the six-digit code sent to that number."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        error_messages={"required": _("Enter the code we sent you.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": 6,
                "pattern": "[0-9]*",
            }
        ),
    )

    def clean_code(self):
        code = re.sub(r"\s", "", unicodedata.normalize("NFKC", self.cleaned_data["code"]))
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("The code is six digits."), code="invalid")
        return code
