"""Indexes on django-axes' attempt_time, which the nightly retention deletes by
(alumni_cms.retention.login_records_prune); axes itself indexes only who and from where.

Plain SQL that SQLite and PostgreSQL both read; the tables belong to axes, so Django's model
state is left alone (makemigrations sees nothing to do).
"""

from django.db import migrations

TABLES = ("axes_accessattempt", "axes_accessfailurelog", "axes_accesslog")


class Migration(migrations.Migration):
    dependencies = [
        ("alumni_cms", "0003_problem_sync_overdue"),
        ("axes", "0008_accessfailurelog"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {table}_attempt_time ON {table} (attempt_time)",
            reverse_sql=f"DROP INDEX IF EXISTS {table}_attempt_time",
        )
        for table in TABLES
    ]
