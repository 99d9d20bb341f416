from django import forms
from django.conf import settings
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from archive.admin_filters import values_filter
from archive.admin_input import EditorsInput
from archive.models import Snapshot, Source
from archive.services import add_manual_copy, snapshot_source


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
class SourceAdmin(EditorsInput, SimpleHistoryAdmin):
    list_display = ["__str__", "publisher", "domain", "published_on", "language"]
    list_filter = [values_filter(Source, "language"), "published_on"]
    search_fields = ["url", "title", "publisher", "author"]
    readonly_fields = ["domain", "normalized_url", "created_at", "updated_at"]
    date_hierarchy = "published_on"
    # Newest first: the model's alphabetical order (publisher, title) has no index, a sort of every
    # source on each view (0.4 s at 1.8M); the column headers still sort by publisher or date.
    ordering = ["-id"]
    show_full_result_count = False  # a second count of every source on each search
    inlines = [SnapshotInline]
    actions = ["fetch_copy_now"]

    @admin.action(description="Fetch a preserved copy now", permissions=["change"])
    def fetch_copy_now(self, request, queryset):
        # Citations of a source with a new copy are re-checked by the quotes app (it listens
        # to archive.services.snapshot_added).
        for source in queryset:
            snapshot = snapshot_source(source=source)
            if not snapshot.succeeded:
                self.message_user(request, f"{source}: failed: {snapshot.failure_reason}", messages.WARNING)
            elif snapshot.unchanged:
                self.message_user(request, f"{source}: unchanged since the last copy.", messages.INFO)
            else:
                self.message_user(request, f"{source}: new copy preserved.", messages.SUCCESS)


class ManualCopyForm(forms.ModelForm):
    """An editor gives a copy by hand: paste the text, or upload an HTML, PDF or text file."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 15}), required=False, help_text="Paste the document's text."
    )
    file = forms.FileField(required=False, help_text="Or upload an HTML, PDF or text file (max 5 MB).")

    class Meta:
        model = Snapshot
        fields = ["source"]

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("text") or "").strip() and not cleaned.get("file"):
            raise forms.ValidationError("Paste the text of the source or upload a file.")
        upload = cleaned.get("file")
        if upload and upload.size > settings.FETCH_MAX_BYTES:
            self.add_error("file", f"The file is larger than {settings.FETCH_MAX_BYTES} bytes.")
        return cleaned


@admin.register(Snapshot)
class SnapshotAdmin(EditorsInput, admin.ModelAdmin):
    list_display = ["source", "fetched_at", "method", "http_status", "failure_reason"]
    list_filter = ["method", "http_status"]
    search_fields = ["source__url", "source__title", "sha256", "final_url"]
    autocomplete_fields = ["source"]
    readonly_fields = ["created_by"]
    date_hierarchy = "fetched_at"
    # A preserved copy is evidence: it is added (fetched or given by hand), never edited.
    evidence_fields = [
        "source",
        "method",
        "fetched_at",
        "requested_url",
        "final_url",
        "http_status",
        "content_type",
        "sha256",
        "size",
        "wayback_url",
        "failure_reason",
        "created_by",
        "text",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ManualCopyForm
            kwargs["fields"] = ["source", "text", "file"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["source", "text", "file"] if obj is None else self.evidence_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.evidence_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        snapshot = add_manual_copy(
            source=form.cleaned_data["source"],
            text=form.cleaned_data.get("text"),
            file=form.cleaned_data.get("file"),
            user=request.user,
        )
        # The admin goes on to show `obj`: make it the stored copy.
        obj.__dict__.update({k: v for k, v in snapshot.__dict__.items() if k != "_state"})
        obj._state.adding = False
        if snapshot.unchanged:
            self.message_user(request, "This copy is identical to the latest one; nothing new was stored.")
        elif not snapshot.succeeded:
            self.message_user(request, f"Copy kept, but: {snapshot.failure_reason}", messages.WARNING)
