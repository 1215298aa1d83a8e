"""Uploaded media as `DEBUG` serves it, with the headers deploy/nginx sends in production.

Only image extensions are served, with a Content-Type taken from the extension, `nosniff` and a
sandboxing Content-Security-Policy: whatever a file holds, the browser treats it as an image or
not at all, never as a page running on the site's origin. Keep these in step with the
`location /media/` block of deploy/nginx/alumni-cms.conf.
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.http import Http404
from django.views.static import serve

MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MEDIA_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    "Cross-Origin-Resource-Policy": "same-site",
}


def serve_media(request, path: str):
    """Serve MEDIA_ROOT/`path` if it is an image by extension (404 otherwise)."""
    content_type = MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())
    if content_type is None:
        raise Http404(path)
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # serve() guesses from the extension too, but the mapping here is what nginx uses.
    response["Content-Type"] = content_type
    for header, value in MEDIA_HEADERS.items():
        response[header] = value
    return response
