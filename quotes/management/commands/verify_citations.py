from django.core.management.base import BaseCommand

from quotes.models import Quote
from quotes.verification import verify_quotes


class Command(BaseCommand):
    help = "Look for every cited quote in its sources' latest preserved copies and update verification."

    def add_arguments(self, parser):
        parser.add_argument("--quote", type=int, action="append", help="Only this quote id (repeatable).")

    def handle(self, *args, **options):
        quotes = Quote.objects.filter(citations__isnull=False).distinct().order_by("id")
        if options["quote"]:
            quotes = quotes.filter(pk__in=options["quote"])
        counts = verify_quotes(quotes=quotes.iterator())
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no cited quotes"
        self.stdout.write(f"Verified citations: {summary}.")
