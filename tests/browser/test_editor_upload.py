"""The rich-text editor's image upload, in a real browser: CKEditor's image dialog still works
with our upload view, and a page disguised as an image is refused with a Chinese message; an
image pasted or dropped into the text is uploaded through the same view and put in without a
pixel size; a wide image fits the editor; CKEditor writes no error or warning to the console."""

import base64
import re

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from articles.models import Article
from editorial.models import State
from editorial.uploads import user_upload_folder
from tests.factories import ArticleFactory, EditorFactory, media_image, photo_bytes

from .conftest import RESULTS
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


# Hands a PNG to the editor as a person's paste (Ctrl+V of a screenshot) or drop does: a
# ClipboardEvent or DragEvent carrying a File, dispatched on the editing frame's body.
GIVE_FILE = """([kind, data, name]) => {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name || 'screenshot.png', {type: 'image/png'}));
    const body = CKEDITOR.instances.id_body.editable().$;
    body.focus();
    const init = {bubbles: true, cancelable: true};
    if (kind === 'paste') {
        body.dispatchEvent(new ClipboardEvent('paste', {...init, clipboardData: transfer}));
    } else {
        const rect = body.getBoundingClientRect();
        const at = {...init, dataTransfer: transfer, clientX: rect.left + 20,
            clientY: rect.top + 20};
        body.dispatchEvent(new DragEvent('dragover', at));
        body.dispatchEvent(new DragEvent('drop', at));
    }
}"""
STORED = r"/media/(uploads/{pk}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.png)"


def _open_editor(page, messages=None):
    if messages is not None:
        page.on(
            "console",
            lambda m: messages.append(m.text) if m.type in ("error", "warning") else None,
        )
    page.goto("/admin/articles/article/add/")
    page.wait_for_function(
        "window.CKEDITOR && CKEDITOR.instances.id_body"
        " && CKEDITOR.instances.id_body.status === 'ready'"
    )


def _give(page, kind: str, editor) -> str:
    png = base64.b64encode(photo_bytes(size=(1600, 1200), format="PNG")).decode()
    page.evaluate(GIVE_FILE, [kind, png])
    # The upload widget swaps its placeholder for the stored image once the view has answered.
    pattern = STORED.format(pk=editor.pk)
    page.wait_for_function(
        "pattern => new RegExp(pattern).test(CKEDITOR.instances.id_body.getData())",
        arg=pattern,
    )
    return page.evaluate("CKEDITOR.instances.id_body.getData()")


def test_the_editor_writes_no_error_or_warning_to_the_console(open_page):
    editor = EditorFactory(username="editor")
    page = open_page()
    messages = []
    log_in_to_admin(page, editor)

    _open_editor(page, messages)
    _give(page, "paste", editor)

    assert messages == []


@pytest.mark.parametrize("kind", ["paste", "drop"])
def test_a_pasted_or_dropped_image_is_uploaded_and_put_in_without_a_pixel_size(open_page, kind):
    editor = EditorFactory(username="editor")
    page = open_page()
    log_in_to_admin(page, editor)
    _open_editor(page)

    html = _give(page, kind, editor)

    name = re.search(STORED.format(pk=editor.pk), html).group(1)
    assert default_storage.exists(name)
    assert name.startswith(user_upload_folder(editor))
    image = page.frame_locator("#cke_id_body .cke_wysiwyg_frame").locator(f'img[src$="{name}"]')
    expect(image).to_have_count(1)
    assert image.get_attribute("width") is None
    assert "width" not in (image.get_attribute("style") or "")


def test_a_wide_image_put_in_fits_the_editor(open_page):
    editor = EditorFactory(username="editor")
    url = media_image("uploads/wide.jpg", size=(1600, 400))
    page = open_page()
    log_in_to_admin(page, editor)
    _open_editor(page)

    page.evaluate(
        "url => CKEDITOR.instances.id_body.insertHtml("
        "`<p><img src='${url}' width='1600' style='width:1600px;height:400px'></p>`)",
        url,
    )

    frame = page.frame_locator("#cke_id_body .cke_wysiwyg_frame")
    image = frame.locator("img")
    expect(image).to_have_count(1)
    page.wait_for_function(
        "() => document.querySelector('#cke_id_body iframe').contentDocument"
        ".querySelector('img').complete"
    )
    body_width = frame.locator("body").evaluate("b => b.clientWidth")
    assert 0 < image.evaluate("i => i.getBoundingClientRect().width") <= body_width
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "editor-wide-image.png")


def test_a_pasted_page_disguised_as_an_image_is_refused_in_the_editor(open_page):
    editor = EditorFactory(username="editor")
    page = open_page()
    log_in_to_admin(page, editor)
    _open_editor(page)
    fake = base64.b64encode(b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>").decode()

    page.evaluate(GIVE_FILE, ["paste", fake, "poc.png"])

    notice = page.locator(".cke_notification_warning")
    expect(notice).to_contain_text("“poc.png”不是照片")
    assert "<img" not in page.evaluate("CKEDITOR.instances.id_body.getData()")
    folder = user_upload_folder(editor)
    assert not default_storage.exists(folder) or default_storage.listdir(folder) == ([], [])


def test_an_image_stored_with_a_pixel_width_fits_the_public_page_on_a_phone(open_page):
    src = media_image("uploads/wide.jpg", size=(1600, 400))
    article = ArticleFactory(state=State.PUBLISHED, title="返校日合影")
    # Written past the sanitizer, as bodies saved before it dropped pixel sizes were.
    Article.objects.filter(pk=article.pk).update(
        body=f'<p>合影</p><p><img src="{src}" width="1600" height="400"></p>'
    )
    page = open_page(phone=True)

    page.goto(article.get_absolute_url())

    image = page.locator(".rich-text img")
    expect(image).to_be_visible()
    column = page.locator(".rich-text").evaluate("e => e.clientWidth")
    assert 0 < image.evaluate("i => i.getBoundingClientRect().width") <= column
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
