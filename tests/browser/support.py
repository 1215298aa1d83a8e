"""Steps the browser tests share: logging in through the real forms, typing into CKEditor."""

from playwright.sync_api import expect

from core.names import display_name

# The password tests/factories.py's UserFactory gives every user.
PASSWORD = "pw-for-tests-123"


def log_in_to_admin(page, user) -> None:
    """Log `user` in through the admin's login form, as a person types it."""
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#user-tools")).to_contain_text(display_name(user))


def log_in_to_portal(page, user) -> None:
    """Log `user` in through the liaison portal's login form; lands on their submissions."""
    page.goto("/liaison/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的投稿")).to_be_visible()


def ckeditor_type(page, text: str, *, field: str = "id_body", replace: bool = False) -> None:
    """Type `text` into the CKEditor of `field` once it is ready; Enter starts a paragraph.

    With `replace`, the current content is selected first and typed over.
    """
    page.wait_for_function(
        "name => window.CKEDITOR && CKEDITOR.instances[name]"
        " && CKEDITOR.instances[name].status === 'ready'",
        arg=field,
    )
    body = page.frame_locator(f"#cke_{field} .cke_wysiwyg_frame").locator("body")
    body.click()
    if replace:
        body.press("ControlOrMeta+a")
        body.press("Delete")
    lines = text.split("\n")
    for number, line in enumerate(lines):
        body.press_sequentially(line)
        if number < len(lines) - 1:
            body.press("Enter")
