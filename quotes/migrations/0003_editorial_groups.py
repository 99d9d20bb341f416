from django.db import migrations

EDITOR_PERMISSIONS = {
    "quotes": {
        "quote": ["add", "change", "view"],
        "citation": ["add", "change", "delete", "view"],
        "speaker": ["add", "change", "delete", "view"],
        "venue": ["add", "change", "delete", "view"],
        "tag": ["add", "change", "delete", "view"],
    },
    "archive": {
        "source": ["add", "change", "delete", "view"],
        "snapshot": ["add", "view"],
    },
}
REVIEWER_EXTRA = [("quotes", "publish_quote")]


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def lookup(app_label, codename):
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    editor_perms = [
        lookup(app_label, f"{action}_{model}")
        for app_label, models in EDITOR_PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    ]
    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.set(editor_perms)
    reviewers, _ = Group.objects.get_or_create(name="reviewers")
    reviewers.permissions.set(editor_perms + [lookup(a, c) for a, c in REVIEWER_EXTRA])


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["editors", "reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0002_search_structures"),
        ("archive", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
