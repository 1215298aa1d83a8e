"""The page where a follower opts in to the site's notices in WeChat (subscription accounts).

On a subscription account WeChat delivers a subscription notification (订阅通知) only after the
follower pressed "accept" in WeChat's popup, opened by the JS-SDK's open tag
`wx-open-subscribe` on one of our pages (CONTRACT.md §16). Each acceptance allows one notice;
WeChat tells us through `subscribe_msg_popup_event`, which notifications.wechat_reports counts.
Staff open it to receive push notices in the WeChat they linked for previews; alumni to get
their sign-up confirmations. Nothing here needs a login: the templates are the account's own.
"""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .errors import WeChatError
from .gateway import WeChatGateway


@require_GET
def notices(request):
    """The opt-in buttons (one per configured template) with the page's signed wx.config; on a
    service account a line that nothing needs to be done."""
    templates = [
        template
        for template in (settings.WECHAT_TEMPLATE_PUSH, settings.WECHAT_TEMPLATE_SIGNUP)
        if template
    ]
    context = {"service": settings.WECHAT_ACCOUNT_TYPE == "service", "templates": templates}
    if not context["service"] and templates:
        # SITE_URL's host is the JS-SDK domain (JS接口安全域名) WeChat checks the signature for.
        url = settings.SITE_URL.rstrip("/") + request.get_full_path()
        try:
            config = WeChatGateway().jsapi_config(url)
        except WeChatError:
            context["unavailable"] = True
        else:
            context["wx_config"] = {
                "debug": False,
                "appId": config.app_id,
                "timestamp": config.timestamp,
                "nonceStr": config.nonce_str,
                "signature": config.signature,
                "jsApiList": ["checkJsApi"],
                "openTagList": ["wx-open-subscribe"],
            }
            context["template_list"] = ",".join(dict.fromkeys(templates))
    response = render(request, "wechat/notices.html", context)
    response["Cache-Control"] = "no-store"  # the signature holds a timestamp
    return response
