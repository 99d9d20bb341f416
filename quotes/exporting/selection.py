"""Which quotes an export holds: the list endpoint's filters, over what the requester may see."""

from django.db.models import QuerySet
from django_filters.utils import translate_validation

from quotes.filtersets import QuoteFilterSet
from quotes.models import Quote
from quotes.selectors import public_quotes

EXPORT_FORMATS = ("csv", "ndjson")


def may_export_all_statuses(user) -> bool:
    """Editors (who can change quotes) export drafts too; everyone else gets published quotes."""
    return bool(user is not None and user.is_authenticated and user.has_perm("quotes.change_quote"))


def export_quotes_queryset(params, *, user=None, all_statuses: bool = False) -> QuerySet:
    """Validate `params` with the list endpoint's QuoteFilterSet (a 400 naming each bad one).

    `all_statuses` is for the operator's command line; over HTTP it follows the user's rights.
    """
    base = Quote.objects.all() if all_statuses or may_export_all_statuses(user) else public_quotes()
    filterset = QuoteFilterSet(data=params, queryset=base)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset.qs
