from django.db import models
from simple_history.models import HistoricalRecords

from archive.models import http_url_validator


class Venue(models.Model):
    """Where something was said: a speech, an interview, a post, a hearing."""

    class Kind(models.TextChoices):
        SPEECH = "speech", "Speech"
        INTERVIEW = "interview", "Interview"
        PRESS_CONFERENCE = "press_conference", "Press conference"
        SOCIAL_MEDIA_POST = "social_media_post", "Social media post"
        STATEMENT = "statement", "Statement"
        HEARING = "hearing", "Hearing"
        BROADCAST = "broadcast", "Broadcast"
        ARTICLE = "article", "Article"
        BOOK = "book", "Book"
        OTHER = "other", "Other"

    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    location = models.CharField(max_length=255, blank=True)
    held_on = models.DateField("date", null=True, blank=True)
    url = models.URLField(max_length=2000, blank=True, validators=[http_url_validator])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        when = f", {self.held_on:%Y-%m-%d}" if self.held_on else ""
        return f"{self.name} ({self.get_kind_display()}{when})"


class Tag(models.Model):
    """A subject label editors attach to quotes (e.g. 'Cuba', 'sanctions')."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
