"""What the admin's lists share: sidebar filters that stay quick at archive scale, and search boxes
that survive odd input."""

from django.contrib import admin

from archive.cached_values import cached_values, watch


class CachedValuesListFilter(admin.AllValuesFieldListFilter):
    """Django's "all values" filter (a link per distinct value) with the values from the cache
    (archive/cached_values.py) instead of a DISTINCT over the whole table on every view."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        choices = self.lookup_choices  # a lazy queryset: nothing has run yet
        self.lookup_choices = cached_values(model, field_path, lambda: list(choices))


def values_filter(model, field_path: str) -> tuple:
    """A list_filter entry: `field_path` with a cached values filter, watched from now on."""
    watch(model, field_path)
    return (field_path, CachedValuesListFilter)


class NulSafeSearch:
    """A NUL byte in a search box finds nothing: PostgreSQL refuses it in a query (a 500), and no
    stored text holds one. For every admin with `search_fields`."""

    def get_search_results(self, request, queryset, search_term):
        if "\x00" in search_term:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)
