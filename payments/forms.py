from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .services import GiveError, amount_to_fen

OTHER = "other"


class GiveForm(forms.Form):
    """The give page: a preset amount or another one, a name (or anonymous) and a message."""

    preset = forms.ChoiceField(
        label=gettext_lazy("Amount"), required=False, widget=forms.RadioSelect
    )
    other_amount = forms.CharField(
        label=gettext_lazy("Other amount (yuan)"), required=False, max_length=20
    )
    donor_name = forms.CharField(label=gettext_lazy("Name to show"), required=False, max_length=100)
    anonymous = forms.BooleanField(label=gettext_lazy("Give anonymously"), required=False)
    message = forms.CharField(
        label=gettext_lazy("Message (optional)"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    email = forms.EmailField(
        label=gettext_lazy("E-mail for the thank-you (optional)"),
        required=False,
        max_length=254,
        error_messages={"invalid": gettext_lazy("Please enter a valid e-mail address.")},
    )
    hide_amount = forms.BooleanField(
        label=gettext_lazy("Leave the amount out of the thank-you"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [
            (f"{amount:f}", f"¥{amount:,.0f}" if amount == amount.to_integral() else f"¥{amount}")
            for amount in settings.DONATIONS_ONLINE_PRESETS
        ] + [(OTHER, _("Other"))]

    def clean_donor_name(self):
        return " ".join(self.cleaned_data["donor_name"].split())

    def clean_message(self):
        return " ".join(self.cleaned_data["message"].split())

    def clean(self):
        data = super().clean()
        preset, other = data.get("preset") or "", (data.get("other_amount") or "").strip()
        text = other if (other or preset in ("", OTHER)) else preset
        text = text.replace("¥", "").replace("￥", "").replace(",", "").replace("，", "").strip()
        if not text:
            self.add_error("other_amount", _("Please choose or enter an amount."))
            return data
        try:
            amount = Decimal(text)
        except InvalidOperation:
            self.add_error("other_amount", _("Please enter an amount in yuan, e.g. 100 or 88.88."))
            return data
        try:
            amount_to_fen(amount)
        except GiveError as exc:
            self.add_error("other_amount", exc.message)
            return data
        data["amount"] = amount
        if not data.get("anonymous") and not data.get("donor_name"):
            self.add_error(
                "donor_name", _("Please enter the name to show, or choose to give anonymously.")
            )
        return data
