from django.core.management.base import BaseCommand, CommandError

from archive.models import Source
from archive.services import snapshot_source, stale_sources


class Command(BaseCommand):
    help = "Fetch preserved copies of sources (all, those not copied within N days, or one by id)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-days", type=int, default=None, help="Only sources without a good copy in N days."
        )
        parser.add_argument("--source", type=int, default=None, help="Only the source with this id.")

    def handle(self, *args, **options):
        if options["source"] is not None and not Source.objects.filter(pk=options["source"]).exists():
            raise CommandError(f"No source with id {options['source']}.")
        counts = {"new": 0, "unchanged": 0, "failed": 0}
        for source in stale_sources(stale_days=options["stale_days"], source_id=options["source"]):
            snapshot = snapshot_source(source=source)
            if not snapshot.succeeded:
                counts["failed"] += 1
                self.stdout.write(self.style.WARNING(f"#{source.pk} {source.url}: {snapshot.failure_reason}"))
            elif snapshot.unchanged:
                counts["unchanged"] += 1
            else:
                counts["new"] += 1
                self.stdout.write(f"#{source.pk} {source.url}: new copy {snapshot.sha256[:12]}")
        self.stdout.write(
            f"Snapshots: {counts['new']} new, {counts['unchanged']} unchanged, {counts['failed']} failed."
        )
