from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_search_structures(sender, using, **kwargs):
    # SQLite drops a table's triggers when a migration rebuilds it; put them back.
    from quotes.search import install_search_structures

    install_search_structures(using)


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = "Quotes"

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_structures, sender=self)
        from quotes import provenance

        provenance.connect()  # re-check citations when a source gets a new copy
