import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wechat_emulator import EmulatorConfig, EmulatorServer


def config_from_settings(**overrides) -> EmulatorConfig:
    """The emulated account as settings describe it (AppID, secret, Token, AES key, type)."""
    return EmulatorConfig(
        app_id=settings.WECHAT_APP_ID,
        app_secret=settings.WECHAT_APP_SECRET,
        token=settings.WECHAT_TOKEN,
        encoding_aes_key=settings.WECHAT_ENCODING_AES_KEY,
        account_type=settings.WECHAT_ACCOUNT_TYPE,
        callback_url=settings.WECHAT_EMULATOR_CALLBACK_URL,
        follower_count=settings.WECHAT_EMULATOR_FOLLOWERS,
    ).updated(**overrides)


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _("Run the WeChat API emulator (development only; see wechat_emulator/).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.WECHAT_EMULATOR_HOST)
        parser.add_argument("--port", type=int, default=settings.WECHAT_EMULATOR_PORT)
        parser.add_argument(
            "--state-file",
            default=settings.WECHAT_EMULATOR_STATE_FILE,
            help=_("JSON file the state is kept in across restarts ('' for memory only)."),
        )
        parser.add_argument(
            "--callback-url",
            default=settings.WECHAT_EMULATOR_CALLBACK_URL,
            help=_("Where events are pushed ('' for nowhere)."),
        )
        parser.add_argument("--followers", type=int, default=settings.WECHAT_EMULATOR_FOLLOWERS)

    def handle(self, *args, **options):
        config = config_from_settings(
            callback_url=options["callback_url"] or None, follower_count=options["followers"]
        )
        server = EmulatorServer(
            host=options["host"],
            port=options["port"],
            config=config,
            state_file=options["state_file"] or None,
        )
        self.stdout.write(
            _(
                "WeChat emulator on %(url)s (%(type)s, %(followers)d followers), "
                "callbacks to %(callback)s"
            )
            % {
                "url": server.url,
                "type": config.account_type,
                "followers": config.follower_count,
                "callback": config.callback_url or "—",
            }
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
