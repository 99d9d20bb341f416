from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords


class Citation(models.Model):
    """The link between a quote and a source that records it: the evidence for the attribution."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary (the speaker's own record)"
        SECONDARY = "secondary", "Secondary (a report of it)"

    class Match(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        VERBATIM = "verbatim", "Found verbatim"
        NORMALIZED = "normalized", "Found after normalization"
        ELIDED = "elided", "Found with elisions"
        NOT_FOUND = "not_found", "Not found in the copy"
        NO_COPY = "no_copy", "No preserved copy"

    SUPPORTING_MATCHES = (Match.VERBATIM, Match.NORMALIZED, Match.ELIDED)

    # No index of its own: the unique (quote, source) index leads with it.
    quote = models.ForeignKey(
        "quotes.Quote", on_delete=models.CASCADE, related_name="citations", db_index=False
    )
    source = models.ForeignKey("archive.Source", on_delete=models.PROTECT, related_name="citations")
    role = models.CharField(max_length=9, choices=Role.choices, default=Role.SECONDARY)
    locator = models.CharField(max_length=255, blank=True, help_text="Page, timestamp or section.")
    selector_exact = models.TextField(blank=True, help_text="TextQuoteSelector: the exact passage.")
    selector_prefix = models.CharField(max_length=255, blank=True)
    selector_suffix = models.CharField(max_length=255, blank=True)
    note = models.TextField(blank=True)
    match = models.CharField(max_length=10, choices=Match.choices, default=Match.UNCHECKED)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_snapshot = models.ForeignKey(  # indexed where set: see Meta.indexes
        "archive.Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # db_default: what the bulk import's COPY leaves to the database (parsing a timestamp per row
    # and column cost PostgreSQL more than the rest of the row); the ORM still sets both itself.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "source"],
                name="unique_citation_per_quote_source",
                violation_error_message="This quote already cites this source.",
            ),
        ]
        # A plain B-tree: db_index would add a varchar_pattern_ops twin that no query uses.
        indexes = [
            models.Index(fields=["match"], name="citation_match_idx"),
            # Only checked citations have a snapshot (imported ones never): see Quote's Meta.indexes.
            models.Index(
                fields=["checked_snapshot"],
                name="citation_snapshot_idx",
                condition=Q(checked_snapshot__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display().split(' ')[0]} source: {self.source}"

    @property
    def selector(self) -> dict | None:
        if not self.selector_exact:
            return None
        return {
            "type": "TextQuoteSelector",
            "exact": self.selector_exact,
            "prefix": self.selector_prefix,
            "suffix": self.selector_suffix,
        }

    @property
    def supports_quote(self) -> bool:
        return self.match in self.SUPPORTING_MATCHES
