"""Who may do what with a quote's editorial status, and what becomes of a quote taken down."""

from quotes.models import Quote

PUBLISH_PERMISSION = "quotes.publish_quote"
EDIT_PERMISSION = "quotes.change_quote"
#: Statuses only reviewers may set (or leave): publishing and retracting are their call.
REVIEWER_STATUSES = frozenset({Quote.Status.PUBLISHED, Quote.Status.RETRACTED})


def can_publish(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PUBLISH_PERMISSION))


def status_change_error(user, *, old_status: str | None, new_status: str) -> str | None:
    """Why `user` may not move a quote from `old_status` to `new_status`, or None when allowed."""
    if old_status == new_status:
        return None
    if (new_status in REVIEWER_STATUSES or old_status in REVIEWER_STATUSES) and not can_publish(user):
        return "Only reviewers can publish, retract or unpublish a quote."
    return None


def was_ever_public(*, status: str | None, first_published_at) -> bool:
    """Whether a quote's permalink has ever been public (it may be embedded or cited elsewhere).

    `first_published_at` says so once a quote has been published through a service; a published or
    retracted quote written some other way (an import, a fixture) counts as public all the same.
    """
    return first_published_at is not None or status in Quote.PUBLIC_STATUSES


def retraction_error(*, old_status: str | None, new_status: str, first_published_at) -> str | None:
    """Why a quote stored with `old_status` and `first_published_at` (None for a new quote) may not
    be given `new_status`, whoever asks; None when it may.

    A retracted quote is public, marked retracted, so that words once published are never silently
    withdrawn. Words never published have nothing to retract: "retracting" them would publish them.
    They are deleted instead (`quote_deletion_error`, `services.withdraw_quote`).
    """
    if new_status != Quote.Status.RETRACTED or old_status == Quote.Status.RETRACTED:
        return None
    if not was_ever_public(status=old_status, first_published_at=first_published_at):
        return (
            "Only a quote that has been published can be retracted; this one was never published "
            "(a draft or in review): delete it instead."
        )
    return None


def quote_deletion_error(user, *, quote: Quote) -> str | None:
    """Why `user` may not delete `quote` (as stored) for good, or None when allowed.

    A quote that has ever been public is retracted, never deleted: its permalink stays. One never
    published may be deleted by whoever may edit it (editors, reviewers, superusers): an editor may
    already rewrite every word of a draft, and the deletion is kept in the quote's history.
    """
    if was_ever_public(status=quote.status, first_published_at=quote.first_published_at):
        return "A quote that has been published is retracted, not deleted: its permalink stays."
    if not (user and user.is_active and user.has_perm(EDIT_PERMISSION)):
        return "Only editors and reviewers can delete an unpublished quote."
    return None
