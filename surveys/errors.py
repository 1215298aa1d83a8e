"""What the surveys services refuse, each with a message for the person."""


class SurveyError(Exception):
    """A refused answer. `code`: closed, not_bound, already_answered, throttled, too_large."""

    def __init__(self, message, *, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code
