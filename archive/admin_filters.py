"""Sidebar filters for the admin's lists that stay quick at archive scale."""

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
