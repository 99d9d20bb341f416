import sys

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from quotes.exporting.formats import export_chunks
from quotes.exporting.selection import export_quotes_queryset
from quotes.exporting.sqlite_dump import write_sqlite_archive
from quotes.models import Quote

FILTERS = (
    "speaker", "speaker_qid", "q", "said_after", "said_before", "about", "venue", "venue_kind",
    "source_domain", "publisher", "tag", "language", "verification", "has_primary_source",
)  # fmt: skip


class Command(BaseCommand):
    help = "Export quotes as CSV, NDJSON (re-importable with import_quotes) or a SQLite archive file."

    def add_arguments(self, parser):
        parser.add_argument("out", help="Output file; - is standard output (csv and ndjson).")
        parser.add_argument("--format", choices=["csv", "ndjson", "sqlite"], required=True)
        parser.add_argument(
            "--status",
            choices=["all", *Quote.Status.values],
            help="csv/ndjson: default all (an editor's full export); sqlite: always the published archive.",
        )
        for name in FILTERS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, help="As the API's quote filter.")

    def handle(self, *args, **options):
        fmt, out = options["format"], options["out"]
        params = {name: options[name] for name in FILTERS if options[name] is not None}
        status = options["status"] or ("published" if fmt == "sqlite" else "all")
        if fmt == "sqlite" and status != "published":
            raise CommandError("The SQLite archive holds published quotes only.")
        try:
            queryset = export_quotes_queryset(params, all_statuses=True)
        except ValidationError as error:
            detail = error.detail if isinstance(error.detail, dict) else {"filter": error.detail}
            problems = "; ".join(f"--{name.replace('_', '-')}: {' '.join(map(str, messages))}"
                                 for name, messages in detail.items())  # fmt: skip
            raise CommandError(f"Invalid filter: {problems}") from None
        if status != "all":
            queryset = queryset.filter(status=status)
        if fmt == "sqlite":
            if out == "-":
                raise CommandError("A SQLite archive needs a file name, not -.")
            count = write_sqlite_archive(queryset, out)
            self.stderr.write(f"Wrote {count:,} quotes to {out}")
            return
        chunks = export_chunks(queryset, fmt)
        if out == "-":
            stream = sys.stdout.buffer
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            return
        with open(out, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
