"""Errors the editorial services raise. `str(err)` is a message for the user, in their language.

Who-may and from-which-state are separate errors, so a view can tell "you may not" from "not now".
"""


class EditorialError(Exception):
    """Base of every editorial error; `message` is a (lazily) translated, user-readable string."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotAllowedError(EditorialError):
    """The user lacks the permission (or is the author, for the four-eyes rule)."""


class TransitionError(EditorialError):
    """The item's current state does not allow the move; `state` is that state."""

    def __init__(self, message, *, state: str = ""):
        super().__init__(message)
        self.state = state


class InvalidValueError(EditorialError, ValueError):
    """Bad input: an empty rejection reason, a past publish time, a field that fails validation.

    `errors` maps field names to messages when the input came as fields (like a form's errors).
    """

    def __init__(self, message, *, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}
