"""Who acts in a workflow: a person with permissions, or the system.

The scheduler publishing a due item and a WeChat callback finishing a push act as `SYSTEM`,
passed explicitly (`by=SYSTEM`), never as a default argument: a service that receives no
person refuses rather than quietly taking the system's path. Roles come from permissions,
never from group names.
"""


class SystemActor:
    """The scheduler, a Celery task or a WeChat callback acting without a person behind it."""

    is_authenticated = False
    is_active = False
    pk = None

    def __str__(self) -> str:
        return "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def is_person(user) -> bool:
    """A signed-in, active user (not SYSTEM, not anonymous, not None)."""
    return user is not None and user.is_authenticated and user.is_active


def is_reviewer(user) -> bool:
    """A person who may approve content and pushes."""
    return is_person(user) and user.has_perm("editorial.review_item")
