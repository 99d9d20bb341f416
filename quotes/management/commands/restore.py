from django.core.management.base import BaseCommand, CommandError

from quotes.backups import BackupError, restore_database


class Command(BaseCommand):
    help = "Restore a backup made by 'manage.py backup' into the (empty) database DATABASE_URL names."

    def add_arguments(self, parser):
        parser.add_argument("source", help="backup file written by 'manage.py backup'")
        parser.add_argument(
            "--force", action="store_true", help="replace the contents of a database that is not empty"
        )

    def handle(self, *args, **options):
        try:
            restore_database(source=options["source"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {options['source']}."))
