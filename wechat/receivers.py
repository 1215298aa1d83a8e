"""The wechat app's listeners (connected in WechatConfig.ready).

Nothing listens yet: pushes will connect here to editorial's signals (`item_published`, …) and
to `wechat.signals.callback_received`.
"""
