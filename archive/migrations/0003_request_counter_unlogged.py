from django.db import migrations


def unlogged(apps, schema_editor):
    # Rate-limit counts are disposable: on PostgreSQL an UNLOGGED table writes no WAL, so the
    # upsert each API request makes does not wait for a disk flush at commit. A crash empties it,
    # which only resets the current windows.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE archive_requestcounter SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE archive_requestcounter SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_request_counter")]

    operations = [migrations.RunPython(unlogged, logged)]
