"""PostgreSQL only: an index on reverse(domain), so that a host filter finds subdomains through it
(archive/hosts.py). SQLite keeps its plain LIKE: an index on Django's Python reverse() would make
the table unwritable for other SQLite tools."""

from django.db import migrations

from archive.db import on_postgresql

CREATE = (
    'CREATE INDEX IF NOT EXISTS "source_domain_reversed_idx" ON "archive_source" (reverse("domain"::text))'
)
DROP = 'DROP INDEX IF EXISTS "source_domain_reversed_idx"'


class Migration(migrations.Migration):
    dependencies = [("archive", "0007_source_language_and_date_rules")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP), elidable=False)]
