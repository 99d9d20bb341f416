"""Writes to the quote archive. Every editorial rule that a write must respect lives here."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from quotes.models import Quote
from quotes.permissions import status_change_error
from quotes.verification import verify_quote


def ensure_status_change_allowed(*, user, quote: Quote, new_status: str) -> None:
    old_status = None
    if quote.pk:
        old_status = Quote.objects.filter(pk=quote.pk).values_list("status", flat=True).first()
    reason = status_change_error(user, old_status=old_status, new_status=new_status)
    if reason:
        raise PermissionDenied(reason)


def stamp_quote_for_save(*, quote: Quote, user, change_reason: str = "") -> None:
    """Who changed it, when it was first published, and why it changed (kept in history)."""
    if user is not None and user.is_authenticated:
        if not quote.pk:
            quote.created_by = user
        quote.updated_by = user
    if quote.status == Quote.Status.PUBLISHED and quote.first_published_at is None:
        quote.first_published_at = timezone.now()
    if quote.pk:
        quote.version = (quote.version or 0) + 1
    if change_reason:
        quote._change_reason = change_reason


@transaction.atomic
def save_quote(*, quote: Quote, user, change_reason: str = "") -> Quote:
    """Validate and save a quote as `user`, enforcing who may publish."""
    ensure_status_change_allowed(user=user, quote=quote, new_status=quote.status)
    quote.full_clean()
    stamp_quote_for_save(quote=quote, user=user, change_reason=change_reason)
    quote.save()
    return quote


@transaction.atomic
def set_quotes_status(*, quotes, user, status: str, note: str = "") -> int:
    """Move several quotes to `status` (the admin's bulk actions); each change is kept in history."""
    changed = 0
    for quote in quotes.select_for_update():
        if quote.status == status:
            continue
        ensure_status_change_allowed(user=user, quote=quote, new_status=status)
        quote.status = status
        if note:
            quote.status_note = note
        stamp_quote_for_save(quote=quote, user=user, change_reason=note or f"Status set to {status}")
        quote.save()
        changed += 1
    return changed


@transaction.atomic
def set_quotes_verification(*, quotes, user, verification: str, note: str) -> int:
    """An editor's verdict on several quotes; automatic verification will leave it alone."""
    if not note:
        raise ValidationError({"verification_note": "Say why the verification is set by hand."})
    changed = 0
    for quote in quotes.select_for_update():
        quote.verification = verification
        quote.verification_note = note
        quote.verification_overridden = True
        stamp_quote_for_save(quote=quote, user=user, change_reason=note)
        quote.save()
        changed += 1
    return changed


@transaction.atomic
def record_evidence_change(*, quote: Quote) -> None:
    """A citation of `quote` was added, changed or removed: the quote's record has a new version
    (an If-Match sent for the old one is stale) and its verification is checked again."""
    Quote.objects.filter(pk=quote.pk).update(version=F("version") + 1, updated_at=timezone.now())
    quote.refresh_from_db()
    verify_quote(quote=quote)
