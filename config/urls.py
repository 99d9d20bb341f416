from django.contrib import admin
from django.urls import path

from config.health import healthz, readyz
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
]
