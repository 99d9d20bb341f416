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
        self.connect_card_state_signals()

    def connect_card_state_signals(self) -> None:
        """Embeds reuse a quote's state for a few seconds: any save of what a card shows ends that here."""
        from django.db.models.signals import post_delete, post_save

        from archive.models import Source
        from quotes.models import Citation, Quote, Speaker, Venue
        from quotes.web.queries import forget_quote_states

        for model in (Quote, Speaker, Venue, Citation, Source):
            uid = f"card-state-{model.__name__}"
            post_save.connect(forget_quote_states, sender=model, dispatch_uid=uid)
            post_delete.connect(forget_quote_states, sender=model, dispatch_uid=f"{uid}-deleted")
