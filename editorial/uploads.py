"""The rich-text editor's image upload and browse views, in place of django-ckeditor's.

django-ckeditor's own upload view stores what it is sent byte for byte under the sender's file
name once Pillow recognises a header (`poc.html` starting with `GIF89a` included), and its browse
view lists every user's files. These keep the editor's protocol (the widget reverses the URL
names `ckeditor_upload` and `ckeditor_browse`; CKEditor 4 reads the same JSON or callback
script) and put every image through `editorial.images.process_photo`: checked by content, pixel
count read before decoding, re-encoded without metadata, stored under a random name in the
uploader's own folder. Only staff reach them.
"""

import re
import uuid
from pathlib import PurePosixPath

from ckeditor_uploader.forms import SearchForm
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escapejs
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .fields import STORED_EXTENSIONS
from .images import process_photo

# CKEditor's callback number is a small integer; anything else is dropped, never echoed.
FUNC_NUM = re.compile(r"^\d{1,6}$")
BROWSE_LIMIT = 500


def user_upload_folder(user) -> str:
    """The folder of one user's editor images under CKEDITOR_UPLOAD_PATH (by id, not name)."""
    return str(PurePosixPath(settings.CKEDITOR_UPLOAD_PATH) / str(user.pk))


def editor_image_name(user, extension: str) -> str:
    """A fresh random storage name for an editor image: <folder>/<yyyy>/<mm>/<uuid4 hex>.<ext>."""
    day = timezone.localdate()
    return f"{user_upload_folder(user)}/{day:%Y/%m}/{uuid.uuid4().hex}{extension}"


# CKEditor 4 posts its upload from an iframe form or by XHR without Django's CSRF token (as
# django-ckeditor's own view, exempted); the session cookie's SameSite=Lax keeps other sites'
# posts from carrying a staff login, and a forged post could only add a checked image.
@csrf_exempt
@require_POST
@staff_member_required
def editor_image_upload(request):
    """Check, re-encode and store the image in `upload`; answer as CKEditor expects.

    With `CKEditorFuncNum` (the image dialog's upload tab) the answer is a script calling the
    dialog back; otherwise (drag and drop, paste) JSON `{"uploaded": 1, "url", "fileName"}` or
    `{"uploaded": 0, "error": {"message"}}`. Both come with 200 so the editor shows our message.
    """
    func_num = request.GET.get("CKEditorFuncNum", "")
    upload = request.FILES.get("upload")
    if upload is None:
        return _answer(func_num, error=_("Choose an image to upload."))
    try:
        clean = process_photo(upload)
    except ValidationError as exc:
        return _answer(func_num, error=" ".join(exc.messages))
    extension = PurePosixPath(clean.name).suffix
    stored = default_storage.save(editor_image_name(request.user, extension), clean)
    return _answer(func_num, url=default_storage.url(stored), name=PurePosixPath(stored).name)


def _answer(func_num: str, *, url: str = "", name: str = "", error: str = "") -> HttpResponse:
    if FUNC_NUM.match(func_num):
        arguments = f"{func_num}, '{escapejs(url)}', '{escapejs(error)}'"
        script = f"window.parent.CKEDITOR.tools.callFunction({arguments});"
        return HttpResponse(
            f'<script type="text/javascript">{script}</script>', content_type="text/html"
        )
    if error:
        return JsonResponse({"uploaded": 0, "error": {"message": error}})
    return JsonResponse({"uploaded": 1, "url": url, "fileName": name})


@never_cache
@staff_member_required
def editor_image_browse(request):
    """The user's own editor images, newest first (nobody else's, and only images)."""
    files = [
        {"thumb": url, "src": url, "is_image": True, "visible_filename": ""}
        for url in _own_image_urls(request.user)
    ]
    # The template's search box is kept, though random names leave nothing to search for.
    context = {"show_dirs": False, "dirs": [], "files": files, "form": SearchForm()}
    return render(request, "ckeditor/browse.html", context)


def _own_image_urls(user) -> list[str]:
    names = []
    pending = [user_upload_folder(user)]
    while pending and len(names) < BROWSE_LIMIT:
        folder = pending.pop()
        try:
            directories, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        pending.extend(f"{folder}/{d}" for d in directories if not d.startswith("."))
        names.extend(
            f"{folder}/{f}"
            for f in files
            if PurePosixPath(f).suffix.lower() in STORED_EXTENSIONS and not f.startswith(".")
        )
    names.sort(key=default_storage.get_modified_time, reverse=True)
    return [default_storage.url(name) for name in names[:BROWSE_LIMIT]]
