from django.shortcuts import render

from activities.selectors import activities_upcoming, signup_status
from alumni.models import AlumniProfile
from articles.selectors import articles_published
from core.pagecache import cache_public_page
from donations.models import DonationProject
from donations.selectors import donation_progress, projects_with_progress


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
