import hashlib

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from archive.fields import MachineKeyField

# One language rule for quotes and sources (the migrations name it here: quotes.models.quotes).
from archive.models import LANGUAGE_TAG, validate_language_tag  # noqa: F401
from archive.text import normalize_text, search_form

QUOTE_MAX_LENGTH = 10_000


class QuoteAbout(models.Model):
    """A speaker a quote is about (Quote.about). Its own model only so that a speaker quotes are
    about cannot be deleted (PROTECT), which would take them out of published quotes unrecorded;
    the table is the one Django made for the plain many-to-many field."""

    quote = models.ForeignKey("quotes.Quote", on_delete=models.CASCADE, related_name="+")
    speaker = models.ForeignKey("quotes.Speaker", on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "quotes_quote_about"
        unique_together = [("quote", "speaker")]
        verbose_name = "speaker a quote is about"
        verbose_name_plural = "speakers quotes are about"

    def __str__(self) -> str:
        return f"{self.quote} (about {self.speaker})"


def history_model_name(name: str) -> str:
    """The history tables' names: the `about` links keep the name of the table Django first made
    for them ("HistoricalQuote_about") now that they have a model of their own."""
    return "HistoricalQuote_about" if name == "QuoteAbout" else f"Historical{name}"


class Quote(models.Model):
    """Words a speaker said, recorded exactly as said, with when, where and in what role."""

    class Precision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"
        UNKNOWN = "unknown", "Unknown"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETRACTED = "retracted", "Retracted"

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        VERIFIED = "verified", "Verified"
        DISPUTED = "disputed", "Disputed"
        MISATTRIBUTED = "misattributed", "Misattributed"

    PUBLIC_STATUSES = (Status.PUBLISHED, Status.RETRACTED)
    # Verdicts every public view of the quote must show (quotes/web): the words may not be theirs.
    DOUBTFUL_VERIFICATIONS = (Verification.MISATTRIBUTED, Verification.DISPUTED)

    text = models.TextField(
        help_text="Exactly as said: never retyped, 'corrected' or re-punctuated.",
        validators=[MaxLengthValidator(QUOTE_MAX_LENGTH)],
    )
    text_normalized = models.TextField(editable=False)
    text_hash = MachineKeyField(max_length=64, editable=False)
    search_text = models.TextField(editable=False, help_text="Normalized, accent-free form for search.")
    # No index of its own: (speaker, text_hash) and (speaker, status, said_on) both lead with it.
    speaker = models.ForeignKey(
        "quotes.Speaker", on_delete=models.PROTECT, related_name="quotes", db_index=False
    )
    speaker_role = models.CharField(
        max_length=255, blank=True, help_text="The speaker's role as described at the time."
    )
    said_on = models.DateField(
        null=True, blank=True, help_text="First day of the period for month or year precision."
    )
    date_precision = models.CharField(max_length=7, choices=Precision.choices, default=Precision.DAY)
    venue = models.ForeignKey(  # indexed where set: see Meta.indexes
        "quotes.Venue", null=True, blank=True, on_delete=models.PROTECT, related_name="quotes", db_index=False
    )
    language = models.CharField(max_length=35, default="en", validators=[validate_language_tag])
    context = models.TextField(blank=True, help_text="What prompted the words; what they answer.")
    # A code, compared byte by byte (MachineKeyField). Not the first column of the list indexes
    # below: one status covers nearly every row, and a B-tree led by it sorts 2-4x slower.
    status = MachineKeyField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    status_note = models.TextField(blank=True, help_text="Editor's note shown with a retraction.")
    verification = MachineKeyField(
        max_length=13, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    verification_note = models.TextField(blank=True)
    verification_overridden = models.BooleanField(
        default=False, help_text="An editor set the verification by hand; automatic checks leave it alone."
    )
    correct_attribution = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="misattributions",
        help_text="For a misattributed quote: the record of who really said it, when known.",
        db_index=False,  # indexed where set: see Meta.indexes
    )
    translation_of = models.ForeignKey(  # indexed where set: see Meta.indexes
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="translations", db_index=False
    )
    about = models.ManyToManyField(
        "quotes.Speaker",
        through=QuoteAbout,
        blank=True,
        related_name="quotes_about",
        help_text="Who the quote is about.",
    )
    tags = models.ManyToManyField("quotes.Tag", blank=True, related_name="quotes")
    attribution_probability = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Probability of the attribution given by an imported corpus, from 0 to 1.",
    )
    external_id = MachineKeyField(max_length=100, blank=True, help_text="e.g. Quotebank quoteID")
    version = models.PositiveIntegerField(default=1, editable=False)
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # db_default: see Citation.created_at.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())  # see quote_created_idx
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    created_by = models.ForeignKey(  # indexed where set: see Meta.indexes
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    history = HistoricalRecords(m2m_fields=[tags, about], custom_model_name=history_model_name)

    class Meta:
        ordering = ["-said_on", "-id"]
        permissions = [("publish_quote", "Can publish and retract quotes")]
        constraints = [
            models.UniqueConstraint(
                fields=["speaker", "text_hash"],
                name="unique_normalized_quote_per_speaker",
                violation_error_message=(
                    "This speaker already has this quote (the same words after normalization)."
                ),
                violation_error_code="duplicate_quote",
            ),
        ]
        indexes = [
            models.Index(fields=["speaker", "status", "said_on"], name="quote_speaker_said_idx"),
            # The lists' orders (said_on or created_at, then id): every quote list, public
            # (published and retracted, nearly all rows) or the editors' (every status), walks one
            # of these in order and stops after a page; MIN/MAX(said_on) is one probe.
            models.Index(fields=["said_on", "id"], name="quote_said_idx"),
            models.Index(fields=["created_at", "id"], name="quote_created_idx"),
            # The editorial queue (drafts, in review, retracted): few rows, found without walking
            # the published ones. Partial, so a published import leaves it alone (search_index.py).
            models.Index(
                fields=["status", "said_on", "id"],
                name="quote_unpublished_idx",
                condition=~Q(status="published"),
            ),
            # Plain B-trees: db_index on a CharField adds a varchar_pattern_ops twin for LIKE,
            # which nothing asks of these columns.
            models.Index(fields=["verification"], name="quote_verification_idx"),
            models.Index(fields=["external_id"], name="quote_external_id_idx"),
            # Links most quotes lack (imported ones always): indexed only where set, so the index
            # is as small as the links are few, and a bulk import needn't drop and rebuild it
            # (search_index.py: a partial index costs the load nothing for rows outside it).
            *(
                models.Index(
                    fields=[name], name=f"quote_{name}_idx", condition=Q(**{f"{name}__isnull": False})
                )
                for name in ("venue", "correct_attribution", "translation_of", "created_by", "updated_by")
            ),
        ]

    def __str__(self) -> str:
        excerpt = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"“{excerpt}” — {self.speaker}" if self.speaker_id else f"“{excerpt}”"

    def get_absolute_url(self) -> str:
        return reverse("quote-permalink", kwargs={"pk": self.pk})

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATUSES

    def derive_text_fields(self) -> None:
        """Derived, never shown: the verbatim `text` stays as entered."""
        self.text_normalized = normalize_text(self.text)
        self.text_hash = hashlib.sha256(self.text_normalized.encode()).hexdigest()
        self.search_text = search_form(self.text)

    def clean_fields(self, exclude=None) -> None:
        """The field checks, then ours, each only for a field that has no error yet: a field a form
        refused (and so excluded) or that failed its own validators gets no second message."""
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        settled = exclude | set(errors)
        if "text" not in settled and self.text is not None and not self.text.strip():
            errors["text"] = ["The quote text cannot be empty."]
        if not {"said_on", "date_precision"} & settled:
            for field, message in date_errors(self.said_on, self.date_precision).items():
                errors[field] = [message]
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        self.derive_text_fields()
        if self.correct_attribution_id and self.correct_attribution_id == self.pk:
            errors["correct_attribution"] = "A quote cannot be its own correct attribution."
        if self.translation_of_id and self.translation_of_id == self.pk:
            errors["translation_of"] = "A quote cannot be a translation of itself."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None) -> None:
        """As Django's, but a duplicate is checked whenever the text is (text_hash, derived from it,
        is in no form, so a form would skip the check and the save fail), and reported on the text."""
        exclude = set(exclude or ())
        if "text" not in exclude:
            self.derive_text_fields()
            exclude.discard("text_hash")
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            duplicate = [e for e in general if e.code == "duplicate_quote"]
            if duplicate:
                errors.setdefault("text", []).extend(duplicate)
            if rest := [e for e in general if e.code != "duplicate_quote"]:
                errors[NON_FIELD_ERRORS] = rest
            raise ValidationError(errors) from None

    def save(self, *args, **kwargs):
        self.derive_text_fields()
        super().save(*args, **kwargs)


def date_errors(said_on, precision: str) -> dict[str, str]:
    """What is wrong with a date at a precision ("January 2026" is stored as 2026-01-01, month)."""
    if precision == Quote.Precision.UNKNOWN:
        return {"said_on": "Leave the date empty when its precision is unknown."} if said_on else {}
    if said_on is None:
        return {"said_on": f"Enter the date (precision: {precision}), or set the precision to unknown."}
    if said_on > timezone.localdate():
        return {"said_on": "The date cannot be in the future."}
    if precision == Quote.Precision.MONTH and said_on.day != 1:
        return {"said_on": "For month precision, enter the first day of the month (e.g. 2026-01-01)."}
    if precision == Quote.Precision.YEAR and (said_on.month, said_on.day) != (1, 1):
        return {"said_on": "For year precision, enter 1 January of that year."}
    return {}
