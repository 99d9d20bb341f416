from django.core.management.base import BaseCommand, CommandError

from quotes.backups import BackupError, backup_database


class Command(BaseCommand):
    help = "Write a complete backup of the database (pg_dump custom format, or a SQLite copy) to OUT."

    def add_arguments(self, parser):
        parser.add_argument("out", help="file to write, e.g. var/backups/verbatim-2026-11-24.dump")

    def handle(self, *args, **options):
        try:
            path = backup_database(out=options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path} ({path.stat().st_size} bytes)."))
