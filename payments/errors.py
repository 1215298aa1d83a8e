"""What the payments gateway raises. Each error has `code` (WeChat Pay's, or ours) and a
zh-hans `user_message` for the pages."""

from django.utils.translation import gettext_lazy as _


class PaymentError(Exception):
    user_message = _("WeChat Pay could not take the payment. Please try again later.")

    def __init__(self, message: str = "", *, code: str = "", status: int | None = None):
        super().__init__(message or code)
        self.code = code
        self.status = status


class RetryablePaymentError(PaymentError):
    """Network failure, timeout, 5xx or SYSTEM_ERROR: the same call may be made again."""

    user_message = _("WeChat Pay could not be reached. Please try again shortly.")


class SignatureError(PaymentError):
    """An answer or notification whose WeChat Pay signature (or key id) does not verify."""


class InvalidPaymentRequestError(PaymentError):
    """WeChat Pay refused the request (4xx): a bug, a configuration error or a final state."""


class OrderNotFoundError(InvalidPaymentRequestError):
    """ORDER_NOT_EXIST / RESOURCE_NOT_EXISTS."""


class ConfigurationError(PaymentError):
    """A key file is missing or unreadable, or a setting is empty."""

    user_message = _("Online giving is not available at the moment.")


class NotificationError(PaymentError):
    """A notification that must not be believed: stale, unsigned, wrongly signed, undecryptable."""
