import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from payments_emulator import PayEmulatorConfig, PayEmulatorServer


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _("Run the WeChat Pay API v3 emulator (development only; see payments/README.md).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.WECHATPAY_EMULATOR_HOST)
        parser.add_argument("--port", type=int, default=settings.WECHATPAY_EMULATOR_PORT)
        parser.add_argument("--key-dir", default=str(settings.WECHATPAY_EMULATOR_KEY_DIR))
        parser.add_argument(
            "--state-file",
            default=str(settings.WECHATPAY_EMULATOR_STATE_FILE),
            help=_("JSON file the orders are kept in across restarts ('' for memory only)."),
        )

    def handle(self, *args, **options):
        config = PayEmulatorConfig(
            mchid=settings.WECHATPAY_MCHID,
            appid=settings.WECHATPAY_APPID,
            api_v3_key=settings.WECHATPAY_API_V3_KEY,
            platform_serial=settings.WECHATPAY_PLATFORM_SERIAL,
        )
        server = PayEmulatorServer(
            key_dir=options["key_dir"],
            host=options["host"],
            port=options["port"],
            config=config,
            state_file=options["state_file"] or None,
        )
        self.stdout.write(
            _("WeChat Pay emulator on %(url)s (merchant %(mchid)s), keys in %(keys)s, %(orders)s")
            % {
                "url": server.url,
                "mchid": config.mchid,
                "keys": options["key_dir"],
                "orders": _("orders in %(file)s") % {"file": options["state_file"]}
                if options["state_file"]
                else _("orders in memory only"),
            }
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
