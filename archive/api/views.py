"""Sources API: the documents quotes cite, with their preserved copies on the detail route.

Permissions, authentication, rendering and errors come from the REST_FRAMEWORK settings, so
this module needs nothing from `quotes`.
"""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from archive.api.base import ApiModelViewSet
from archive.api.serializers import SourceDetailSerializer, SourceSerializer
from archive.filtersets import SourceFilterSet
from archive.models import Snapshot, Source

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="412 when the source changed since."
)


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
)
class SourceViewSet(ApiModelViewSet):
    """Documents that record quotes; editors add and correct them."""

    queryset = Source.objects.order_by("id")
    filterset_class = SourceFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        sources = Source.objects.order_by("id")
        if self.action != "list":
            snapshots = Snapshot.objects.defer("body", "text").order_by("-fetched_at", "-id")
            sources = sources.prefetch_related(Prefetch("snapshots", queryset=snapshots))
        return sources

    def get_serializer_class(self):
        return SourceSerializer if self.action == "list" else SourceDetailSerializer
