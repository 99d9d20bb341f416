"""Distinct values of a column, kept in the cache: the choices of the admin's "all values" filters.

Finding them is a DISTINCT over the whole table (0.3-0.6 s at a million quotes) and the admin
asked on every view of a list. A save or delete of a row through the ORM forgets them (signals);
writes that send no signals (a bulk import) call `forget_values` when done; anything else is seen
within VALUES_SECONDS.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

VALUES_SECONDS = 600

_FIELDS: dict = {}  # model -> the field paths whose values are cached


def _key(model, field_path: str) -> str:
    return f"distinct-values:{model._meta.label_lower}:{field_path}"


def cached_values(model, field_path: str, compute) -> list:
    """`compute()` (the distinct values, as a list) once per VALUES_SECONDS or change of `model`."""
    watch(model, field_path)
    try:
        with transaction.atomic():  # a savepoint: see forget_values
            return cache.get_or_set(_key(model, field_path), compute, VALUES_SECONDS)
    except Exception:  # noqa: BLE001 - a cache that fails costs the query, not the page
        logger.warning("the cache failed; %s values computed afresh", field_path, exc_info=True)
        return compute()


def forget_values(*models) -> None:
    """Forget the cached values of these models' fields. Never fails: a database cache whose table
    was never created (`createcachetable`) must not fail the save or import that calls this, nor
    spoil its transaction (hence the savepoint)."""
    keys = [_key(model, path) for model in models for path in _FIELDS.get(model, ())]
    if not keys:
        return
    try:
        with transaction.atomic():
            cache.delete_many(keys)
    except Exception:  # noqa: BLE001
        logger.warning("the cache failed; cached values not forgotten", exc_info=True)


def watch(model, field_path: str) -> None:
    """Forget `model`'s cached `field_path` values whenever a row of it is saved or deleted. Called
    when a module declaring such a filter is imported (admin modules: at startup, in every
    process), so that every process's saves forget them, not only those that showed a list."""
    fields = _FIELDS.setdefault(model, set())
    if not fields:
        uid = f"distinct-values-{model._meta.label_lower}"
        post_save.connect(_forget_on_change, sender=model, dispatch_uid=uid)
        post_delete.connect(_forget_on_change, sender=model, dispatch_uid=f"{uid}-deleted")
    fields.add(field_path)


def _forget_on_change(sender, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not set(update_fields) & _FIELDS.get(sender, set()):
        return  # a save of other columns only (e.g. verification): the values cannot have changed
    forget_values(sender)
    # Again once committed: a list shown meanwhile read the rows as they were and cached them.
    transaction.on_commit(lambda: forget_values(sender))
