from django.contrib.auth.management import create_permissions
from django.db import migrations


def roles_resync(apps, schema_editor):
    """Give the office admin role the permissions this issue adds (the audience models and
    alumni.export_alumnus), which did not exist when editorial/0002_roles ran."""
    from editorial.roles import roles_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audience", "0001_initial"),
        ("alumni", "0002_privacy"),
        ("editorial", "0002_roles"),
    ]

    operations = [migrations.RunPython(roles_resync, migrations.RunPython.noop)]
