"""The menu editor's form: 3 buttons × 5 items as fixed rows, turned into WeChat's JSON.

A button whose kind is "items" opens its filled item rows; any other kind is an action (a link
to a page, a key for a reply, a mini program). A link comes from the page picker (the site's
sections and its published items) or is typed; either way `menu_problems` checks it.
"""

from django import forms
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.models import State
from editorial.registry import content_models

from .gateway.menu import MENU_BUTTONS_MAX, MENU_SUB_BUTTONS_MAX
from .services.menu import EDITOR_TYPES, menu_problems

ITEMS = "items"
TOP_KINDS = [
    (ITEMS, _("Opens items")),
    ("view", _("Opens a page")),
    ("click", _("Sends a key (automatic reply)")),
    ("miniprogram", _("Opens a mini program")),
]
SUB_KINDS = TOP_KINDS[1:]
# The site's sections a menu commonly links to: (URL name, label).
SECTIONS = [
    ("home", _("Home page")),
    ("articles:list", _("News")),
    ("activities:list", _("Activities")),
    ("activities:lookup", _("My sign-ups")),
    ("donations:list", _("Giving")),
    ("alumni:profile_list", _("Alumni stories")),
    ("audience:me", _("My alumni card")),
]
ITEMS_PER_KIND = 20


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def page_choices() -> list:
    """The picker's choices: the site's sections, then recent published items of each kind
    (one query per content model)."""
    sections = []
    for name, label in SECTIONS:
        try:
            sections.append((_absolute(reverse(name)), str(label)))
        except NoReverseMatch:
            continue
    choices = [("", gettext("— choose a page —")), (gettext("Sections"), sections)]
    for model in content_models():
        rows = model.objects.filter(state=State.PUBLISHED).order_by("-published_at", "-pk")
        items = [(_absolute(item.get_absolute_url()), item.title) for item in rows[:ITEMS_PER_KIND]]
        if items:
            choices.append((str(model._meta.verbose_name_plural), items))
    return choices


def _prefix(i: int, j: int | None = None) -> str:
    return f"b{i}" if j is None else f"b{i}s{j}"


def buttons_initial(buttons: list) -> dict:
    """The form's initial values for WeChat's JSON `buttons`."""
    initial = {}
    for i, button in enumerate(buttons[:MENU_BUTTONS_MAX]):
        p = _prefix(i)
        initial[f"{p}_name"] = button.get("name", "")
        subs = button.get("sub_button") or []
        initial[f"{p}_type"] = ITEMS if subs else button.get("type", "view")
        initial.update(_action_initial(p, button))
        for j, sub in enumerate(subs[:MENU_SUB_BUTTONS_MAX]):
            q = _prefix(i, j)
            initial[f"{q}_name"] = sub.get("name", "")
            initial[f"{q}_type"] = sub.get("type", "view")
            initial.update(_action_initial(q, sub))
    return initial


def _action_initial(p: str, button: dict) -> dict:
    return {
        f"{p}_key": button.get("key", ""),
        f"{p}_url": button.get("url", ""),
        f"{p}_appid": button.get("appid", ""),
        f"{p}_pagepath": button.get("pagepath", ""),
    }


class MenuEditForm(forms.Form):
    """Fixed rows b0…b2 (buttons) and b0s0…b2s4 (their items); `buttons` after cleaning."""

    def __init__(self, *args, pages: list | None = None, keep_types: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        pages = pages if pages is not None else page_choices()
        for i in range(MENU_BUTTONS_MAX):
            self._add_row(_prefix(i), TOP_KINDS, pages, top=True)
            for j in range(MENU_SUB_BUTTONS_MAX):
                self._add_row(_prefix(i, j), SUB_KINDS, pages, top=False)

    def _add_row(self, p: str, kinds, pages, *, top: bool) -> None:
        text = forms.TextInput
        self.fields[f"{p}_name"] = forms.CharField(
            label=_("Button name"), required=False, max_length=200, strip=True
        )
        self.fields[f"{p}_type"] = forms.ChoiceField(
            label=_("Does"), choices=kinds, required=False, initial=kinds[0][0]
        )
        self.fields[f"{p}_page"] = forms.ChoiceField(
            label=_("Page of the site"), choices=pages, required=False
        )
        self.fields[f"{p}_url"] = forms.CharField(
            label=_("Link"),
            required=False,
            max_length=2048,
            widget=text(attrs={"placeholder": "https://", "size": 40}),
        )
        self.fields[f"{p}_key"] = forms.CharField(
            label=_("Key"), required=False, max_length=512, widget=text(attrs={"size": 16})
        )
        self.fields[f"{p}_appid"] = forms.CharField(
            label=_("Mini program AppID"), required=False, max_length=64
        )
        self.fields[f"{p}_pagepath"] = forms.CharField(
            label=_("Mini program page"), required=False, max_length=2048
        )

    def rows(self) -> list[dict]:
        """The rows for the template: each button with its bound fields and its item rows."""

        def row(p):
            return {
                "prefix": p,
                **{name: self[f"{p}_{name}"] for name in ("name", "type", "page", "url", "key")},
                "appid": self[f"{p}_appid"],
                "pagepath": self[f"{p}_pagepath"],
            }

        return [
            {
                **row(_prefix(i)),
                "number": i + 1,
                "items": [
                    {**row(_prefix(i, j)), "number": j + 1} for j in range(MENU_SUB_BUTTONS_MAX)
                ],
            }
            for i in range(MENU_BUTTONS_MAX)
        ]

    def _action(self, p: str, kind: str) -> dict:
        data = self.cleaned_data
        if kind == "click":
            return {"type": "click", "key": data.get(f"{p}_key", "")}
        url = data.get(f"{p}_url", "") or data.get(f"{p}_page", "")
        if kind == "miniprogram":
            return {
                "type": "miniprogram",
                "url": url,
                "appid": data.get(f"{p}_appid", ""),
                "pagepath": data.get(f"{p}_pagepath", ""),
            }
        return {"type": "view", "url": url}

    def clean(self):
        data = super().clean()
        buttons = []
        for i in range(MENU_BUTTONS_MAX):
            p = _prefix(i)
            name = data.get(f"{p}_name", "")
            kind = data.get(f"{p}_type") or ITEMS
            subs = []
            for j in range(MENU_SUB_BUTTONS_MAX):
                q = _prefix(i, j)
                sub_name = data.get(f"{q}_name", "")
                if not sub_name:
                    continue
                sub_kind = data.get(f"{q}_type") or "view"
                if sub_kind not in EDITOR_TYPES:
                    sub_kind = "view"
                subs.append({"name": sub_name, **self._action(q, sub_kind)})
            if not name and not subs:
                continue
            if kind == ITEMS:
                if not subs:
                    raise forms.ValidationError(
                        gettext("Button %(n)s opens items: add at least one item.") % {"n": i + 1}
                    )
                buttons.append({"name": name, "sub_button": subs})
            else:
                buttons.append({"name": name, **self._action(p, kind)})
        problems = menu_problems(buttons)
        if problems:
            raise forms.ValidationError(problems)
        self.buttons = buttons
        return data


class ConditionalMenuForm(forms.Form):
    """A conditional menu: its name and the WeChat tag whose followers see it."""

    name = forms.CharField(label=_("Menu name"), max_length=60)
    tag = forms.TypedChoiceField(label=_("WeChat tag"), coerce=int, choices=())

    def __init__(self, *args, tags: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.tag_names = dict(tags)
        self.fields["tag"].choices = [("", "—")] + [
            (tag_id, f"{name} ({tag_id})") for tag_id, name in tags
        ]
