"""Routes under /api/v1/. cite/, corrections/, export/ and lookup/ are registered before this
include in config/urls.py by their own modules."""

from rest_framework.routers import SimpleRouter

from quotes.api.views import CitationViewSet, QuoteViewSet, SpeakerViewSet, TagViewSet, VenueViewSet

router = SimpleRouter()
router.register("quotes", QuoteViewSet, basename="api-quote")
router.register("speakers", SpeakerViewSet, basename="api-speaker")
router.register("venues", VenueViewSet, basename="api-venue")
router.register("tags", TagViewSet, basename="api-tag")
router.register("citations", CitationViewSet, basename="api-citation")

urlpatterns = router.urls
