"""The office's roles as Django groups, and the permissions each carries.

Group names are the zh-hans words the office uses; code refers to them through these constants.
`roles_sync` is idempotent: the data migration calls it and so may an admin after adding models.
"""

from django.utils.translation import gettext_noop

EDITOR = "编辑"
REVIEWER = "审核员"
LIAISON = "联络员"
OFFICE_ADMIN = "管理员"
DONATIONS_OFFICER = "捐赠专员"

# Translatable labels for the group names above (the names themselves stay zh-hans in the DB).
ROLE_LABELS = {
    EDITOR: gettext_noop("Editor"),
    REVIEWER: gettext_noop("Reviewer"),
    LIAISON: gettext_noop("Liaison"),
    OFFICE_ADMIN: gettext_noop("Office admin"),
    DONATIONS_OFFICER: gettext_noop("Donations officer"),
}

CONTENT_MODELS = [
    ("articles", "article"),
    ("activities", "activity"),
    ("alumni", "alumniprofile"),
    ("donations", "donationproject"),
    ("surveys", "survey"),
]
SUPPORT_MODELS = [
    ("articles", "articlephoto"),
    ("articles", "category"),
    ("articles", "department"),
    ("activities", "registration"),
    ("activities", "activityquestion"),
    ("alumni", "alumnus"),
    ("alumni", "branch"),
    ("surveys", "question"),
]
# The publishing channel's and the audience's models (installed apps the roles also cover).
CHANNEL_MODELS = [
    ("wechat", "push"),
    ("wechat", "pushitem"),
    ("wechat", "menu"),
    ("wechat", "menuversion"),
    ("wechat", "replyrule"),
    ("wechat_channels", "channel"),
]
CHANNEL_LOG_MODELS = [
    ("wechat", "pushevent"),
    ("wechat_channels", "channelscan"),
    ("stats", "readingstatistics"),
    ("stats", "dailyviews"),
]
# Gifts are finance records: only the donations officer (and the office admin) records, changes
# or deletes them; editors and reviewers see them, so a project's page can thank its donors.
FINANCE_MODELS = [
    ("donations", "gift"),
]
ONLINE_GIVING_MODELS = [
    ("payments", "onlineorder"),
    ("payments", "reconciliation"),
    ("payments", "discrepancy"),
    ("payments", "refund"),
]
TRAIL_MODELS = [
    ("editorial", "reviewcomment"),
    ("editorial", "revision"),
    ("editorial", "auditentry"),
]


def _codes(models, actions):
    return {(app, f"{action}_{model}") for app, model in models for action in actions}


EDITOR_PERMS = (
    _codes(CONTENT_MODELS, ["view", "add", "change"])
    | _codes(SUPPORT_MODELS, ["view", "add", "change"])
    | _codes(FINANCE_MODELS, ["view"])
    | _codes(TRAIL_MODELS, ["view"])
    | _codes(CHANNEL_MODELS, ["view", "add", "change"])
    | _codes(CHANNEL_LOG_MODELS, ["view"])
    | {("surveys", "view_results")}
    # The door's check-in page (activities); a volunteer may be given this permission alone.
    | {("activities", "check_in_registration"), ("activities", "delete_activityquestion")}
    # Followers' messages: stored by the callback only; editors read and answer them.
    | {("wechat", "view_inboxmessage"), ("wechat", "answer_inboxmessage")}
)
REVIEWER_PERMS = (
    EDITOR_PERMS
    | _codes(CONTENT_MODELS, ["delete"])
    | _codes(SUPPORT_MODELS, ["delete"])
    | _codes(CHANNEL_MODELS, ["delete"])
    | {("editorial", "add_reviewcomment"), ("editorial", "review_item")}
)
LIAISON_PERMS = {("editorial", "use_liaison_portal")}
DONATIONS_OFFICER_PERMS = (
    _codes(FINANCE_MODELS, ["view", "add", "change", "delete"])
    | _codes([("donations", "donationproject"), ("alumni", "alumnus")], ["view"])
    | _codes(TRAIL_MODELS, ["view"])
    # Online giving: orders are written by the system only; the officer reads them and the
    # daily reconciliation, and resolves its differences.
    | _codes(ONLINE_GIVING_MODELS, ["view"])
    | {("payments", "change_discrepancy"), ("payments", "add_refund")}
)

ROLE_PERMISSIONS = {
    EDITOR: EDITOR_PERMS,
    REVIEWER: REVIEWER_PERMS,
    LIAISON: LIAISON_PERMS,
    DONATIONS_OFFICER: DONATIONS_OFFICER_PERMS,
    OFFICE_ADMIN: None,  # every permission, user management included
}


def roles_sync(*, group_model, permission_model, additive: bool = False) -> None:
    """Create the role groups and give each its permissions.

    With `additive`, groups that exist keep any permission the office gave them and only gain
    the ones they lack (run after every migrate, so new models' permissions reach the roles).
    """
    all_perms = list(permission_model.objects.select_related("content_type"))
    for name, codes in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = [
            p for p in all_perms if codes is None or (p.content_type.app_label, p.codename) in codes
        ]
        if additive:
            group.permissions.add(*perms)
        else:
            group.permissions.set(perms)


def roles_sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate receiver: keep the roles complete as apps and models are added."""
    from django.contrib.auth.models import Group, Permission

    roles_sync(group_model=Group, permission_model=Permission, additive=True)
