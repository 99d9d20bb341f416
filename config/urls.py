from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.health import healthz, readyz
from quotes.api.citing import QuoteCiteView, QuoteCorrectionsView
from quotes.api.docs import api_docs
from quotes.api.export import QuoteExportView
from quotes.api.lookup import QuoteLookupView
from quotes.web import views as web_views

admin.site.site_header = "Verbatim editors"
admin.site.site_title = "Verbatim"
admin.site.index_title = "Archive"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("q/<int:pk>/", web_views.quote_permalink, name="quote-permalink"),
    path("s/<slug:slug>/", web_views.speaker_page, name="speaker-page"),
    # Before the api/v1/ include, so that no quote route claims "export" (quotes/api/export.py).
    path("api/v1/quotes/export/", QuoteExportView.as_view(), name="quote-export"),
    path("embed/q/<int:pk>/", web_views.quote_embed, name="quote-embed"),
    path("oembed", web_views.oembed_view, name="oembed"),
    # Before the api/v1/ include: these two are standalone views (quotes/api/citing.py).
    path("api/v1/quotes/<int:pk>/cite/", QuoteCiteView.as_view(), name="quote-cite"),
    path("api/v1/quotes/<int:pk>/corrections/", QuoteCorrectionsView.as_view(), name="quote-corrections"),
    # "Who said this?" (issue 5, quotes/api/lookup.py): before the api/v1/ include.
    path("api/v1/lookup/", QuoteLookupView.as_view(), name="quote-lookup"),
    # The researchers' API (issue 3): after the specific api/v1/ routes above.
    path("api/v1/", include("quotes.api.urls")),
    path("api/v1/", include("archive.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
]

handler404 = "archive.api.errors.not_found"
handler500 = "archive.api.errors.server_error"
