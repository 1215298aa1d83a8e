"""Values the settings and the payment emulator share; nothing here is secret.

The emulator's merchant number, APIv3 key and certificate serial are public (they are in this
file): `check --deploy` refuses each of them with DEBUG off (payments/checks.py). Its RSA keys are
generated into DATA_DIR on first use, never kept in the repository.
"""

EMULATOR_MCHID = "1900000109"
EMULATOR_API_V3_KEY = "emulator-apiv3-key-0123456789abc"  # 32 bytes, as WeChat Pay's
EMULATOR_SERIAL_NO = "EMULATOR0000000000000000000000000000000001"
EMULATOR_PLATFORM_SERIAL = "PUB_KEY_ID_EMULATOR00000000000000000001"
# The emulator's key files, under WECHATPAY_EMULATOR_KEY_DIR.
MERCHANT_PRIVATE_KEY_FILE = "merchant_private_key.pem"
MERCHANT_PUBLIC_KEY_FILE = "merchant_public_key.pem"
PLATFORM_PRIVATE_KEY_FILE = "platform_private_key.pem"
PLATFORM_PUBLIC_KEY_FILE = "platform_public_key.pem"
