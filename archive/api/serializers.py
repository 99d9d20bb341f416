"""Sources and their preserved copies as the API shows them."""

from rest_framework import serializers

from archive.models import Snapshot, Source


class SnapshotSerializer(serializers.ModelSerializer):
    """One attempt to preserve a source: when, how, and what came back (or why it failed)."""

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "fetched_at",
            "method",
            "http_status",
            "sha256",
            "size",
            "failure_reason",
            "wayback_url",
        ]
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer):
    """A document that records quotes. `domain` is derived from the URL."""

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "domain",
            "title",
            "publisher",
            "author",
            "published_on",
            "language",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["domain", "created_at", "updated_at"]

    def save(self, **kwargs):
        # Through full_clean: a URL already in the archive (after normalization) is a 400.
        instance = self.instance or Source()
        for name, value in self.validated_data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        self.instance = instance
        return instance


class SourceDetailSerializer(SourceSerializer):
    """A source with every preserved copy, newest first."""

    snapshots = SnapshotSerializer(many=True, read_only=True)

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "snapshots"]
