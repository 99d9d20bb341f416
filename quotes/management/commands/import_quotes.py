import os
import shutil
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quotes.importing import import_quotes
from quotes.importing.bulk import CONFLICT_RETRIES, BulkConflict
from quotes.importing.readers import FORMATS, BadHeader, UnknownFormat
from quotes.importing.service import DEFAULT_BATCH_SIZE
from quotes.importing.uniques import DuplicatesNeedAPerson


class Command(BaseCommand):
    help = (
        "Import quotes from a Quotebank, CSV, NDJSON or JSON file (.gz/.bz2 read transparently; - is stdin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the file, or - for standard input.")
        parser.add_argument("--format", choices=FORMATS, help="Guessed from the file name when not given.")
        parser.add_argument(
            "--status",
            choices=["draft", "published"],
            help="Status of the imported quotes (default: the record's own status, else draft).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count; write nothing.")
        parser.add_argument(
            "--reject-file",
            help="Where rejected rows go (NDJSON, or CSV if it ends in .csv). Default: FILE.rejects.ndjson.",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--search-index",
            choices=["auto", "keep", "rebuild"],
            default="auto",
            help=(
                "rebuild: drop the search and other indexes (PostgreSQL: the foreign keys and the quote and "
                "source unique constraints too, duplicates folded on return) during the import and build "
                "them once at the end; keep: update them row by row; auto (default): rebuild when the file "
                "holds 20,000 records or more and at least as many as the archive."
            ),
        )

    def handle(self, *args, **options):
        path = options["file"]
        if path != "-" and not Path(path).is_file():
            raise CommandError(f"No such file: {path}")
        reject_path = options["reject_file"] or (
            "stdin.rejects.ndjson" if path == "-" else f"{path}.rejects.ndjson"
        )
        problem = _unwritable(reject_path)
        if problem:
            raise CommandError(f"cannot write the reject file {reject_path}: {problem} (see --reject-file)")
        try:
            summary = import_quotes(
                path=path,
                fmt=options["format"],
                status=options["status"],
                dry_run=options["dry_run"],
                reject_path=reject_path,
                batch_size=options["batch_size"],
                search_index=options["search_index"],
                progress=self._progress_reporter(path),
            )
        except (UnknownFormat, BadHeader, DuplicatesNeedAPerson) as error:
            raise CommandError(str(error)) from None
        except BulkConflict as error:  # other writers kept clashing with a batch, or held a lock
            raise CommandError(
                f"the import stopped: a batch could not be written after {CONFLICT_RETRIES} attempts "
                f"({error}). Batches before it are committed; run the import again to finish the job."
            ) from None
        self._close_bar()
        self.stdout.write(summary.line())
        self._write_timings(summary, options["verbosity"])
        if summary.rejected:
            for reason, count in sorted(summary.reasons.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {count:,} × {reason}")
            raise CommandError(f"{summary.rejected:,} record(s) rejected: see {summary.reject_path}")

    def _write_timings(self, summary, verbosity):
        """-v 2: the seconds of each phase; -v 3: also of each step of the index build, with the
        build connection that ran it (#0: the import's own) and when it started."""
        if verbosity < 2:
            return
        for phase, seconds in summary.phases.items():
            self.stdout.write(f"  {seconds:7.1f} s  {phase}")
        if verbosity < 3 or not summary.build_steps:
            return
        self.stdout.write("  index build, step by step (connection, start, seconds):")
        for step in sorted(summary.build_steps, key=lambda step: step.started):
            when = f"#{step.connection} {step.started:7.1f} s {step.seconds:7.1f} s"
            self.stdout.write(f"    {when}  {step.name}")

    def _progress_reporter(self, path):
        """A tqdm bar (bytes read, so ETA is real) on a terminal; a quiet line every 10 s otherwise."""
        self._bar = None
        if self.stdout.isatty() and path != "-":
            from tqdm import tqdm

            self._bar = tqdm(
                total=Path(path).stat().st_size,
                unit="B",
                unit_scale=True,
                file=sys.stderr,
                desc="import",
                # A terminal that reports no size (some ptys) would otherwise hide the bar.
                ncols=shutil.get_terminal_size().columns,
                nrows=shutil.get_terminal_size().lines,
            )

            def update(summary, position):
                self._bar.update(position - self._bar.n)
                elapsed = max(self._bar.format_dict["elapsed"], 1e-6)
                self._bar.set_postfix_str(
                    f"{summary.read:,} records, {summary.read / elapsed:,.0f}/s", refresh=False
                )

            return update
        last = [time.monotonic()]

        def quiet(summary, position):
            now = time.monotonic()
            if now - last[0] >= 10:
                last[0] = now
                self.stderr.write(f"… {summary.read:,} records read, {summary.created:,} created")

        return quiet

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()


def _unwritable(path: str) -> str | None:
    """Why a reject file could not be written there, or None. Checked before anything is read: a
    reject found later would otherwise stop the import halfway, its rows neither imported nor kept."""
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        return "it is a directory"
    if not folder.is_dir():
        return f"no directory {folder}"
    if not os.access(target if target.exists() else folder, os.W_OK):
        return "permission denied"
    return None
