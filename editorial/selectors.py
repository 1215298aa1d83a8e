"""Read-only views of the editorial workflow: review queue, audit trail, comments, revisions."""

import re
import time

from diff_match_patch import diff_match_patch
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, FileField, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext

from .html import html_to_lines
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
    """The item's revisions, newest first, with who saved them and their `title`.

    Their content (`data`) is read only when used: a long history of long bodies is megabytes.
    """
    return (
        _for_item(Revision, item)
        .select_related("created_by")
        .defer("data")
        .annotate(title=KT("data__title"))
        .order_by("-created_at", "-pk")
    )


# Revision diffs: words, not markup, one line per paragraph.

_BLOCK_BOUNDARY = re.compile(
    r"<(?:br|hr|/?(?:p|div|h[1-6]|li|ul|ol|blockquote|table|thead|tbody|tr|td|th|figure"
    r"|figcaption|section))\b[^>]*>",
    re.IGNORECASE,
)
_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_IMAGE_SRC = re.compile(r"""\bsrc\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _image_marker(match: re.Match) -> str:
    src = _IMAGE_SRC.search(match.group(0))
    name = src.group(1).rsplit("/", 1)[-1] if src else ""
    # Stays on its own line so a swapped image shows as a changed line.
    return "<p>" + escape(gettext("[image %(name)s]") % {"name": name}) + "</p>"


def _html_lines(html: str) -> list[str]:
    # One sanitizer pass for the whole body (one per paragraph took seconds for 20,000 short
    # ones): whitespace is collapsed first, as a browser shows it, so the only line breaks left
    # are the paragraph boundaries.
    html = _IMAGE.sub(_image_marker, html or "")
    html = _BLOCK_BOUNDARY.sub("\n", _WHITESPACE.sub(" ", html))
    return html_to_lines(html)


# Diffs must never hold a worker: two 60,000-character paragraphs compared character by
# character took a minute. diff-match-patch stops looking for the smallest diff at its timeout
# and returns a coarser one that is still correct (at worst: all removed, all added). One budget
# covers a whole comparison, every field and paragraph of it.
DIFF_BUDGET_SECONDS = 0.25
_EQUAL, _DELETE, _INSERT = (
    diff_match_patch.DIFF_EQUAL,
    diff_match_patch.DIFF_DELETE,
    diff_match_patch.DIFF_INSERT,
)
# Within a paragraph, Latin words and numbers are compared whole and every other character
# (Chinese, which has no spaces between words, punctuation, spaces) on its own. Each word is
# coded as one character of the private-use planes 15 and 16, so the text keeps its other
# characters as they are; a private-use character in the text itself is coded too, so codes
# and text never mix.
_CODE_FIRST, _CODE_LAST = 0xF0000, 0x10FFFF
_WORD = re.compile("[0-9A-Za-z]{2,}|[\U000f0000-\U0010ffff]")
_CODE = re.compile("[\U000f0000-\U0010ffff]")


class _Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


class _OutOfCodes(Exception):
    pass


def _all_changed(before, after) -> list[tuple[int, object]]:
    return [(op, value) for op, value in ((_DELETE, before), (_INSERT, after)) if value]


def _diff_coded(before: str, after: str, budget: _Budget) -> list[tuple[int, str]]:
    seconds = budget.left()
    if seconds <= 0:
        # Out of time: no search at all (a timeout of 0 would mean "no limit").
        return _all_changed(before, after)
    engine = diff_match_patch()
    engine.Diff_Timeout = seconds
    diffs = engine.diff_main(before, after, False)
    engine.diff_cleanupSemantic(diffs)
    return diffs


def _lines_diff(before: list[str], after: list[str], budget: _Budget) -> list[tuple[int, list]]:
    """Diff two lists of lines as (op, lines) runs, each distinct line coded as one character."""
    if before == after:
        return [(_EQUAL, before)] if before else []
    codes: dict[str, str] = {}
    lines: dict[str, str] = {}

    def encode(sequence: list[str]) -> str:
        out = []
        for line in sequence:
            code = codes.get(line)
            if code is None:
                # Past ASCII (whose spaces and line breaks the cleanup treats specially) and
                # around the surrogates, which are not characters.
                number = len(codes) + 0x100
                code = chr(number if number < 0xD800 else number + 0x800)
                codes[line] = code
                lines[code] = line
            out.append(code)
        return "".join(out)

    diffs = _diff_coded(encode(before), encode(after), budget)
    return [(op, [lines[code] for code in text]) for op, text in diffs]


def _words_diff(before: str, after: str, budget: _Budget) -> list[tuple[int, str]]:
    """Diff two paragraphs as (op, text) runs, by word (see _WORD)."""
    if before == after:
        return [(_EQUAL, before)] if before else []
    if budget.left() <= 0:
        return _all_changed(before, after)
    codes: dict[str, str] = {}
    words: dict[str, str] = {}

    def encode(match: re.Match) -> str:
        word = match.group()
        code = codes.get(word)
        if code is None:
            number = _CODE_FIRST + len(codes)
            if number > _CODE_LAST:
                raise _OutOfCodes
            code = codes[word] = chr(number)
            words[code] = word
        return code

    try:
        coded_before, coded_after = _WORD.sub(encode, before), _WORD.sub(encode, after)
    except _OutOfCodes:
        return _all_changed(before, after)
    diffs = _diff_coded(coded_before, coded_after, budget)
    return [(op, _CODE.sub(lambda match: words[match.group()], text)) for op, text in diffs]


def _inline_diff(before: str, after: str, budget: _Budget) -> str:
    parts = []
    for op, text in _words_diff(before, after, budget):
        text = escape(text)
        if op == _EQUAL:
            parts.append(text)
        elif op == _DELETE:
            parts.append(f"<del>{text}</del>")
        else:
            parts.append(f"<ins>{text}</ins>")
    return "".join(parts)


def _rows(css: str, lines: list[str], mark: str = "") -> list[str]:
    """`lines` as rows of one class, escaped in one go (a call per line costs seconds for a body
    of 30,000 short lines)."""
    if not lines:
        return []
    start = f'<div class="{css}"><{mark}>' if mark else f'<div class="{css}">'
    end = f"</{mark}></div>" if mark else "</div>"
    text = escape("\n".join(lines))
    return [start + text.replace("\n", end + "\n" + start) + end]


def _lines_diff_html(before: list[str], after: list[str], budget: _Budget) -> SafeString:
    rows = []
    removed: list[str] = []
    added: list[str] = []

    def flush():
        # Lines replaced one for one are compared word by word while the budget lasts.
        pairs = len(removed) if len(removed) == len(added) else 0
        done = 0
        while done < pairs and budget.left() > 0:
            inline = _inline_diff(removed[done], added[done], budget)
            rows.append(f'<div class="diff-changed">{inline}</div>')
            done += 1
        rows.extend(_rows("diff-removed", removed[done:], "del"))
        rows.extend(_rows("diff-added", added[done:], "ins"))
        removed.clear()
        added.clear()

    for op, lines in _lines_diff(before, after, budget):
        if op == _DELETE:
            removed.extend(lines)
        elif op == _INSERT:
            added.extend(lines)
        else:
            flush()
            rows.extend(_rows("diff-same", lines))
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
