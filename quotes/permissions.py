"""Who may do what with a quote's editorial status."""

from quotes.models import Quote

PUBLISH_PERMISSION = "quotes.publish_quote"
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
