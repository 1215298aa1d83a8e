"""The liaison portal: branch liaisons send news from their phones and follow its review.

Pages need a login and the `editorial.use_liaison_portal` permission; a liaison only ever sees
the submissions of the branches they are a liaison of (anything else is a 404). State changes go
through `editorial.services`, by way of `articles.services` for submissions with photos.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alumni.models import Branch
from editorial import workflow
from editorial.errors import EditorialError, InvalidValueError, NotAllowedError
from editorial.services import item_recall

from .liaison_forms import SubmissionEditForm, SubmissionForm
from .models import Article
from .selectors import branch_submissions
from .services import submission_create, submission_resubmit

PORTAL_PERMISSION = "editorial.use_liaison_portal"
# What the portal changes and sends again: what is edited in place and may then be submitted
# (a draft, or what a reviewer sent back), as the workflow table declares.
EDITABLE_STATES = workflow.EDITED_IN_PLACE_STATES & workflow.SUBMIT.sources
PAGE_SIZE = 20


def is_recallable(article: Article, user) -> bool:
    """Whether `user` may take `article` back from review here: the table's RECALL allows it
    from the article's state and for them (its author). The service judges again."""
    return article.state in workflow.RECALL.sources and workflow.RECALL.may(user, article)


def is_editable(article: Article, user) -> bool:
    """Whether `user` may change `article` here and send it again: in a state the portal edits,
    theirs, and the table's SUBMIT allows them.

    The services let a liaison edit only what they created, even within their branch.
    """
    return (
        article.state in EDITABLE_STATES
        and article.created_by_id == user.pk
        and workflow.SUBMIT.may(user, article)
    )


def liaison_required(view):
    """Login first (to the portal's login page); then the portal permission, else a 403 page."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(PORTAL_PERMISSION):
            return render(request, "liaison/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


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
            "recallable": is_recallable(article, request.user),
        },
    )


@liaison_required
@require_http_methods(["GET", "POST"])
def submission_recall(request, pk):
    """Ask, then take a submission back from review into draft through editorial's RECALL.

    Only its author may (another liaison of the branch gets a 403 page); one no longer awaiting
    review goes back to its page with the reason.
    """
    article = get_object_or_404(branch_submissions(user=request.user), pk=pk)
    try:
        if request.method == "POST":
            article = item_recall(item=article, by=request.user)
        else:
            workflow.judge(workflow.RECALL, article, request.user)
    except NotAllowedError as exc:
        return render(
            request, "liaison/recall.html", {"article": article, "refusal": exc}, status=403
        )
    except EditorialError as exc:
        messages.info(request, str(exc))
        return redirect("liaison:detail", pk=article.pk)
    if request.method == "GET":
        return render(request, "liaison/recall.html", {"article": article})
    message = _("“%(title)s” was taken back from review and is a draft again.")
    messages.success(request, message % {"title": article.title})
    return redirect("liaison:detail", pk=article.pk)


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
