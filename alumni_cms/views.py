from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.shortcuts import render

from activities.selectors import activities_upcoming, signup_status
from alumni.models import AlumniProfile
from alumni_cms.prepared import PreparedRows
from articles.selectors import articles_published
from core.pagecache import cache_public_page
from donations.models import DonationProject
from donations.selectors import donation_progress, projects_with_progress

PER_PAGE = 12


def paginate(request, rows: QuerySet | PreparedRows, *, per_page: int = PER_PAGE) -> Page:
    """The page `?page=` asks for; a missing or bad number gives the first, too big the last."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


@cache_public_page
def home(request):
    articles = articles_published()[:6]
    activities = list(activities_upcoming()[:4])
    for activity in activities:
        activity.signup = signup_status(activity)
    projects = list(projects_with_progress(DonationProject.objects.published())[:3])
    for project in projects:
        project.progress = donation_progress(project=project)
    profiles = AlumniProfile.objects.published().select_related("alumnus")[:4]
    return render(
        request,
        "home.html",
        {
            "articles": articles,
            "activities": activities,
            "projects": projects,
            "profiles": profiles,
        },
    )
