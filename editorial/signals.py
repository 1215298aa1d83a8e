"""Signals sent after an editorial transition has been committed (never on a rollback).

Every signal is sent with `sender` = the item's model and the keyword arguments `item` (the item
as saved) and `by` (the user, or editorial.actors.SYSTEM for the scheduler or WeChat).
`item_submitted` and `item_approved` also carry `comment`; `item_rejected` and `item_withdrawn`
carry `reason`. Receivers must accept
**kwargs and should not raise: signals are sent with `send`, so a failing receiver stops the rest.
"""

from django.dispatch import Signal

item_submitted = Signal()
item_recalled = Signal()
item_approved = Signal()
item_rejected = Signal()
item_scheduled = Signal()
item_published = Signal()
item_withdrawn = Signal()
