from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Evidence archive"

    def ready(self):
        from archive import hosts  # noqa: F401  (registers `domain__subdomain_of`)
