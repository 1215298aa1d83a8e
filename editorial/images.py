"""Checking and cleaning every uploaded image: liaison photos, covers, article photos and the
rich-text editor's images all pass through `process_photo` before anything is stored.

A photo is accepted only if Pillow recognises it as JPEG, PNG, GIF or WebP, its file is at most
`LIAISON_PHOTO_MAX_BYTES` and its header declares at most `LIAISON_PHOTO_MAX_PIXELS`. The pixel
count is read from the header before anything is decoded, so a decompression bomb (a tiny file
that claims a gigantic canvas) never reaches the decoder. `process_photo` then re-encodes the
pixels alone: EXIF (GPS position, camera serial), XMP and comments are dropped, the EXIF
orientation is applied first, and the long edge is brought down to `LIAISON_PHOTO_MAX_EDGE`.
The clean copy gets a random name with the extension of what it now is (`.jpg` or `.png`): the
uploader's file name is neither kept nor trusted, so an unpublished draft's images cannot be
guessed and no stored file is ever `.html`, `.svg` or `.xhtml`.
"""

import io
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
JPEG_QUALITY = 85
# Modes a PNG keeps as they are; any other mode with transparency becomes RGBA.
PNG_MODES = {"1", "L", "LA", "RGB", "RGBA"}


def validate_photo(upload) -> Image.Image:
    """Check that `upload` is a real, reasonably sized photo and return it decoded.

    `upload` is a Django UploadedFile/File (anything with `.name`, `.size`, `.seek`, `.read`).
    Raises ValidationError, whose message names the file, when the file is too large, is not a
    JPEG/PNG/GIF/WebP image, is damaged, or declares more than LIAISON_PHOTO_MAX_PIXELS.
    """
    name = _display_name(upload)
    size = _upload_size(upload)
    if size > settings.LIAISON_PHOTO_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; a photo may be at most %(max)s."),
            code="photo_too_big",
            params={
                "name": name,
                "size": filesizeformat(size),
                "max": filesizeformat(settings.LIAISON_PHOTO_MAX_BYTES),
            },
        )
    image = _open(upload, name)  # header only: nothing decoded yet
    try:
        image.verify()
    except Exception as exc:
        raise _damaged(name) from exc
    # verify() leaves the image unusable; open again and decode for real, now that the header
    # is known to be sane. A truncated or corrupt body fails here, not later in a view.
    image = _open(upload, name)
    if image.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo will be shrunk anyway.
        edge = settings.LIAISON_PHOTO_MAX_EDGE
        image.draft("RGB" if image.mode == "CMYK" else image.mode, (edge, edge))
    try:
        image.load()
    except Exception as exc:
        raise _damaged(name) from exc
    return image


def process_photo(upload) -> ContentFile:
    """Validate `upload` and return a clean copy: upright, no metadata, long edge capped.

    The copy is a JPEG, or a PNG when the original is a PNG or has transparency (WeChat takes
    only JPEG and PNG in an article). Its name is random (uuid4 hex) with the new extension.
    Raises ValidationError as `validate_photo` does.
    """
    image = validate_photo(upload)  # an animated GIF/WebP is decoded at its first frame
    try:
        image, as_png = _clean(image)
    except Exception as exc:  # a mode Pillow cannot convert (16-bit grey), a broken frame
        raise _damaged(_display_name(upload)) from exc
    # Only the colour profile survives; EXIF, XMP and comments are not written.
    icc_profile = image.info.get("icc_profile")
    image.info = {}
    buffer = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if as_png:
        image.save(buffer, format="PNG", **options)
        extension = "png"
    else:
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, **options)
        extension = "jpg"
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def _clean(image: Image.Image) -> tuple[Image.Image, bool]:
    """The upright, size-capped pixels of `image` and whether to store them as PNG."""
    as_png = image.format == "PNG" or _has_transparency(image)
    image = ImageOps.exif_transpose(image)
    if as_png and image.mode not in PNG_MODES:
        image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    elif not as_png and image.mode not in {"L", "RGB"}:
        image = image.convert("RGB")
    edge = settings.LIAISON_PHOTO_MAX_EDGE
    if max(image.size) > edge:
        if image.mode == "1":
            image = image.convert("L")
        image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return image, as_png


def _open(upload, name: str) -> Image.Image:
    upload.seek(0)
    try:
        # Pillow itself refuses more than 2 × Image.MAX_IMAGE_PIXELS while reading the header
        # (DecompressionBombError); below that, our lower limit is checked just after.
        image = Image.open(upload, formats=sorted(ALLOWED_FORMATS))
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(name) from exc
    except Exception as exc:  # UnidentifiedImageError, or a plugin tripped by a crafted header
        raise _not_a_photo(name) from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _damaged(name)
    if width * height > settings.LIAISON_PHOTO_MAX_PIXELS:
        raise _too_many_pixels(name, width=width, height=height)
    return image


def _not_a_photo(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a photo: only JPEG, PNG, GIF and WebP images are accepted."),
        code="photo_format",
        params={"name": name},
    )


def _too_many_pixels(name: str, *, width: int = 0, height: int = 0) -> ValidationError:
    # Both units are offered to translators: "40 megapixels" reads as "4000 万像素" in Chinese.
    limit = settings.LIAISON_PHOTO_MAX_PIXELS
    params = {"name": name, "max": limit // 1_000_000, "max_wan": limit // 10_000}
    if width and height:
        return ValidationError(
            _(
                "“%(name)s” is %(width)s × %(height)s pixels; "
                "a photo may have at most %(max)s megapixels."
            ),
            code="photo_too_many_pixels",
            params={**params, "width": width, "height": height},
        )
    return ValidationError(
        _("“%(name)s” has too many pixels; a photo may have at most %(max)s megapixels."),
        code="photo_too_many_pixels",
        params=params,
    )


def _damaged(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is damaged or incomplete and cannot be read as a photo."),
        code="photo_damaged",
        params={"name": name},
    )


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info


def _display_name(upload) -> str:
    return PurePath(getattr(upload, "name", "") or "").name or _("photo")


def _upload_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return size
