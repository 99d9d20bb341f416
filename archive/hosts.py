"""Matching sources by host: `domain__subdomain_of` and the PostgreSQL index that serves it.

A filter by host takes its subdomains too (nytimes.com finds www.nytimes.com and
cooking.nytimes.com): `domain = 'nytimes.com' OR domain LIKE '%.nytimes.com'`. A B-tree cannot
serve a pattern that starts with a wildcard, so on PostgreSQL the second half scanned every source
(0.3 s a request at 1.8M sources, and seconds where no source matched). Reversed, a subdomain's
name starts with its host's reversed name and a dot: `reverse(domain) LIKE 'moc.semityn.%'`, a
prefix, served by an index on `reverse(domain)` (the column's "C" collation carries over, so the
index serves LIKE). The index is PostgreSQL's only: on SQLite `reverse()` is a Python function
Django registers, and an index on it would make the table unwritable for any other SQLite tool;
there the plain LIKE stays. Archive migration 0008 creates it; a bulk import drops and builds it with
the indexes the models declare (quotes/importing/search_index.py).
"""

from django.db.models import Lookup

from archive.models import Source

#: {index name: CREATE INDEX statement} for indexes PostgreSQL has and SQLite must not.
POSTGRES_ONLY_INDEXES = {
    "source_domain_reversed_idx": 'CREATE INDEX IF NOT EXISTS "source_domain_reversed_idx" '
    'ON "archive_source" (reverse("domain"::text))',
}


class SubdomainOf(Lookup):
    """`domain__subdomain_of=host`: the hosts under `host` (not `host` itself)."""

    lookup_name = "subdomain_of"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        pattern = "%." + connection.ops.prep_for_like_query(self.rhs)
        return f"{lhs} LIKE %s ESCAPE '\\'", [*params, pattern]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        pattern = connection.ops.prep_for_like_query(("." + self.rhs)[::-1]) + "%"
        return f"reverse({lhs}::text) LIKE %s", [*params, pattern]


Source._meta.get_field("domain").register_lookup(SubdomainOf)
