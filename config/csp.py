"""django-csp's middleware, with the header text built once per policy instead of once per response.

django-csp 4 rebuilds the header for every response (deep copies of the settings, dataclass
conversions): a third of the time of an embed card answered from memory. The text depends only on
the settings and on what a view's decorator asked for (`csp_replace` / `csp_update`), so it is
remembered per combination; a response that uses a nonce is built afresh, and a change of the
settings (tests) forgets everything.
"""

import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_policies: dict[tuple, str] = {}


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.clear()


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(self, request, response):
        debug_page = response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
        if debug_page and settings.DEBUG:
            return response
        for report_only, header, exempt, setting in (
            (False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = self.policy_text(request, response, report_only=report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        if getattr(request, "_csp_nonce", None) is None:
            # As the library does: a nonce asked for after the header is written is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def policy_text(self, request, response, *, report_only: bool) -> str:
        parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
        if parts.nonce is not None:
            return build_policy(
                config=parts.config,
                update=parts.update,
                replace=parts.replace,
                nonce=parts.nonce,
                report_only=report_only,
            )
        key = (report_only, repr(parts.config), repr(parts.update), repr(parts.replace))
        policy = _policies.get(key)
        if policy is None:
            policy = build_policy(
                config=parts.config, update=parts.update, replace=parts.replace, report_only=report_only
            )
            _policies[key] = policy
        return policy
