"""Signals of wechat.channels.

`channel_scanned` is sent after the commit that recorded a new ChannelScan, with
`sender=Channel`, `channel_id`, `scan_id`, `openid`, `new_follower` and the channel's item
(`content_type_id`, `object_id`, both None without one). It is the hook for a check-in at an
activity's door: a listener on the WeChat side (content apps never import wechat) may look up
the follower's registration for that activity and check it in: `receivers.door_check_in`
asks activities through `activities.signals.check_in_requested`. Receivers run inside WeChat's
callback request: keep them to a query or two, or enqueue.
"""

from django.dispatch import Signal

channel_scanned = Signal()
