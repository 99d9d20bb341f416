"""Drop the trigram index over quotes' search text (PostgreSQL).

Lookup no longer reads it: its candidates come from the tsvector index on the fragment's rarest
words, and pg_trgm's word_similarity() ranks only those few (quotes/lookup/postgres.py). The
index was the largest on quotes_quote (185 MB at a million quotes) and the slowest to build on
import. The pg_trgm extension stays.
"""

from django.db import migrations

TRIGRAM_INDEX = "quote_search_trgm_idx"


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def restore_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON quotes_quote USING GIN (search_text gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("quotes", "0004_drop_redundant_indexes")]

    operations = [migrations.RunPython(drop_trigram_index, restore_trigram_index)]
