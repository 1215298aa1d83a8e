"""The emulator's RSA keys, generated once into a folder (DATA_DIR/wechatpay-emulator by default).

Two pairs: the merchant's (the site signs requests with its private key, the emulator checks
them with the public one) and the platform's (the emulator signs answers and notifications, the
site checks them with the public one). Never committed: each machine makes its own.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payments.constants import (
    MERCHANT_PRIVATE_KEY_FILE,
    MERCHANT_PUBLIC_KEY_FILE,
    PLATFORM_PRIVATE_KEY_FILE,
    PLATFORM_PUBLIC_KEY_FILE,
)


def _write_pair(folder: Path, private_name: str, public_name: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path = folder / private_name
    # Written under a temporary name and renamed: two processes starting at once never read a
    # half-written key.
    tmp = private_path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    tmp_public = (folder / public_name).with_suffix(f".{os.getpid()}.tmp")
    tmp_public.write_bytes(public)
    os.replace(tmp_public, folder / public_name)
    os.replace(tmp, private_path)


def ensure_keys(folder: str | Path) -> Path:
    """Generate the merchant and platform key pairs into `folder` unless they are there."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for private_name, public_name in (
        (MERCHANT_PRIVATE_KEY_FILE, MERCHANT_PUBLIC_KEY_FILE),
        (PLATFORM_PRIVATE_KEY_FILE, PLATFORM_PUBLIC_KEY_FILE),
    ):
        if not ((folder / private_name).exists() and (folder / public_name).exists()):
            _write_pair(folder, private_name, public_name)
    return folder


def load_private(folder: Path, name: str):
    return serialization.load_pem_private_key((folder / name).read_bytes(), password=None)


def load_public(folder: Path, name: str):
    return serialization.load_pem_public_key((folder / name).read_bytes())
