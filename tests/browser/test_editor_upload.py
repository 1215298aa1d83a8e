"""The rich-text editor's image upload, in a real browser: CKEditor's image dialog still works
with our upload view, and a page disguised as an image is refused with a Chinese message."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import EditorFactory, photo_bytes

from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_upload_tab(page):
    page.goto("/admin/articles/article/add/")
    page.wait_for_function(
        "window.CKEDITOR && CKEDITOR.instances.id_body"
        " && CKEDITOR.instances.id_body.status === 'ready'"
    )
    page.locator("#cke_id_body .cke_button__image").click()
    dialog = page.locator(".cke_dialog").filter(has=page.locator(".cke_dialog_title"))
    dialog.get_by_role("tab", name="上传").click()
    return dialog


def _send(page, dialog, name: str, content: bytes):
    form = page.frame_locator(".cke_dialog iframe.cke_dialog_ui_input_file")
    form.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": content}
    )
    dialog.get_by_role("button", name="上传到服务器").click()


def test_an_image_sent_from_the_dialog_comes_back_with_its_new_url(open_page):
    editor = EditorFactory(username="editor")
    page = open_page()
    log_in_to_admin(page, editor)
    dialog = _open_upload_tab(page)

    _send(page, dialog, "IMG_0042.png", photo_bytes(format="PNG"))

    url = dialog.get_by_role("textbox", name="URL")
    stored = rf"^/media/uploads/{editor.pk}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.png$"
    expect(url).to_have_value(re.compile(stored))


def test_a_page_sent_from_the_dialog_is_refused_with_a_chinese_message(open_page):
    editor = EditorFactory(username="editor")
    page = open_page()
    log_in_to_admin(page, editor)
    dialog = _open_upload_tab(page)

    with page.expect_event("dialog") as alert:
        _send(page, dialog, "poc.html", b"GIF89a<html><script>alert(1)</script></html>")

    assert alert.value.message == "“poc.html”不是照片：只接受 JPEG、PNG、GIF 和 WebP 格式的图片。"
    alert.value.accept()
