"""Statistics on `upper(language)` for PostgreSQL's planner (SQLite has no such thing).

The API's `language` filter is case-insensitive (`iexact`: `UPPER(language::text) = UPPER('en')`).
Without statistics on that expression PostgreSQL guesses that 0.5% of quotes match any language,
so for a date range in a language nearly every quote is in, it planned a bitmap scan of the whole
range and a sort (2.6 ms at 1M quotes, a 30-day window) instead of walking `quote_said_idx`
backwards until the page is full (0.07 ms). ANALYZE (autovacuum's, or the import's own) fills it.
"""

from django.db import migrations

from archive.db import on_postgresql

CREATE = 'CREATE STATISTICS IF NOT EXISTS quote_language_upper_stats ON (upper(language::text)) FROM "quotes_quote"'
DROP = "DROP STATISTICS IF EXISTS quote_language_upper_stats"


class Migration(migrations.Migration):
    dependencies = [("quotes", "0008_about_protects_speakers")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP), elidable=False)]
