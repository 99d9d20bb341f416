"""Login attempt limiting for the editors' admin (django-axes)."""

from axes.backends import AxesStandaloneBackend


class LoginAttemptsBackend(AxesStandaloneBackend):
    """Refuses a login from a username+address that failed too often (see AXES_* settings).

    Axes needs the request to know the address. A few callers authenticate without one (Django's
    test client `login()`, scripts); those have no client address to lock out, so the check
    is skipped for them instead of failing with an error. Every login through the admin or the
    API passes the request and is counted.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
