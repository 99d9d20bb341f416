"""Where the evidence archive meets the quotes: a new preserved copy re-checks its citations.

`archive.services` sends `snapshot_added` whenever a source gains a successful copy (fetched by
`snapshot_sources`, the admin's "Fetch a preserved copy now", or given by an editor); the
quotes app connects `verify_after_new_snapshot` to it in `QuotesConfig.ready()`. The archive
never imports quotes, so this is the only way the news travels upward.
"""

from archive.services import snapshot_added
from quotes.verification import verify_source_citations


def verify_after_new_snapshot(sender, snapshot, **kwargs) -> None:
    verify_source_citations(source=snapshot.source)


def connect() -> None:
    snapshot_added.connect(verify_after_new_snapshot, dispatch_uid="quotes.verify_after_new_snapshot")
