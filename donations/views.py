from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.attribution import with_source
from core.pagecache import cache_public_page
from core.paging import paginate

from .models import DonationProject
from .selectors import donation_progress, donor_wall, projects_with_progress

WALL_PER_PAGE = 60
DETAIL_WALL_SIZE = 30


def _public_projects():
    return projects_with_progress(DonationProject.objects.published())


@cache_public_page
def project_list(request):
    page = paginate(request, _public_projects())
    for project in page:
        project.progress = donation_progress(project=project)
    return render(request, "donations/list.html", {"page": page, "projects": page})


@cache_public_page
def project_detail(request, pk: int):
    project = get_object_or_404(_public_projects(), pk=pk)
    wall = donor_wall(project=project, limit=DETAIL_WALL_SIZE)
    return render(
        request,
        "donations/detail.html",
        {
            "project": project,
            "progress": donation_progress(project=project),
            "wall": wall,
            "wall_gifts": list(wall.gifts),
            # Online giving (the payments app) is on once a WeChat Pay merchant is configured.
            "online_giving": bool(settings.WECHATPAY_MCHID),
            # The push or QR channel that led here (?src=, valid ones only) goes on to the give
            # page and its order. The page cache keys on the full path, query string included,
            # so one visitor's src never shows on another's page.
            "give_url": with_source(
                reverse("payments:give", args=[project.pk]), request.GET.get("src", "")
            ),
        },
    )


@cache_public_page
def wall(request):
    wall = donor_wall(limit=None)
    page = paginate(request, wall.gifts, per_page=WALL_PER_PAGE)
    return render(request, "donations/wall.html", {"wall": wall, "page": page})
