"""Who may use the API: everyone reads; editors (the group's model permissions) write."""

from rest_framework import permissions


class ReadAnyoneWriteEditors(permissions.DjangoModelPermissions):
    """Safe methods for all; POST/PUT/PATCH/DELETE need the model's add/change/delete permission.

    Editors and reviewers hold them through their groups, superusers hold all. Publishing is a
    further check made by quotes.services (the `publish_quote` permission).
    """

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            # A view with no model (none today): writes for superusers and the editors group.
            user = request.user
            return bool(
                user
                and user.is_authenticated
                and (user.is_superuser or user.groups.filter(name__in=["editors", "reviewers"]).exists())
            )
        return super().has_permission(request, view)


class QuotePermissions(ReadAnyoneWriteEditors):
    """DELETE on a quote retracts it, so it needs the change permission (and, in the service, a reviewer)."""

    perms_map = {**ReadAnyoneWriteEditors.perms_map, "DELETE": ["%(app_label)s.change_%(model_name)s"]}
