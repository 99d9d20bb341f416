"""Writes to the quote archive. Every editorial rule that a write must respect lives here."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from archive.saving import save_checked
from quotes.models import Quote
from quotes.permissions import quote_deletion_error, retraction_error, status_change_error, was_ever_public
from quotes.verification import verify_quote


def ensure_status_change_allowed(*, user, quote: Quote, new_status: str) -> None:
    """PermissionDenied when `user` may not make this change; ValidationError (on `status`) when
    nobody may, such as retracting words that were never published."""
    old_status, first_published_at = None, None
    if quote.pk:
        stored = Quote.objects.filter(pk=quote.pk).values_list("status", "first_published_at").first()
        old_status, first_published_at = stored or (None, None)
    reason = status_change_error(user, old_status=old_status, new_status=new_status)
    if reason:
        raise PermissionDenied(reason)
    reason = retraction_error(
        old_status=old_status, new_status=new_status, first_published_at=first_published_at
    )
    if reason:
        raise ValidationError({"status": reason}, code="never_published")


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
    stored = (
        Quote.objects.filter(pk=quote.pk).values_list("verification", flat=True).first() if quote.pk else None
    )
    if quote.verification != (stored or Quote.Verification.UNVERIFIED):
        # A verdict set by hand sticks (as in the admin): the automatic check, run again whenever
        # evidence changes, would otherwise put its own back.
        quote.verification_overridden = True
    quote.full_clean()
    stamp_quote_for_save(quote=quote, user=user, change_reason=change_reason)
    save_checked(quote)  # the same words posted twice at once: the second is told, not a 500
    return quote


@transaction.atomic
def delete_unpublished_quote(*, quote: Quote, user, change_reason: str = "") -> None:
    """Delete a quote that was never published (a draft or in review) for good, as `user`.

    PermissionDenied for a quote that was ever public (retract it) or a user who may not edit it;
    ProtectedError when another quote names it as a correct attribution or an original.
    The deletion is kept in the quote's history.
    """
    # Decide on the row as stored, locked: a quote published a moment ago is never deleted.
    stored = Quote.objects.select_for_update().get(pk=quote.pk)
    reason = quote_deletion_error(user, quote=stored)
    if reason:
        raise PermissionDenied(reason)
    if change_reason:
        stored._change_reason = change_reason
    stored.delete()


@transaction.atomic
def withdraw_quote(*, quote: Quote, user, via: str = "") -> str:
    """Take a quote down, as DELETE on the API does: words that were ever public are retracted
    (the permalink stays, marked so; a reviewer's decision), words never published are deleted.
    `via` ends the history's reason ("Retracted through the API"). Returns "retracted" or "deleted".
    """
    suffix = f" {via}" if via else ""
    if not was_ever_public(status=quote.status, first_published_at=quote.first_published_at):
        delete_unpublished_quote(quote=quote, user=user, change_reason=f"Deleted before publication{suffix}")
        return "deleted"
    if quote.status != Quote.Status.RETRACTED:
        quote.status = Quote.Status.RETRACTED
        save_quote(quote=quote, user=user, change_reason=f"Retracted{suffix}")
    return "retracted"


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
