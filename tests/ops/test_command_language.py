"""The management commands an operator runs speak settings.LANGUAGE_CODE (zh-hans).

Django 5.2 runs a command in the active language, and with none activated gettext falls back
to settings.LANGUAGE_CODE (only `@no_translations` turns translations off): so errors, summaries
and `--help` go through gettext like the pages do. `status --json` and log lines stay English.
"""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, load_command_class
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent.parent


def _fresh_process_env(tmp_path, **extra) -> dict:
    keep = ("PATH", "HOME", "TZ", "TMPDIR")
    env = {key: value for key, value in os.environ.items() if key in keep}
    # An English shell: the language comes from settings, not from the terminal.
    env.update(
        DJANGO_SETTINGS_MODULE="alumni_cms.settings",
        DATA_DIR=str(tmp_path),
        LANG="C.UTF-8",
        PYTHONIOENCODING="utf-8",
        **extra,
    )
    return env


def test_restore_run_by_hand_says_why_in_chinese_and_exits_1(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "no-such-backup")],
        cwd=ROOT,
        env=_fresh_process_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "CommandError: 恢复失败：" in result.stderr
    assert "中没有可读的 manifest.json" in result.stderr


def test_restore_follows_settings_language_code(tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(CommandError, match="^Restore failed: .* holds no readable manifest.json"):
        call_command("restore", str(tmp_path / "nothing"), media_root=str(tmp_path / "m"))


@pytest.mark.django_db
def test_backup_failure_reads_in_chinese(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CommandError, match="^备份失败："):
        call_command("backup", to=str(blocker / "backups"))


@pytest.mark.django_db
def test_status_prints_chinese_lines_and_its_failure_reads_in_chinese():
    out = StringIO()
    with pytest.raises(CommandError, match="^有情况需要查看：请打开系统状态页。$"):
        call_command("status", stdout=out)
    assert "数据库：可连接" in out.getvalue()
    assert "调度器：延迟" in out.getvalue()


def test_heartbeat_failure_reads_in_chinese():
    with pytest.raises(CommandError, match="^还没有心跳：调度器（celery beat）在运行吗？$"):
        call_command("heartbeat")


@pytest.mark.django_db
def test_load_demo_refusal_reads_in_chinese(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="^演示用户和内容只在开启 DEBUG 时加载"):
        call_command("load_demo")


@pytest.mark.django_db
def test_search_reindex_summary_reads_in_chinese():
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert out.getvalue() == "搜索索引已重建：共 0 条已发布内容。\n"


@pytest.mark.django_db
def test_stats_seed_demo_summary_reads_in_chinese():
    out = StringIO()
    call_command("stats_seed_demo", "--days", "1", stdout=out)
    assert out.getvalue().startswith("已编造 0 条每日浏览计数、")


def test_check_deploy_messages_of_our_own_checks_read_in_chinese(settings):
    settings.DEBUG = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.WECHATPAY_EMULATOR = True
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", deploy=True, fail_level="ERROR")
    report = str(raised.value)
    assert (
        "(alumni_cms.E007) SITE_URL 是 'http://127.0.0.1:8000'：邮件和微信文章中的链接会指向本机。"
        in (report)
    )
    assert "(payments.E001) DEBUG 已关闭，但自带的微信支付模拟器仍开着" in report


@pytest.mark.parametrize(
    ("command", "description", "option"),
    [
        ("backup", "把数据库", "存放备份的文件夹"),
        ("restore", "校验 `manage.py backup` 生成的备份文件夹后", "替换已有的数据表和媒体文件"),
        ("status", "显示数据库、缓存和消息代理能否连接", "英文键名，供脚本使用"),
        ("heartbeat", "检查 Celery 是否正常", "等待下一次定时心跳"),
        ("wechat_emulator", "运行微信接口模拟器", "事件推送到哪里"),
        ("wechatpay_emulator", "运行微信支付 API v3 模拟器", "重启后仍保留订单的 JSON 文件"),
    ],
)
def test_help_reads_in_chinese(command, description, option):
    from django.core.management import get_commands

    parser = load_command_class(get_commands()[command], command).create_parser(
        "manage.py", command
    )
    text = parser.format_help()
    assert description in text
    assert option in text


def _first_line(args: list[str], env: dict) -> str:
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        return process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def test_wechat_emulator_says_where_it_runs_in_chinese(tmp_path):
    line = _first_line(
        ["wechat_emulator", "--port", "0", "--state-file", "", "--callback-url", ""],
        _fresh_process_env(tmp_path, WECHAT_EMULATOR="true", PYTHONUNBUFFERED="1"),
    )
    assert line.startswith("微信模拟器运行于 http://127.0.0.1:")
    assert line.rstrip().endswith("回调发往 —")


def test_wechatpay_emulator_says_where_it_runs_in_chinese(tmp_path):
    line = _first_line(
        [
            "wechatpay_emulator",
            "--port",
            "0",
            "--state-file",
            "",
            "--key-dir",
            str(tmp_path / "keys"),
        ],
        _fresh_process_env(tmp_path, WECHAT_EMULATOR="true", PYTHONUNBUFFERED="1"),
    )
    assert line.startswith("微信支付模拟器运行于 http://127.0.0.1:")
    assert line.rstrip().endswith("订单只保存在内存中")
