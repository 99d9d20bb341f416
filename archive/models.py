"""The evidence: documents that record what was said, and preserved copies of them."""

import hashlib
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now, Upper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from archive.fields import MachineKeyField
from archive.urlnorm import normalize_url, url_host, url_problem

http_url_validator = URLValidator(schemes=["http", "https"], message="Enter an http(s) URL.")

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def validate_language_tag(value: str) -> None:
    """A BCP 47 tag such as en or pt-BR (the rule quotes follow too)."""
    if value and not LANGUAGE_TAG.match(value):
        raise ValidationError("Enter a BCP 47 language tag such as en, es or pt-BR.", code="invalid_language")


def validate_not_in_future(value) -> None:
    """A date that has happened: today in the newsroom's time zone at the latest (as for quotes)."""
    if value is not None and value > timezone.localdate():
        raise ValidationError("The publication date cannot be in the future.", code="future_date")


class Source(models.Model):
    """A document that records a quote: an article, a transcript, a post, a video page."""

    url = models.URLField(max_length=2000, validators=[http_url_validator])
    normalized_url = models.CharField(max_length=2000, editable=False, db_index=False)
    url_hash = MachineKeyField(max_length=64, editable=False)  # unique: see Meta.constraints
    domain = MachineKeyField(max_length=255, editable=False)  # indexed: see Meta.indexes
    title = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=255, blank=True)  # indexed: see Meta.indexes
    author = models.CharField(max_length=255, blank=True)
    published_on = models.DateField(null=True, blank=True, validators=[validate_not_in_future])
    language = models.CharField(
        max_length=35,
        blank=True,
        validators=[validate_language_tag],
        help_text="BCP 47 tag, e.g. en or pt-BR",
    )
    # db_default: what the bulk import's COPY leaves to the database (see quotes Citation.created_at).
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    history = HistoricalRecords()

    class Meta:
        ordering = ["publisher", "title", "id"]
        constraints = [
            # A constraint rather than unique=True: the same unique index, without the
            # varchar_pattern_ops twin PostgreSQL gets for a unique field (164 MB at 1.8M sources,
            # never used: nothing looks a hash up with LIKE).
            models.UniqueConstraint(fields=["url_hash"], name="archive_source_url_hash_key"),
        ]
        indexes = [
            # Meta.indexes rather than db_index=True: PostgreSQL would get a varchar_pattern_ops twin
            # of each, which no query uses (the filters are `domain = x OR domain LIKE '%.x'` and
            # `upper(publisher) = upper(x)`), and which a bulk import has to build again.
            models.Index(fields=["domain"], name="source_domain_idx"),
            models.Index(Upper("publisher"), name="source_publisher_upper_idx"),
            # The admin's date drill-down (MIN/MAX, then the years). Only where set: imported sources
            # have no date, so a bulk import neither fills nor rebuilds it.
            models.Index(
                fields=["published_on"],
                name="source_published_on_idx",
                condition=Q(published_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        label = self.title or self.url
        return f"{label} ({self.publisher})" if self.publisher else label

    def clean(self) -> None:
        super().clean()
        if not self.url:
            return
        if problem := url_problem(self.url):
            raise ValidationError({"url": f"Enter a valid URL: {problem}."})
        self.derive_url_fields()
        limit = self._meta.get_field("normalized_url").max_length
        if len(self.normalized_url) > limit:  # percent-encoding can lengthen a URL past its column
            raise ValidationError(
                {"url": f"Enter a shorter URL: normalized it is over {limit:,} characters."}
            )
        clash = Source.objects.filter(url_hash=self.url_hash).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError({"url": "A source with this URL is already in the archive."})

    def validate_constraints(self, exclude=None) -> None:
        # clean() checks the URL-hash constraint and reports it against the URL the editor typed;
        # the constraint's own message would name the internal field ("Source with this Url hash").
        super().validate_constraints(exclude={*(exclude or ()), "url_hash"})

    def derive_url_fields(self) -> None:
        """Keep the normalized URL, its hash and its host in step with `url`."""
        self.normalized_url = normalize_url(self.url)
        self.url_hash = hashlib.sha256(self.normalized_url.encode()).hexdigest()
        self.domain = url_host(self.normalized_url)

    def save(self, *args, **kwargs):
        # Derived columns only: no business rule lives here.
        self.derive_url_fields()
        super().save(*args, **kwargs)

    @property
    def latest_snapshot(self):
        return self.snapshots.filter(text__gt="").order_by("-fetched_at", "-id").first()


class Snapshot(models.Model):
    """A preserved copy of a source at one moment: fetched from the web or given by an editor."""

    class Method(models.TextChoices):
        FETCHED = "fetched", "Fetched from the web"
        MANUAL = "manual", "Given by an editor"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.FETCHED)
    fetched_at = models.DateTimeField(db_index=True)
    requested_url = models.URLField(max_length=2000, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(default=0)
    body = models.BinaryField(blank=True, default=b"", editable=False)
    text = models.TextField(blank=True, help_text="Main text of the document, without navigation or ads.")
    wayback_url = models.URLField(max_length=2100, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-fetched_at", "-id"]
        get_latest_by = "fetched_at"

    def __str__(self) -> str:
        state = f"failed: {self.failure_reason}" if self.failure_reason else (self.sha256[:12] or "empty")
        return f"Copy of {self.source} at {self.fetched_at:%Y-%m-%d %H:%M} ({state})"

    @property
    def succeeded(self) -> bool:
        return not self.failure_reason


class RequestCounter(models.Model):
    """How many API requests one client made in one rate-limit window (shared by every server process).

    API infrastructure rather than evidence: it lives here because both apps' APIs share the
    throttle in archive/api/, and archive may not depend on quotes.
    """

    key = models.CharField(max_length=200, unique=True)
    window_ends_at = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
