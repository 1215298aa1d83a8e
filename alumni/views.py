from django.shortcuts import get_object_or_404, render

from core.pagecache import cache_public_page
from core.paging import paginate

from .models import AlumniProfile


def _public_profiles():
    return AlumniProfile.objects.published().select_related("alumnus")


@cache_public_page
def profile_list(request):
    page = paginate(request, _public_profiles())
    return render(request, "alumni/profile_list.html", {"page": page, "profiles": page})


@cache_public_page
def profile_detail(request, pk: int):
    profile = get_object_or_404(_public_profiles(), pk=pk)
    more = _public_profiles().exclude(pk=profile.pk)[:3]
    return render(request, "alumni/profile_detail.html", {"profile": profile, "more": more})
