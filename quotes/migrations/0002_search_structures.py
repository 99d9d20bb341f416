from django.db import migrations


def install(apps, schema_editor):
    from quotes.search import install_search_structures

    install_search_structures(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("quotes", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
