"""Read-only views of the editorial workflow: review queue, audit trail, comments, revisions."""

import re
import time

from diff_match_patch import diff_match_patch
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, FileField, OuterRef, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

from .html import html_to_text
from .models import AuditEntry, EditorialItem, ReviewComment, Revision, State
from .registry import content_models


def items_awaiting_review(*, user=None) -> list[EditorialItem]:
    """Submitted items of every content model, the longest-waiting first.

    With `user`, only the items that user may approve: none without the review permission, not
    their own unless EDITORIAL_ALLOW_SELF_APPROVAL, and none of someone else's that they changed
    since its last approval. One query per content model.
    """
    if user is not None and not user.has_perm("editorial.review_item"):
        return []
    items: list[EditorialItem] = []
    for model in content_models():
        queryset = model.objects.filter(state=State.SUBMITTED).select_related("created_by")
        if user is not None:
            if not settings.EDITORIAL_ALLOW_SELF_APPROVAL:
                queryset = queryset.exclude(created_by=user)
            changed = _revisions_since_approval(model, user).filter(object_id=OuterRef("pk"))
            queryset = queryset.exclude(~Q(created_by=user) & Q(Exists(changed)))
        items.extend(queryset)
    # Submitted items cannot be edited, so updated_at is the time of submission.
    items.sort(key=lambda item: (item.updated_at, item._meta.label, item.pk))
    return items


APPROVED_ACTION = "editorial.item.approved"


def _revisions_since_approval(model, user) -> QuerySet[Revision]:
    """Revisions saved by `user` of items of `model` that no approval has come after."""
    content_type = ContentType.objects.get_for_model(model)
    approved_later = AuditEntry.objects.filter(
        content_type=content_type,
        object_id=OuterRef("object_id"),
        action=APPROVED_ACTION,
        created_at__gt=OuterRef("created_at"),
    )
    return Revision.objects.filter(content_type=content_type, created_by=user).exclude(
        Exists(approved_later)
    )


def item_changed_since_approval(*, item: EditorialItem, user) -> bool:
    """Whether `user` changed the item's content (saved it, edited its photos, restored a
    revision: anything that keeps a revision) since it was last approved, or ever if it never
    was. Such a user is no second pair of eyes for it."""
    if user is None or user.pk is None:
        return False
    return _revisions_since_approval(type(item), user).filter(object_id=item.pk).exists()


def _for_item(model, item: EditorialItem) -> QuerySet:
    return model.objects.filter(
        content_type=ContentType.objects.get_for_model(item), object_id=item.pk
    )


def audit_trail(*, item: EditorialItem) -> QuerySet[AuditEntry]:
    """The item's audit entries, newest first, with their users."""
    return _for_item(AuditEntry, item).select_related("user").order_by("-created_at", "-pk")


def review_comments(*, item: EditorialItem) -> QuerySet[ReviewComment]:
    """The reviewers' comments on the item, oldest first, with their authors."""
    return _for_item(ReviewComment, item).select_related("author").order_by("created_at", "pk")


def revisions(*, item: EditorialItem) -> QuerySet[Revision]:
    """The item's revisions, newest first, with who saved them."""
    return _for_item(Revision, item).select_related("created_by").order_by("-created_at", "-pk")


# Revision diffs: words, not markup, one line per paragraph.

_BLOCK_BOUNDARY = re.compile(
    r"<(?:br|hr|/?(?:p|div|h[1-6]|li|ul|ol|blockquote|table|thead|tbody|tr|td|th|figure"
    r"|figcaption|section))\b[^>]*>",
    re.IGNORECASE,
)
_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMAGE_SRC = re.compile(r"""\bsrc\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _image_marker(match: re.Match) -> str:
    src = _IMAGE_SRC.search(match.group(0))
    name = src.group(1).rsplit("/", 1)[-1] if src else ""
    # Stays on its own line so a swapped image shows as a changed line.
    return "<p>" + escape(gettext("[image %(name)s]") % {"name": name}) + "</p>"


def _html_lines(html: str) -> list[str]:
    html = _IMAGE.sub(_image_marker, html or "")
    lines = (html_to_text(part) for part in _BLOCK_BOUNDARY.split(html))
    return [line for line in lines if line]


# Diffs must never hold a worker: two 60,000-character paragraphs compared character by
# character took a minute. diff-match-patch stops looking for the smallest diff at its timeout
# and returns a coarser one that is still correct (at worst: all removed, all added). One budget
# covers a whole comparison, every field and paragraph of it.
DIFF_BUDGET_SECONDS = 0.3
# Latin words and numbers are compared whole; every other character (Chinese, punctuation,
# spaces) on its own, since Chinese text has no spaces between its words.
_TOKEN = re.compile(r"[0-9A-Za-z]+|.", re.DOTALL)
_EQUAL, _DELETE, _INSERT = (
    diff_match_patch.DIFF_EQUAL,
    diff_match_patch.DIFF_DELETE,
    diff_match_patch.DIFF_INSERT,
)


class _Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


def _units_diff(before: list[str], after: list[str], budget: _Budget) -> list[tuple[int, list]]:
    """Diff two sequences of strings (tokens or lines) as (op, units) runs, within the budget.

    Each distinct unit is coded as one character, so diff-match-patch compares units, not the
    characters inside them.
    """
    if before == after:
        return [(_EQUAL, before)] if before else []
    seconds = budget.left()
    if seconds <= 0:
        # Out of time: no search at all (a timeout of 0 would mean "no limit").
        return [(op, units) for op, units in ((_DELETE, before), (_INSERT, after)) if units]
    codes: dict[str, str] = {}
    units: dict[str, str] = {}

    def encode(sequence: list[str]) -> str:
        out = []
        for unit in sequence:
            code = codes.get(unit)
            if code is None:
                # Past ASCII (whose spaces and line breaks the cleanup treats specially) and
                # around the surrogates, which are not characters.
                number = len(codes) + 0x100
                code = chr(number if number < 0xD800 else number + 0x800)
                codes[unit] = code
                units[code] = unit
            out.append(code)
        return "".join(out)

    engine = diff_match_patch()
    engine.Diff_Timeout = seconds
    diffs = engine.diff_main(encode(before), encode(after), False)
    engine.diff_cleanupSemantic(diffs)
    return [(op, [units[code] for code in text]) for op, text in diffs]


def _inline_diff(before: str, after: str, budget: _Budget) -> str:
    parts = []
    for op, tokens in _units_diff(_TOKEN.findall(before), _TOKEN.findall(after), budget):
        text = escape("".join(tokens))
        if op == _EQUAL:
            parts.append(text)
        elif op == _DELETE:
            parts.append(f"<del>{text}</del>")
        else:
            parts.append(f"<ins>{text}</ins>")
    return "".join(parts)


def _lines_diff_html(before: list[str], after: list[str], budget: _Budget) -> SafeString:
    rows = []
    removed: list[str] = []
    added: list[str] = []

    def flush():
        if removed and len(removed) == len(added):
            rows.extend(
                f'<div class="diff-changed">{_inline_diff(old, new, budget)}</div>'
                for old, new in zip(removed, added, strict=True)
            )
        else:
            rows.extend(
                f'<div class="diff-removed"><del>{escape(line)}</del></div>' for line in removed
            )
            rows.extend(
                f'<div class="diff-added"><ins>{escape(line)}</ins></div>' for line in added
            )
        removed.clear()
        added.clear()

    for op, lines in _units_diff(before, after, budget):
        if op == _DELETE:
            removed.extend(lines)
        elif op == _INSERT:
            added.extend(lines)
        else:
            flush()
            rows.extend(f'<div class="diff-same">{escape(line)}</div>' for line in lines)
    flush()
    if not rows or all(row.startswith('<div class="diff-same">') for row in rows):
        note = escape(gettext("Only the formatting changed."))
        rows.append(f'<div class="diff-note">{note}</div>')
    return mark_safe("\n".join(rows))  # every piece of text above is escaped


def _display_lines(model, name: str, value) -> list[str]:
    if value is None or value == "":
        return []
    field = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
    if model is not None and name in getattr(model, "rich_text_fields", ()):
        return _html_lines(value)
    if model is not None and name in getattr(model, "revision_related", {}):
        return [_row_line(model._meta.get_field(name).related_model, row) for row in value]
    if field is not None and field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return [str(related) if related is not None else f"#{value}"]
    if isinstance(value, bool):
        return [gettext("Yes") if value else gettext("No")]
    return str(value).splitlines() or [str(value)]


def _row_line(model, row: dict) -> str:
    """One related row (a photo) as a line: its file by name, then its text; numbers such as a
    position are left out, the order of the lines shows it."""
    parts = []
    for name, value in row.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, FileField):
            parts.append(gettext("[image %(name)s]") % {"name": (value or "").rsplit("/", 1)[-1]})
        elif isinstance(value, str) and value:
            parts.append(value)
    return " ".join(parts)


def _blank_if_none(value):
    return "" if value is None else value


def _label(model, name: str) -> str:
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if field.auto_created and not field.concrete:
        # A reverse relation (an article's photos) is named by the related model.
        return str(capfirst(field.related_model._meta.verbose_name_plural))
    return str(capfirst(field.verbose_name))


def revision_diff(*, old: Revision | dict, new: Revision | dict) -> list[dict]:
    """What changed between two revisions of one item, field by field, in the model's order.

    Each changed field gives a dict: `field` (name), `label` (its verbose name), `before` and
    `after` (readable text: rich text as its words, one paragraph a line; relations by name) and
    `html`, a safe line diff with <del>/<ins> marks. Plain snapshot dicts are accepted too; their
    labels are then the field names.
    """
    model = None
    for revision in (new, old):
        if isinstance(revision, Revision):
            model = revision.content_type.model_class()
            break
    old_data = old.data if isinstance(old, Revision) else dict(old)
    new_data = new.data if isinstance(new, Revision) else dict(new)
    names = list(getattr(model, "revision_fields", ()))
    names += list(getattr(model, "revision_related", {}))
    names += [name for name in (*old_data, *new_data) if name not in names]
    budget = _Budget(DIFF_BUDGET_SECONDS)
    changes = []
    for name in dict.fromkeys(names):
        before_value, after_value = old_data.get(name), new_data.get(name)
        if _blank_if_none(before_value) == _blank_if_none(after_value):
            continue
        before = _display_lines(model, name, before_value)
        after = _display_lines(model, name, after_value)
        changes.append(
            {
                "field": name,
                "label": _label(model, name),
                "before": "\n".join(before),
                "after": "\n".join(after),
                "html": _lines_diff_html(before, after, budget),
            }
        )
    return changes
