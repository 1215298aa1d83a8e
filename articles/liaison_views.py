"""The liaison portal: branch liaisons send news from their phones and follow its review.

Pages need a login and the `editorial.use_liaison_portal` permission; a liaison only ever sees
the submissions of the branches they are a liaison of (anything else is a 404). State changes go
through `editorial.services`; `submission_create` and `submission_resubmit` wrap them with the
photo rows in one transaction and remove the photo files again when that transaction fails.
"""

import contextlib
from collections.abc import Iterable, Iterator
from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alumni.models import Branch
from editorial import services
from editorial.errors import EditorialError, InvalidValueError
from editorial.models import ReviewComment, State

from .liaison_forms import SubmissionEditForm, SubmissionForm
from .models import Article, ArticlePhoto

PORTAL_PERMISSION = "editorial.use_liaison_portal"
EDITABLE_STATES = (State.REJECTED, State.DRAFT)
PAGE_SIZE = 20


def is_editable(article: Article, user) -> bool:
    """Whether `user` may change `article` here: sent back or draft, and theirs.

    The services let a liaison edit only what they created, even within their branch.
    """
    return article.state in EDITABLE_STATES and article.created_by_id == user.pk


def liaison_required(view):
    """Login first (to the portal's login page); then the portal permission, else a 403 page."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(PORTAL_PERMISSION):
            return render(request, "liaison/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def branch_submissions(*, user):
    """Articles of the branches `user` is a liaison of, newest first, with their review comments.

    The comments, branch and photo count come with a fixed number of queries, whatever the size.
    """
    return (
        Article.objects.filter(branch__in=Branch.objects.filter(liaisons=user))
        .select_related("branch")
        .annotate(photo_count=Count("photos"))
        .prefetch_related(
            Prefetch(
                "review_comments",
                queryset=ReviewComment.objects.order_by("created_at", "pk"),
                to_attr="comments",
            )
        )
        .order_by("-created_at", "-pk")
    )


def submission_create(
    *,
    by,
    branch: Branch,
    title: str,
    body: str,
    event_date: date | None,
    photos: Iterable[ContentFile],
) -> Article:
    """Create a branch's article with its photos and submit it for review, all or nothing.

    Photos must already be validated (editorial.images.process_photo). Raises EditorialError
    (NotAllowedError, InvalidValueError for bad field values, TransitionError); then no row and
    no photo file remains.
    """
    with _files_removed_on_error() as written, transaction.atomic():
        article = services.item_save(
            item=Article(),
            by=by,
            data={"title": title, "body": body, "event_date": event_date, "branch": branch},
        )
        _add_photos(article=article, photos=photos, written=written)
        return services.item_submit(item=article, by=by)


def submission_resubmit(
    *,
    article: Article,
    by,
    branch: Branch,
    title: str,
    body: str,
    event_date: date | None,
    new_photos: Iterable[ContentFile] = (),
    remove_photos: Iterable[ArticlePhoto] = (),
) -> Article:
    """Save a liaison's changes to a sent-back (or draft) article and submit it again.

    Raises EditorialError (TransitionError when the article is no longer editable,
    NotAllowedError, InvalidValueError for bad field values); then nothing changes.
    """
    with _files_removed_on_error() as written, transaction.atomic():
        data = {"title": title, "body": body, "event_date": event_date, "branch": branch}
        article = services.item_save(item=article, by=by, data=data)
        removed = list(remove_photos)
        removed_files = [photo.image.name for photo in removed]
        article.photos.filter(pk__in=[photo.pk for photo in removed]).delete()
        _add_photos(article=article, photos=new_photos, written=written)
        article = services.item_submit(item=article, by=by)
        transaction.on_commit(lambda: _delete_files(removed_files))
    return article


def _add_photos(*, article: Article, photos: Iterable[ContentFile], written: list) -> None:
    last = article.photos.aggregate(last=Max("position"))["last"]
    start = 0 if last is None else last + 1
    for offset, content in enumerate(photos):
        photo = ArticlePhoto(article=article, position=start + offset)
        photo.image.save(content.name, content, save=False)
        written.append(photo.image.name)
        photo.save()


@contextlib.contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Yield a list to note written file names in; delete those files if the block fails.

    A rolled-back transaction takes the rows back but not files in MEDIA_ROOT.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        _delete_files(written)
        raise


def _delete_files(names: Iterable[str]) -> None:
    storage = ArticlePhoto._meta.get_field("image").storage
    for name in names:
        storage.delete(name)


class LoginView(auth_views.LoginView):
    template_name = "liaison/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("liaison:list")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("liaison:login")


@liaison_required
def submission_list(request):
    page = Paginator(branch_submissions(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for article in page.object_list:
        article.editable = is_editable(article, request.user)
    has_branch = Branch.objects.filter(liaisons=request.user).exists()
    return render(request, "liaison/list.html", {"page": page, "has_branch": has_branch})


@liaison_required
def submission_detail(request, pk):
    article = get_object_or_404(branch_submissions(user=request.user), pk=pk)
    return render(
        request,
        "liaison/detail.html",
        {
            "article": article,
            "photos": article.photos.all(),
            "editable": is_editable(article, request.user),
        },
    )


@liaison_required
@require_http_methods(["GET", "POST"])
def submission_new(request):
    form = SubmissionForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = submission_create(
                by=request.user,
                branch=data["branch"],
                title=data["title"],
                body=form.body_html(),
                event_date=data["event_date"],
                photos=data["photos"],
            )
        except EditorialError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, _("“%(title)s” was sent for review.") % {"title": article.title}
            )
            return redirect("liaison:list")
    return render(
        request,
        "liaison/form.html",
        {"form": form, "has_branch": form.fields["branch"].queryset.exists()},
    )


@liaison_required
@require_http_methods(["GET", "POST"])
def submission_edit(request, pk):
    article = get_object_or_404(branch_submissions(user=request.user), pk=pk)
    if not is_editable(article, request.user):
        if article.state in EDITABLE_STATES:
            message = _("Only the liaison who sent “%(title)s” can change it.")
        else:
            message = _("“%(title)s” is “%(state)s” and can no longer be changed here.")
        messages.info(
            request, message % {"title": article.title, "state": article.get_state_display()}
        )
        return redirect("liaison:detail", pk=article.pk)
    form = SubmissionEditForm(
        request.POST or None, request.FILES or None, user=request.user, article=article
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = submission_resubmit(
                article=article,
                by=request.user,
                branch=data["branch"],
                title=data["title"],
                body=form.body_html(),
                event_date=data["event_date"],
                new_photos=data["photos"],
                remove_photos=data["remove_photos"],
            )
        except EditorialError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, _("“%(title)s” was sent for review again.") % {"title": article.title}
            )
            return redirect("liaison:list")
    return render(
        request,
        "liaison/form.html",
        {"form": form, "article": article, "has_branch": True},
    )


_FIELD_NAMES = {"body": "text"}


def _form_error(form, exc: EditorialError) -> None:
    """Show a service error on the form: on its fields when the service named them."""
    errors = exc.errors if isinstance(exc, InvalidValueError) else {}
    placed = False
    for name, message in errors.items():
        field = _FIELD_NAMES.get(name, name)
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc))
