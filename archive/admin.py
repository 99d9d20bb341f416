from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from archive.models import Snapshot, Source


class SnapshotInline(admin.TabularInline):
    model = Snapshot
    extra = 0
    can_delete = False
    fields = ["fetched_at", "method", "http_status", "sha256", "failure_reason", "wayback_url"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "publisher", "domain", "published_on", "language"]
    list_filter = ["language", "published_on"]
    search_fields = ["url", "title", "publisher", "author"]
    readonly_fields = ["domain", "normalized_url", "created_at", "updated_at"]
    date_hierarchy = "published_on"
    inlines = [SnapshotInline]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["source", "fetched_at", "method", "http_status", "failure_reason"]
    list_filter = ["method", "http_status"]
    search_fields = ["source__url", "source__title", "sha256", "final_url"]
    autocomplete_fields = ["source"]
    readonly_fields = ["created_by"]
    date_hierarchy = "fetched_at"
