import io
import re

import pytest
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from editorial.images import process_photo, validate_photo
from tests.factories import photo_bytes, photo_upload, png_header_only


def _gps_exif(orientation=None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)}
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    return exif


def _open(content_file) -> Image.Image:
    return Image.open(io.BytesIO(content_file.read()))


def _error_text(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_gps_and_other_exif_are_stripped_from_a_jpeg():
    upload = photo_upload("合影.jpg", exif=_gps_exif())
    assert Image.open(io.BytesIO(upload.read())).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    cleaned = _open(process_photo(upload))

    assert cleaned.format == "JPEG"
    assert not cleaned.getexif()
    assert "exif" not in cleaned.info


def test_exif_orientation_is_applied_before_the_exif_is_dropped():
    upload = photo_upload("sideways.jpg", size=(40, 20), exif=_gps_exif(orientation=6))

    cleaned = _open(process_photo(upload))

    assert cleaned.size == (20, 40)


def test_a_large_photo_is_resized_to_the_maximum_long_edge(settings):
    settings.LIAISON_PHOTO_MAX_EDGE = 2048
    upload = photo_upload("wide.jpg", size=(3000, 1500))

    cleaned = _open(process_photo(upload))

    assert cleaned.size == (2048, 1024)


def test_a_small_photo_keeps_its_size_and_gets_a_random_jpg_name():
    result = process_photo(photo_upload("IMG_0001.jpeg", size=(640, 480)))

    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", result.name)
    assert _open(result).size == (640, 480)


def test_two_uploads_of_the_same_name_get_different_names():
    first = process_photo(photo_upload("IMG_0001.jpg"))
    second = process_photo(photo_upload("IMG_0001.jpg"))

    assert first.name != second.name


def test_a_transparent_png_stays_a_png_with_its_alpha():
    upload = photo_upload("logo.png", format="PNG", mode="RGBA", color=(255, 0, 0, 0))

    result = process_photo(upload)

    image = _open(result)
    assert result.name.endswith(".png")
    assert (image.format, image.mode) == ("PNG", "RGBA")


def test_a_webp_photo_is_stored_as_jpeg():
    result = process_photo(photo_upload("photo.webp", format="WEBP", exif=_gps_exif()))

    image = _open(result)
    assert image.format == "JPEG"
    assert not image.getexif()


def test_a_text_file_renamed_jpg_is_refused_naming_the_file():
    upload = photo_upload("通知.jpg", content="这不是照片".encode())

    with pytest.raises(ValidationError) as excinfo:
        validate_photo(upload)

    assert excinfo.value.code == "photo_format"
    assert _error_text(excinfo) == "“通知.jpg”不是照片：只接受 JPEG、PNG、GIF 和 WebP 格式的图片。"


def test_an_image_in_another_format_is_refused():
    upload = photo_upload("scan.jpg", content=photo_bytes(format="BMP"))

    with pytest.raises(ValidationError) as excinfo:
        validate_photo(upload)

    assert excinfo.value.code == "photo_format"


def test_a_file_over_the_byte_limit_is_refused_before_it_is_opened(settings):
    settings.LIAISON_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    padded = photo_bytes() + b"\0" * (11 * 1024 * 1024)

    with pytest.raises(ValidationError) as excinfo:
        validate_photo(photo_upload("big.jpg", content=padded))

    assert excinfo.value.code == "photo_too_big"
    assert "“big.jpg”" in _error_text(excinfo)
    assert "最大 10.0\xa0MB" in _error_text(excinfo)


def test_sixty_megapixels_are_refused_from_the_header_without_decoding():
    # The body of this PNG is a few bytes: decoding it would fail as "damaged", so the
    # pixel-count error proves the header was judged first.
    upload = photo_upload("huge.png", content=png_header_only(8000, 7500))

    with pytest.raises(ValidationError) as excinfo:
        validate_photo(upload)

    assert excinfo.value.code == "photo_too_many_pixels"
    assert _error_text(excinfo) == "“huge.png”为 8000 × 7500 像素；照片最多 4000 万像素。"


def test_a_decompression_bomb_beyond_pillows_own_limit_is_refused():
    upload = photo_upload("bomb.png", content=png_header_only(30000, 30000))

    with pytest.raises(ValidationError) as excinfo:
        validate_photo(upload)

    assert excinfo.value.code == "photo_too_many_pixels"


def test_a_truncated_jpeg_is_refused_as_damaged():
    data = photo_bytes(size=(400, 300))
    upload = photo_upload("cut.jpg", content=data[: len(data) // 2])

    with pytest.raises(ValidationError) as excinfo:
        validate_photo(upload)

    assert excinfo.value.code == "photo_damaged"
