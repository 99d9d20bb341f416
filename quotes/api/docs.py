"""The interactive API documentation: Swagger UI served from the project's own static files."""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerSplitView

# Swagger UI's page has an inline <style> block and its components set style attributes: inline
# styles are allowed on this page only. Scripts stay 'self' (the split view serves its own).
api_docs = csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)
