"""The demo archive: three quotes from a real news article about Cuba (January 2026)."""

import datetime
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from archive.models import Snapshot, Source
from archive.services import wayback_url
from quotes.models import Citation, Quote, Speaker, Tag, Venue
from quotes.verification import verify_quote

ARTICLE_PATH = Path(__file__).resolve().parent / "fixtures" / "article-cuba-regime-change.txt"
ARTICLE_URL = (
    "https://internewscast.com/news/us/trump-administration-aims-for-regime-change-in-cuba-by-end-of-year/"
)
DEMO_USERNAME = "demo"

SPEAKERS = [
    {
        "slug": "donald-trump",
        "name": "Donald Trump",
        "aliases": "Trump\nDonald J. Trump\nPresident Trump",
        "wikidata_qid": "Q22686",
        "description": "45th and 47th President of the United States",
    },
    {
        "slug": "miguel-diaz-canel",
        "name": "Miguel Díaz-Canel",
        "aliases": "Díaz-Canel\nMiguel Mario Díaz-Canel y Bermúdez",
        "description": "President of Cuba",
    },
    {
        "slug": "jeremy-lewin",
        "name": "Jeremy Lewin",
        "aliases": "Lewin",
        "description": "U.S. State Department official",
    },
    {
        "slug": "government-of-cuba",
        "name": "Government of Cuba",
        "aliases": "Cuban regime\nCuban government",
        "description": "The government of the Republic of Cuba",
    },
    {
        "slug": "government-of-the-united-states",
        "name": "Government of the United States",
        "aliases": "US government\nTrump administration",
        "description": "The federal government of the United States",
    },
]

QUOTES = [
    {
        "speaker": "donald-trump",
        "text": "I strongly suggest they make a deal, BEFORE IT IS TOO LATE",
        "speaker_role": "President of the United States",
        "said_on": datetime.date(2026, 1, 11),
        "date_precision": Quote.Precision.DAY,
        "venue": "truth-social",
        "context": (
            "Posted on Truth Social on 11 January 2026, warning the Cuban regime that after Maduro's "
            "capture no more Venezuelan oil or money would be arriving."
        ),
        "about": ["government-of-cuba"],
        "tags": ["Cuba", "Venezuela", "Regime change"],
    },
    {
        "speaker": "miguel-diaz-canel",
        "text": (
            "There is no surrender or capitulation possible nor any kind of understanding based on "
            "coercion or intimidation"
        ),
        "speaker_role": "President of Cuba",
        "said_on": datetime.date(2026, 1, 1),
        "date_precision": Quote.Precision.MONTH,
        "venue": "memorial",
        "context": (
            "At a memorial for the Cuban security guards who were killed "
            "while trying to protect Nicolás Maduro."
        ),
        "about": ["government-of-the-united-states"],
        "tags": ["Cuba", "Venezuela"],
    },
    {
        "speaker": "jeremy-lewin",
        "text": "has to make a choice to step down or to better provide for its people",
        "speaker_role": "Acting Under Secretary for Foreign Assistance, U.S. State Department",
        "said_on": datetime.date(2026, 1, 1),
        "date_precision": Quote.Precision.MONTH,
        "venue": None,
        "context": "Said of Cuba's government, in the week before the article appeared.",
        "about": ["government-of-cuba"],
        "tags": ["Cuba", "Regime change"],
    },
]

VENUES = {
    "truth-social": {
        "name": "Truth Social post by @realDonaldTrump",
        "kind": Venue.Kind.SOCIAL_MEDIA_POST,
        "held_on": datetime.date(2026, 1, 11),
        "url": "https://truthsocial.com/@realDonaldTrump",
    },
    "memorial": {
        "name": "Memorial for the Cuban security guards killed in Caracas",
        "kind": Venue.Kind.SPEECH,
        "location": "Cuba",
        "held_on": None,
    },
}


@dataclass
class DemoResult:
    created: dict[str, int] = field(default_factory=dict)
    password: str | None = None

    def count(self, kind: str, was_created: bool) -> None:
        self.created[kind] = self.created.get(kind, 0) + int(was_created)


@transaction.atomic
def load_demo() -> DemoResult:
    """Create the demo archive where it is missing; running it again creates nothing."""
    result = DemoResult()
    speakers = {}
    for data in SPEAKERS:
        speaker, created = Speaker.objects.get_or_create(slug=data["slug"], defaults=data)
        speakers[data["slug"]] = speaker
        result.count("speakers", created)

    venues = {}
    for key, data in VENUES.items():
        venue, created = Venue.objects.get_or_create(name=data["name"], kind=data["kind"], defaults=data)
        venues[key] = venue
        result.count("venues", created)

    article_text = ARTICLE_PATH.read_text(encoding="utf-8")
    source = Source.objects.filter(url=ARTICLE_URL).first()
    result.count("sources", source is None)
    if source is None:
        source = Source.objects.create(
            url=ARTICLE_URL,
            title="Trump administration aims for regime change in Cuba by the end of the year",
            publisher="Internewscast",
            language="en",
        )
    body = article_text.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    _, created = Snapshot.objects.get_or_create(
        source=source,
        sha256=digest,
        defaults={
            "method": Snapshot.Method.MANUAL,
            "fetched_at": timezone.now(),
            "content_type": "text/plain; charset=utf-8",
            "size": len(body),
            "body": body,
            "text": article_text,
            "requested_url": ARTICLE_URL,
            "wayback_url": wayback_url(url=ARTICLE_URL, when=timezone.now()),
        },
    )
    result.count("snapshots", created)

    for data in QUOTES:
        speaker = speakers[data["speaker"]]
        quote = Quote.objects.filter(speaker=speaker, text=data["text"]).first()
        result.count("quotes", quote is None)
        if quote is None:
            quote = Quote(
                speaker=speaker,
                text=data["text"],
                speaker_role=data["speaker_role"],
                said_on=data["said_on"],
                date_precision=data["date_precision"],
                venue=venues[data["venue"]] if data["venue"] else None,
                language="en",
                context=data["context"],
                status=Quote.Status.PUBLISHED,
                first_published_at=timezone.now(),
            )
            quote.full_clean()
            quote.save()
            quote.about.set([speakers[slug] for slug in data["about"]])
        for name in data["tags"]:
            tag, created = Tag.objects.get_or_create(
                name=name, defaults={"slug": name.lower().replace(" ", "-")}
            )
            result.count("tags", created)
            quote.tags.add(tag)
        _, created = Citation.objects.get_or_create(
            quote=quote, source=source, defaults={"role": Citation.Role.SECONDARY}
        )
        result.count("citations", created)
        # Found verbatim in the hand-made copy. One secondary report is not enough for
        # `verified` (that takes a primary source or two publishers), so they stay unverified
        # until, e.g., the Truth Social post itself is preserved and cited as primary.
        verify_quote(quote=quote)

    user_model = get_user_model()
    if not user_model.objects.filter(username=DEMO_USERNAME).exists():
        result.password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(DEMO_USERNAME, "demo@example.org", result.password)
    return result
