from django.core.management.base import BaseCommand

from quotes.demo import DEMO_USERNAME, load_demo


class Command(BaseCommand):
    help = "Load the demo archive (three quotes from a January 2026 article); safe to run again."

    def handle(self, *args, **options):
        result = load_demo()
        created = ", ".join(f"{n} {kind}" for kind, n in result.created.items() if n) or "nothing new"
        self.stdout.write(f"Demo archive loaded: {created}.")
        if result.password:
            self.stdout.write(
                self.style.WARNING(
                    f"Demo superuser created: username '{DEMO_USERNAME}', password '{result.password}' "
                    "(shown once; change it with 'manage.py changepassword demo')."
                )
            )
