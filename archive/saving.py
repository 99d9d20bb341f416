"""Saving a checked model when another request may be saving the same thing.

`full_clean()` looks for a row with the same unique key (a source's URL, a speaker's QID, a quote's
words by the same speaker), then `save()` writes. Another request can store the same key in
between: two editors posting one URL at once. Its row was invisible to the check (not yet
committed), and the database's unique index refuses the second write, an IntegrityError that would
answer 500. Here the write runs in a savepoint, and on such a refusal the check runs again: the
other row is committed by then (the refused write waited for it), so the answer is the one a second,
later request gets, a ValidationError naming the field. A refusal the check still cannot explain
(the other row already gone again, a row it referred to deleted meanwhile) is raised as it is: the
API answers it with 409, "send it again" (archive/api/errors.py).
"""

from django.db import IntegrityError, models, router, transaction


def save_checked(instance: models.Model, **save_kwargs) -> None:
    """`instance.save()`, for an instance that passed `full_clean()`; a unique key another request
    took meanwhile is raised as the ValidationError `full_clean()` now gives."""
    using = save_kwargs.get("using") or router.db_for_write(type(instance), instance=instance)
    try:
        with transaction.atomic(using=using):
            instance.save(**save_kwargs)
    except IntegrityError:
        instance.full_clean()
        raise
