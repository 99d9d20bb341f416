"""Sources and their preserved copies as the API shows them."""

from rest_framework import serializers

from archive.models import Snapshot, Source
from archive.saving import save_checked


class FullCleanModelSerializer(serializers.ModelSerializer):
    """Saves through the model's full_clean, so the API enforces the same rules as the admin
    (a failed model rule is a 400 naming the field, never a database error, even when another
    request stores the same unique key at the same moment: archive/saving.py)."""

    def save(self, **kwargs):
        instance = self.instance or self.Meta.model()
        for name, value in {**self.validated_data, **kwargs}.items():
            setattr(instance, name, value)
        instance.full_clean()
        save_checked(instance)
        self.instance = instance
        return instance


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


class SourceSerializer(FullCleanModelSerializer):
    """A document that records quotes. `domain` is derived from the URL; a URL already in the
    archive (after normalization) is refused by full_clean with a 400."""

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


class SourceDetailSerializer(SourceSerializer):
    """A source with every preserved copy, newest first."""

    snapshots = SnapshotSerializer(many=True, read_only=True)

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "snapshots"]
