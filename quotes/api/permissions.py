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
        return super().has_permission(request, view)


class QuotePermissions(ReadAnyoneWriteEditors):
    """DELETE on a quote retracts it, so it needs the change permission (and, in the service, a reviewer)."""

    perms_map = {**ReadAnyoneWriteEditors.perms_map, "DELETE": ["%(app_label)s.change_%(model_name)s"]}
