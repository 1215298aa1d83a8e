"""WeChat Pay API v3's cryptography (CONTRACT.md §17), with `cryptography`'s public API only.

- Requests: RSA-SHA256 (PKCS#1 v1.5) with the merchant's private key over
  `METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`, sent in the Authorization header.
- Answers and notifications: the same signature by WeChat Pay's platform key over
  `TIMESTAMP\\nNONCE\\nBODY\\n`, verified with the platform public key.
- Notification resources: AEAD_AES_256_GCM with the 32-byte APIv3 key.
"""

import base64
import secrets
import time

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"


def load_private_key(path: str) -> RSAPrivateKey:
    """The merchant's private key (apiclient_key.pem). Raises OSError or ValueError."""
    with open(path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the merchant key is not an RSA private key")
    return key


def load_public_key(path: str) -> RSAPublicKey:
    """WeChat Pay's platform public key (pub_key.pem). Raises OSError or ValueError."""
    with open(path, "rb") as handle:
        key = serialization.load_pem_public_key(handle.read())
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the platform key is not an RSA public key")
    return key


def sign(private_key: RSAPrivateKey, message: str) -> str:
    """Base64 RSA-SHA256 signature of `message`."""
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify(public_key: RSAPublicKey, message: str, signature: str) -> bool:
    """Whether `signature` (base64) is the platform key's signature of `message`."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def nonce() -> str:
    return secrets.token_hex(16).upper()


def authorization(
    *, private_key: RSAPrivateKey, mchid: str, serial_no: str, method: str, path: str, body: str
) -> str:
    """The Authorization header of one request (`path` with its query string)."""
    timestamp, nonce_str = str(int(time.time())), nonce()
    signature = sign(private_key, f"{method}\n{path}\n{timestamp}\n{nonce_str}\n{body}\n")
    return (
        f'{AUTH_SCHEMA} mchid="{mchid}",nonce_str="{nonce_str}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def answer_message(timestamp: str, nonce_str: str, body: str) -> str:
    """What WeChat Pay signs for an answer or a notification."""
    return f"{timestamp}\n{nonce_str}\n{body}\n"


def decrypt_resource(*, api_v3_key: str, nonce_str: str, ciphertext: str, associated_data: str):
    """The plaintext (bytes) of a notification's `resource`. Raises ValueError when the key,
    nonce, associated data or ciphertext do not fit (the GCM tag fails)."""
    key = api_v3_key.encode()
    if len(key) != 32:
        raise ValueError("the APIv3 key must be 32 bytes")
    try:
        return AESGCM(key).decrypt(
            nonce_str.encode(), base64.b64decode(ciphertext), associated_data.encode()
        )
    except (InvalidTag, ValueError, TypeError) as exc:
        raise ValueError("the resource does not decrypt") from exc
