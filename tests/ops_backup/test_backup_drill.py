"""The backup drill: content, a push with items and events, a gift, audit entries and media
files are backed up, restored into a fresh database and media folder, and come back.

It runs on the suite's database: SQLite (the online backup API) in the suite on embedded
defaults, PostgreSQL (pg_dump and pg_restore into a new database on the same server) when
DATABASE_URL is postgres, as CI's second run has it.
"""

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend

from alumni_cms.backup import BackupError, backup_create, backup_restore
from articles.models import Article
from donations.models import Gift
from editorial.models import AuditEntry, State
from tests.factories import GiftFactory, PushableArticleFactory, PushFactory, media_image
from wechat.models import Push, PushEvent, PushEventKind, PushItem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def restored_db(tmp_path):
    """A database that does not exist yet, reachable through the connection alias "restored"
    (a connection made here, not in DATABASES, as a second server's would be)."""
    db = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        db["NAME"] = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    else:
        db["NAME"] = str(tmp_path / "restored.sqlite3")
    connections["restored"] = load_backend(db["ENGINE"]).DatabaseWrapper(db, "restored")
    yield db
    connections["restored"].close()
    del connections["restored"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


@pytest.fixture
def office_data(editor):
    article = PushableArticleFactory(title="校友返校日", created_by=editor)
    photo_src = media_image("uploads/2026/12/reunion.jpg", color="green")
    push = PushFactory(items=[article], title="十二月推送", created_by=editor)
    PushEvent.objects.create(push=push, kind=PushEventKind.CREATED, user=editor, detail="组稿")
    PushEvent.objects.create(
        push=push, kind=PushEventKind.APPROVED, data={"msg_id": 1000001}, detail="通过"
    )
    gift = GiftFactory(amount=Decimal("1234.56"), donor_name="陈思远")
    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Article),
        object_id=article.pk,
        action="editorial.item.approved",
        from_state=State.SUBMITTED,
        to_state=State.APPROVED,
        user=editor,
        comment="可以发布",
    )
    return {"article": article, "push": push, "gift": gift, "photo": photo_src}


def media_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_backup_restores_into_a_fresh_database_and_media_folder(tmp_path, office_data, restored_db):
    media_before = media_files(Path(settings.MEDIA_ROOT))
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )

    result = backup_restore(folder=folder, db=restored_db, media_root=tmp_path / "restored-media")

    db = "restored"
    article, push, gift = office_data["article"], office_data["push"], office_data["gift"]
    for model in (Article, Push, PushItem, PushEvent, Gift, AuditEntry):
        assert model.objects.using(db).count() == model.objects.count() > 0, model
    assert Article.objects.using(db).get(pk=article.pk).title == "校友返校日"
    assert Article.objects.using(db).get(pk=article.pk).cover.name == article.cover.name
    restored_push = Push.objects.using(db).get(pk=push.pk)
    assert restored_push.title == "十二月推送"
    assert restored_push.items.get().object_id == article.pk
    assert restored_push.events.get(kind=PushEventKind.APPROVED).data == {"msg_id": 1000001}
    restored_gift = Gift.objects.using(db).get(pk=gift.pk)
    assert (restored_gift.amount, restored_gift.donor_name) == (Decimal("1234.56"), "陈思远")
    entry = AuditEntry.objects.using(db).get(action="editorial.item.approved")
    assert (entry.comment, entry.user_id) == ("可以发布", article.created_by_id)
    assert media_files(tmp_path / "restored-media") == media_before
    assert len(media_before) == result.media_files == 2
    assert result.migrations_behind == []


def test_manifest_records_time_version_migrations_and_checksums(tmp_path, office_data):
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )

    import json

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["created_at"] and manifest["app_version"] == "0.1.0"
    assert "0003_follower_sync_modes" in manifest["migrations"]["audience"]
    assert set(manifest["files"]) == {
        "database.dump" if connection.vendor == "postgresql" else "database.sqlite3",
        "media.tar.gz",
    }
    assert all(len(facts["sha256"]) == 64 for facts in manifest["files"].values())


def test_restore_refuses_a_media_folder_that_is_not_empty(tmp_path, office_data, restored_db):
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    media = tmp_path / "in-use"
    media.mkdir()
    (media / "keep.jpg").write_bytes(b"precious")

    with pytest.raises(BackupError, match="媒体文件夹 .* 不是空的"):
        backup_restore(folder=folder, db=restored_db, media_root=media)

    assert (media / "keep.jpg").read_bytes() == b"precious"


def test_restore_refuses_a_database_that_has_tables(tmp_path, office_data, restored_db):
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    backup_restore(folder=folder, db=restored_db, media_root=tmp_path / "first-media")
    Gift.objects.using("restored").update(donor_name="改过")

    with pytest.raises(BackupError, match="中已有数据表"):
        backup_restore(folder=folder, db=restored_db, media_root=tmp_path / "second-media")

    assert Gift.objects.using("restored").get().donor_name == "改过"
    assert not (tmp_path / "second-media").exists()


def test_restore_with_replace_overwrites_the_media_folder(tmp_path, office_data, restored_db):
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    media = tmp_path / "in-use"
    media.mkdir()
    (media / "stray.txt").write_bytes(b"old")

    backup_restore(folder=folder, db=restored_db, media_root=media, replace=True)

    assert media_files(media) == media_files(Path(settings.MEDIA_ROOT))


def test_restore_refuses_a_backup_whose_file_changed(tmp_path, office_data, restored_db):
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    with open(folder / "media.tar.gz", "r+b") as archive:
        archive.seek(40)
        archive.write(b"\x00\x01\x02")

    with pytest.raises(BackupError, match="与清单（manifest）不符"):
        backup_restore(folder=folder, db=restored_db, media_root=tmp_path / "restored-media")

    assert not (tmp_path / "restored-media").exists()


def _backup_with_an_escaping_media_entry(tmp_path):
    """A backup whose media archive holds ../escaped.txt, its manifest updated to match."""
    import io
    import json
    import tarfile

    from alumni_cms.backup import _file_facts

    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    with tarfile.open(folder / "media.tar.gz", "w:gz") as tar:
        entry = tarfile.TarInfo("../escaped.txt")
        entry.size = 4
        tar.addfile(entry, io.BytesIO(b"evil"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["media.tar.gz"] = _file_facts(folder / "media.tar.gz")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_restore_refuses_an_archive_entry_outside_the_media_folder(
    tmp_path, office_data, restored_db
):
    import tarfile

    folder = _backup_with_an_escaping_media_entry(tmp_path)

    with pytest.raises(tarfile.OutsideDestinationError):
        backup_restore(folder=folder, db=restored_db, media_root=tmp_path / "restored-media")

    assert not (tmp_path / "escaped.txt").exists()


def test_backup_and_restore_commands(tmp_path, office_data, restored_db, capsys):
    call_command("backup", to=str(tmp_path / "backups"), keep=1)
    folder = next((tmp_path / "backups").glob("alumni-cms-*"))

    call_command(
        "restore",
        str(folder),
        database_url=_url(restored_db),
        media_root=str(tmp_path / "restored-media"),
    )

    out = capsys.readouterr().out
    assert str(folder) in out
    assert "个媒体文件" in out
    assert Gift.objects.using("restored").count() == 1


def test_restore_command_refusal_is_a_clear_message(tmp_path, office_data, restored_db):
    from django.core.management import CommandError

    call_command("backup", to=str(tmp_path / "backups"))
    folder = next((tmp_path / "backups").glob("alumni-cms-*"))
    media = tmp_path / "in-use"
    media.mkdir()
    (media / "keep.jpg").write_bytes(b"precious")

    with pytest.raises(CommandError, match="恢复失败：媒体文件夹 .* 不是空的"):
        call_command("restore", str(folder), database_url=_url(restored_db), media_root=str(media))


def test_restore_command_refusing_an_archive_entry_says_so_in_chinese(
    tmp_path, office_data, restored_db
):
    from django.core.management import CommandError

    folder = _backup_with_an_escaping_media_entry(tmp_path)

    with pytest.raises(
        CommandError, match="^恢复失败：媒体归档中有不予解压的条目.*媒体文件夹保持原样$"
    ):
        call_command(
            "restore",
            str(folder),
            database_url=_url(restored_db),
            media_root=str(tmp_path / "restored-media"),
        )

    assert not (tmp_path / "escaped.txt").exists()


def _url(db: dict) -> str:
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_backup_keep_deletes_all_but_the_newest_backups(tmp_path, office_data):
    target = tmp_path / "backups"
    for _ in range(3):
        call_command("backup", to=str(target), keep=2)

    kept = sorted(p.name for p in target.iterdir())
    assert len(kept) == 2
    assert all((target / name / "manifest.json").is_file() for name in kept)


def test_restore_command_with_an_unreadable_folder_is_a_clear_message(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="恢复失败.*manifest.json"):
        call_command("restore", str(tmp_path / "nothing"), media_root=str(tmp_path / "m"))


def test_restore_with_replace_drops_a_table_the_backup_does_not_hold(
    tmp_path, office_data, restored_db
):
    """A table a newer migration made (an upgrade that went wrong) does not outlive the
    restore: `migrate` must be able to make it again."""
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    backup_restore(folder=folder, db=restored_db, media_root=tmp_path / "restored-media")
    with connections["restored"].cursor() as cursor:
        cursor.execute("CREATE TABLE later_feature (id integer PRIMARY KEY)")
    connections["restored"].close()

    backup_restore(
        folder=folder, db=restored_db, media_root=tmp_path / "restored-media", replace=True
    )

    tables = connections["restored"].introspection.table_names()
    connections["restored"].close()
    assert "later_feature" not in tables
    assert "articles_article" in tables
    assert Gift.objects.using("restored").get().donor_name == "陈思远"


def test_the_backup_is_readable_by_its_owner_only(tmp_path, office_data):
    folder = backup_create(
        target=tmp_path / "backups", db=connection.settings_dict, media_root=settings.MEDIA_ROOT
    )
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {path.stat().st_mode & 0o777 for path in folder.iterdir()} == {0o600}
