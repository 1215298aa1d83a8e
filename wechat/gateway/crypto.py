"""Checking and decrypting what WeChat pushes to /wechat/callback/ (CONTRACT.md §10).

The signature checks are ours, in constant time (wechatpy's `check_signature` compares with
`!=`); decryption of safe-mode bodies is wechatpy's `WeChatCrypto`, through its public API.
"""

import hashlib
import hmac

from django.conf import settings
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from .. import errors


def _sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def callback_signature_valid(*, signature: str, timestamp: str, nonce: str) -> bool:
    """Whether a callback's `signature` query parameter matches settings.WECHAT_TOKEN."""
    if not (signature and timestamp and nonce and settings.WECHAT_TOKEN):
        return False
    expected = _sha1_signature(settings.WECHAT_TOKEN, timestamp, nonce)
    return hmac.compare_digest(expected, signature.lower())


def callback_decrypt(*, encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The XML inside a safe-mode callback's <Encrypt> element (CONTRACT.md §10.2).

    Raises CallbackSignatureError when msg_signature does not match, CallbackPayloadError when
    no EncodingAESKey is configured or the ciphertext (or its AppID) is wrong.
    """
    if not settings.WECHAT_ENCODING_AES_KEY:
        raise errors.CallbackPayloadError("encrypted callback but no EncodingAESKey configured")
    expected = _sha1_signature(settings.WECHAT_TOKEN, timestamp, nonce, encrypt)
    if not (msg_signature and hmac.compare_digest(expected, msg_signature.lower())):
        raise errors.CallbackSignatureError("msg_signature mismatch")
    try:
        crypto = WeChatCrypto(
            settings.WECHAT_TOKEN, settings.WECHAT_ENCODING_AES_KEY, settings.WECHAT_APP_ID
        )
        return crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise errors.CallbackSignatureError("msg_signature mismatch") from exc
    except Exception as exc:  # garbage ciphertext fails in many ways
        raise errors.CallbackPayloadError(f"cannot decrypt: {exc!r}") from exc


def reply_encrypt(*, xml: str, nonce: str, timestamp: str) -> str:
    """A passive reply in safe mode (CONTRACT.md §10.2): <xml> with Encrypt, MsgSignature,
    TimeStamp and Nonce, by wechatpy's `WeChatCrypto.encrypt_message` (public API)."""
    crypto = WeChatCrypto(
        settings.WECHAT_TOKEN, settings.WECHAT_ENCODING_AES_KEY, settings.WECHAT_APP_ID
    )
    return crypto.encrypt_message(xml, nonce, timestamp)
