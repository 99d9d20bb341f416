class SearchBackend:
    """What every vendor's search offers. Subclasses implement the SQL."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def install(self) -> None:
        """Create the index structures if they are missing (safe to run again)."""

    def rebuild(self) -> None:
        """Re-index every quote (after a bulk load that bypassed the usual path)."""
