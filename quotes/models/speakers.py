from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from archive.text import search_form

qid_validator = RegexValidator(
    r"^Q[1-9][0-9]*$",
    message="Enter a Wikidata item id such as Q22686 (Q followed by digits, no leading zero).",
)


class Speaker(models.Model):
    """A person or organisation whose words are recorded (or who is talked about)."""

    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, allow_unicode=False)
    aliases = models.TextField(
        blank=True, help_text="Other names the speaker is known by, one per line (e.g. 'Trump')."
    )
    wikidata_qid = models.CharField(
        "Wikidata QID", max_length=20, null=True, blank=True, unique=True, validators=[qid_validator]
    )
    description = models.CharField(max_length=500, blank=True)
    search_names = models.TextField(editable=False, blank=True, help_text="Name and aliases, normalized.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def wikidata_url(self) -> str:
        return f"https://www.wikidata.org/wiki/{self.wikidata_qid}" if self.wikidata_qid else ""

    def get_absolute_url(self) -> str:
        return reverse("speaker-page", kwargs={"slug": self.slug})

    def derive_search_names(self) -> None:
        self.search_names = "\n".join(search_form(n) for n in [self.name, *self.alias_list])

    def save(self, *args, **kwargs):
        # Derived column only; blank QIDs are stored as NULL so that uniqueness ignores them.
        self.wikidata_qid = self.wikidata_qid or None
        self.derive_search_names()
        super().save(*args, **kwargs)
