"""Backups that restore: the database and the media folder, with a manifest.

A backup is one folder, `alumni-cms-<UTC time>/` under the target folder, holding

- `database.dump` (PostgreSQL: `pg_dump --format=custom`, a consistent snapshot of a live
  database) or `database.sqlite3` (SQLite: the sqlite3 online backup API, never a copy of the
  file, which a writer may be halfway through);
- `media.tar.gz`, the media folder (uploaded covers and photos);
- `manifest.json`: when, the app's version, the database engine, the last migration applied
  per app, and the size and SHA-256 of both files.

`backup_restore` checks the files against the manifest, then loads them into a database and a
media folder that must be empty (or is told to replace them). Used by `manage.py backup` and
`manage.py restore`.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import django
from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore could not be made; the message says why, for the operator."""


@dataclass(frozen=True)
class RestoreResult:
    folder: Path
    manifest: dict
    media_files: int
    # Migrations the code has that the backup's database has not (run `manage.py migrate`).
    migrations_behind: list[str]


def backup_create(*, target: Path, db: dict, media_root: Path) -> Path:
    """Back up the database `db` (a DATABASES entry) and `media_root` into a new folder under
    `target`; returns the folder. Raises BackupError (a dump that failed, a missing tool)."""
    stamp = datetime.now(tz=UTC)
    folder = Path(target) / f"alumni-cms-{stamp:%Y%m%d-%H%M%S}"
    for n in range(1, 100):
        if not folder.exists() and not folder.with_name(folder.name + ".partial").exists():
            break
        folder = Path(target) / f"alumni-cms-{stamp:%Y%m%d-%H%M%S}-{n}"
    partial = folder.with_name(folder.name + ".partial")
    # The database holds alumni's personal data: the backup is the service user's alone.
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.mkdir(mode=0o700)
    try:
        engine = _engine(db)
        if engine == "postgresql":
            database_file = partial / PG_DUMP
            _pg_dump(db, database_file)
        else:
            database_file = partial / SQLITE_COPY
            _sqlite_backup(db, database_file)
        media_count = _media_archive(Path(media_root), partial / MEDIA_ARCHIVE)
        manifest = {
            "format": FORMAT,
            "created_at": stamp.isoformat(),
            "app": "alumni-cms",
            "app_version": _app_version(),
            "django": django.get_version(),
            "database": {"engine": engine, "name": str(db.get("NAME", ""))},
            "migrations": _migrations_applied(db),
            "media_files": media_count,
            "files": {
                name: _file_facts(partial / name) for name in (database_file.name, MEDIA_ARCHIVE)
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for path in partial.iterdir():
            path.chmod(0o600)
        # A folder without `.partial` is a finished backup, whatever happens after this line.
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return folder


def backup_verify(folder: Path) -> dict:
    """The manifest of the backup in `folder`, after checking every file's size and SHA-256.
    Raises BackupError when a file is missing or differs."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("%(folder)s holds no readable %(file)s: %(error)s")
            % {"folder": folder, "file": MANIFEST, "error": exc}
        ) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("%(folder)s: unknown backup format %(format)r")
            % {"folder": folder, "format": manifest.get("format")}
        )
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BackupError(_("%(path)s is missing") % {"path": path})
        if _file_facts(path) != expected:
            raise BackupError(
                _("%(path)s does not match the manifest (changed or truncated)") % {"path": path}
            )
    return manifest


def backup_restore(
    *, folder: Path, db: dict, media_root: Path, replace: bool = False
) -> RestoreResult:
    """Restore the backup in `folder` into the database `db` and the folder `media_root`.

    Both must be empty (a PostgreSQL database that does not exist yet is created) unless
    `replace` is true: then the database's tables and the folder's files are replaced.
    Raises BackupError (a target not empty, another engine than the backup's, a file that
    does not match the manifest, a failed pg_restore).
    """
    folder = Path(folder)
    media_root = Path(media_root)
    manifest = backup_verify(folder)
    engine = _engine(db)
    if manifest["database"]["engine"] != engine:
        raise BackupError(
            _("the backup holds a %(backup)s database; the target is %(target)s")
            % {"backup": manifest["database"]["engine"], "target": engine}
        )
    media_used = media_root.exists() and any(media_root.iterdir())
    if media_used and not replace:
        raise BackupError(
            _("the media folder %(folder)s is not empty (--replace to replace it)")
            % {"folder": media_root}
        )
    if engine == "postgresql":
        has_tables = _pg_has_tables(db)
        if has_tables and not replace:
            raise BackupError(
                _("the database %(name)s already has tables (--replace to replace them)")
                % {"name": db["NAME"]}
            )
        if has_tables:
            # The backup's schema as it was: a table only a newer migration made goes too.
            _pg_tables_drop(db, _pg_tables_not_in_dump(db, folder / PG_DUMP))
        _pg_restore(db, folder / PG_DUMP)
    else:
        if str(db["NAME"]) == ":memory:" or str(db["NAME"]).startswith("file:"):
            raise BackupError(_("a SQLite database is restored into a file; name its path"))
        target = Path(db["NAME"])
        if _sqlite_has_tables(target) and not replace:
            raise BackupError(
                _("the database %(name)s already has tables (--replace to replace them)")
                % {"name": target}
            )
        _sqlite_restore(folder / SQLITE_COPY, target)
    count = _media_extract(folder / MEDIA_ARCHIVE, media_root)
    behind = _migrations_behind(manifest["migrations"])
    return RestoreResult(
        folder=folder, manifest=manifest, media_files=count, migrations_behind=behind
    )


def _engine(db: dict) -> str:
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if engine not in ("postgresql", "sqlite3"):
        raise BackupError(
            _("backups support PostgreSQL and SQLite, not %(engine)s") % {"engine": db["ENGINE"]}
        )
    return engine


def _file_facts(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("alumni-cms")
    except PackageNotFoundError:
        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        for line in pyproject.read_text().splitlines() if pyproject.exists() else []:
            if line.startswith("version"):
                return line.split("=", 1)[1].strip().strip('"')
        return "unknown"


def _migrations_applied(db: dict) -> dict[str, list[str]]:
    """Every migration the database records as applied, by app."""
    from django.db import connections

    alias = _alias_for(db)
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _migrations_behind(applied: dict[str, list[str]]) -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    have = {(app, name) for app, names in applied.items() for name in names}
    return sorted(
        f"{app}.{name}" for app, name in loader.disk_migrations if (app, name) not in have
    )


def _alias_for(db: dict) -> str:
    from django.db import connections

    for alias in connections:
        if connections[alias].settings_dict is db or connections[alias].settings_dict == db:
            return alias
    raise BackupError(_("the database to back up is not one of the project's connections"))


def _pg_env(db: dict, *, name: str | None = None) -> dict:
    """libpq's environment for `db`: the password never appears on a command line."""
    env = {**os.environ}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(db["OPTIONS"]["sslmode"])
    env["PGDATABASE"] = name or db["NAME"]
    return env


def _run(args: list[str], *, env: dict) -> str:
    """Run a PostgreSQL client tool; its standard output. Raises BackupError."""
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(tool)s is not installed (apt-get install postgresql-client)") % {"tool": args[0]}
        ) from exc
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": args[0], "error": done.stderr.strip()[-2000:]}
        )
    return done.stdout


def _pg_dump(db: dict, path: Path) -> None:
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(path)], env=_pg_env(db))


def _pg_has_tables(db: dict) -> bool:
    """Whether the database has tables; one that does not exist is created (empty)."""
    import psycopg2

    try:
        conn = psycopg2.connect(**_pg_connect_args(db))
    except psycopg2.OperationalError as exc:
        if "does not exist" in str(exc):
            _pg_create_database(db)
            return False
        raise BackupError(
            _("cannot connect to %(name)s: %(error)s") % {"name": db["NAME"], "error": exc}
        ) from exc
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema')"
            )
            return cur.fetchone()[0] > 0
    finally:
        conn.close()


def _pg_connect_args(db: dict, *, name: str | None = None) -> dict:
    args = {"dbname": name or db["NAME"]}
    if (db.get("OPTIONS") or {}).get("sslmode"):
        args["sslmode"] = db["OPTIONS"]["sslmode"]
    for arg, key in (
        ("host", "HOST"),
        ("port", "PORT"),
        ("user", "USER"),
        ("password", "PASSWORD"),
    ):
        if db.get(key):
            args[arg] = db[key]
    return args


def _pg_create_database(db: dict) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(**_pg_connect_args(db, name="postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    finally:
        conn.close()


def _pg_tables_not_in_dump(db: dict, dump: Path) -> list[tuple[str, str]]:
    """The database's tables (schema, name) that the dump does not hold: made by migrations
    newer than the backup. --clean leaves them, and `migrate` would then fail to create them."""
    import psycopg2

    listing = _run(["pg_restore", "--list", str(dump)], env=_pg_env(db))
    in_dump = set()
    for line in listing.splitlines():
        # "215; 1259 16400 TABLE public articles_article postgres"
        parts = line.split()
        if not line.startswith(";") and len(parts) >= 6 and parts[3] == "TABLE":
            in_dump.add((parts[4], parts[5]))
    conn = psycopg2.connect(**_pg_connect_args(db))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema')"
            )
            return sorted(row for row in cur.fetchall() if row not in in_dump)
    finally:
        conn.close()


def _pg_tables_drop(db: dict, tables: list[tuple[str, str]]) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(**_pg_connect_args(db))
    try:
        with conn, conn.cursor() as cur:
            for schema, name in tables:
                cur.execute(
                    sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(schema, name))
                )
    finally:
        conn.close()


def _pg_restore(db: dict, dump: Path) -> None:
    # --clean --if-exists drops what the dump holds before creating it (for --replace); on an
    # empty database it drops nothing. One transaction: a failed restore leaves nothing half.
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            db["NAME"],
            str(dump),
        ],
        env=_pg_env(db),
    )


def _sqlite_backup(db: dict, path: Path) -> None:
    from django.db import connections

    source = connections[_alias_for(db)]
    source.ensure_connection()
    target = sqlite3.connect(path)
    try:
        # The online backup API copies a consistent snapshot while others keep writing.
        with source.wrap_database_errors:
            source.connection.backup(target)
    finally:
        target.close()


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("%(path)s exists and is not a SQLite database") % {"path": path}
        ) from exc
    finally:
        conn.close()


def _sqlite_restore(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _media_archive(media_root: Path, path: Path) -> int:
    count = 0
    with tarfile.open(path, "w:gz") as tar:
        if media_root.is_dir():
            for file in sorted(media_root.rglob("*")):
                if file.is_file() and not file.is_symlink():
                    tar.add(file, arcname=file.relative_to(media_root).as_posix())
                    count += 1
    return count


def _media_extract(archive: Path, media_root: Path) -> int:
    media_root.mkdir(parents=True, exist_ok=True)
    # Extract beside the folder first, then move in: a broken archive leaves the folder alone.
    with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".restore-") as staging:
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            # The "data" filter refuses absolute paths, "..", links and device files.
            tar.extractall(staging, members=members, filter="data")
        for entry in list(media_root.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in Path(staging).iterdir():
            shutil.move(str(entry), media_root / entry.name)
    return len(members)
