"""Read-only views of the editorial workflow: review queue, audit trail, comments, revisions."""

import difflib
import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

from .html import html_to_text
from .models import AuditEntry, EditorialItem, ReviewComment, Revision, State
from .registry import content_models


def items_awaiting_review(*, user=None) -> list[EditorialItem]:
    """Submitted items of every content model, the longest-waiting first.

    With `user`, only the items that user may approve: none without the review permission, and
    not their own unless EDITORIAL_ALLOW_SELF_APPROVAL. One query per content model.
    """
    if user is not None and not user.has_perm("editorial.review_item"):
        return []
    items: list[EditorialItem] = []
    for model in content_models():
        queryset = model.objects.filter(state=State.SUBMITTED).select_related("created_by")
        if user is not None and not settings.EDITORIAL_ALLOW_SELF_APPROVAL:
            queryset = queryset.exclude(created_by=user)
        items.extend(queryset)
    # Submitted items cannot be edited, so updated_at is the time of submission.
    items.sort(key=lambda item: (item.updated_at, item._meta.label, item.pk))
    return items


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


def _inline_diff(before: str, after: str) -> str:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    parts = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(escape(before[i1:i2]))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(before[i1:i2])}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(after[j1:j2])}</ins>")
    return "".join(parts)


def _lines_diff_html(before: list[str], after: list[str]) -> SafeString:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    rows = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [f'<div class="diff-same">{escape(line)}</div>' for line in before[i1:i2]]
        elif tag == "replace" and i2 - i1 == j2 - j1:
            rows += [
                f'<div class="diff-changed">{_inline_diff(old, new)}</div>'
                for old, new in zip(before[i1:i2], after[j1:j2], strict=True)
            ]
        else:
            rows += [
                f'<div class="diff-removed"><del>{escape(line)}</del></div>'
                for line in before[i1:i2]
            ]
            rows += [
                f'<div class="diff-added"><ins>{escape(line)}</ins></div>' for line in after[j1:j2]
            ]
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
    if field is not None and field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return [str(related) if related is not None else f"#{value}"]
    if isinstance(value, bool):
        return [gettext("Yes") if value else gettext("No")]
    return str(value).splitlines() or [str(value)]


def _blank_if_none(value):
    return "" if value is None else value


def _label(model, name: str) -> str:
    if model is None:
        return name
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name


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
    names += [name for name in (*old_data, *new_data) if name not in names]
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
                "html": _lines_diff_html(before, after),
            }
        )
    return changes
