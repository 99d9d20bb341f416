from django import forms
from django.contrib import admin, messages
from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from archive.admin_filters import values_filter
from archive.admin_input import BoundedModelMultipleChoiceField, EditorsInput
from quotes.dates import format_said_on
from quotes.models import ApiToken, Citation, Quote, Speaker, Tag, Venue
from quotes.permissions import can_publish, retraction_error, status_change_error
from quotes.selectors import editor_search
from quotes.services import set_quotes_status, set_quotes_verification, stamp_quote_for_save
from quotes.verification import verify_quote, verify_quotes


@admin.display(description="Found passage")
def found_passage(citation: Citation) -> str:
    """The source's words around the match, the matched passage highlighted (all escaped)."""
    if not citation or not citation.selector_exact:
        return "—"
    return format_html(
        '<span class="found-passage">…{}<mark>{}</mark>{}…</span>',
        citation.selector_prefix,
        citation.selector_exact,
        citation.selector_suffix,
    )


@admin.register(Speaker)
class SpeakerAdmin(EditorsInput, SimpleHistoryAdmin):
    list_display = ["name", "slug", "wikidata_qid", "description"]
    search_fields = ["name", "aliases", "slug", "wikidata_qid"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Venue)
class VenueAdmin(EditorsInput, SimpleHistoryAdmin):
    list_display = ["name", "kind", "location", "held_on"]
    list_filter = ["kind"]
    search_fields = ["name", "location"]
    date_hierarchy = "held_on"


@admin.register(Tag)
class TagAdmin(EditorsInput, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class CitationInline(EditorsInput, admin.StackedInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["source"]
    fields = [
        ("source", "role"),
        "locator",
        "note",
        ("match", "checked_at"),
        "found_passage",
    ]
    # Filled in by automatic verification (quotes/verification.py), from the preserved copy.
    readonly_fields = ["match", "checked_at", "found_passage"]

    found_passage = staticmethod(found_passage)


class QuoteAdminForm(forms.ModelForm):
    change_reason = forms.CharField(
        required=False,
        max_length=255,
        help_text="Why this change was made. Shown to readers as a correction when the quote is published.",
    )
    # The version the editor opened; a save is refused when someone else saved in between.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Quote
        fields = "__all__"  # the admin fieldsets choose what is shown

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "text" in self.fields:
            self.fields["text"].strip = False  # verbatim: kept exactly as typed (blank text is refused)
        if self.instance.pk:
            # From the database, not the instance: reverting from history edits an old version.
            current = Quote.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            self.fields["opened_version"].initial = current
        #: The quote as it is in the database (locked), read by clean().
        self.current: dict | None = None
        #: The editor changed the verification without ticking "overridden": clean() ticked it.
        self.override_ticked = False

    def _lock_current(self) -> dict | None:
        """The quote's row as it is now, locked (the admin's save runs in a transaction, so the lock
        holds until this save is written). The instance may be an old version: a history revert."""
        if not self.instance.pk:
            return None
        return (
            Quote.objects.select_for_update(of=("self",))
            .filter(pk=self.instance.pk)
            .values("version", "status", "first_published_at", "updated_at", "updated_by__username")
            .first()
        )

    def _edit_conflict(self) -> str | None:
        """A message when the quote changed since this editor opened it."""
        opened = self.cleaned_data.get("opened_version")
        if self.current is None or opened is None or self.current["version"] == opened:
            return None
        who = self.current["updated_by__username"] or "someone else"
        when = timezone.localtime(self.current["updated_at"]).strftime("%H:%M %Z")
        return (
            f"This quote was changed by {who} at {when} after you opened it. Your changes were not saved: "
            "reload the page to see the current version, then make your changes again."
        )

    def clean(self):
        cleaned = super().clean()
        self.current = self._lock_current()
        conflict = self._edit_conflict()
        if conflict:
            raise ValidationError(conflict, code="edit_conflict")
        if self.current is not None and cleaned.get("opened_version") is None:
            # Not the admin's own page (it always sends the version): nothing to check a conflict
            # against, so nothing is saved. The other rules are still checked, to say all at once.
            self.add_error(None, VERSION_NEEDED)
        user = getattr(self, "current_user", None)
        # The status in the database: a revert's form starts from the old version's status.
        old_status = self.current["status"] if self.current else None
        new_status = cleaned.get("status")
        if new_status:
            first_published_at = self.current["first_published_at"] if self.current else None
            reason = status_change_error(
                user, old_status=old_status, new_status=new_status
            ) or retraction_error(
                old_status=old_status, new_status=new_status, first_published_at=first_published_at
            )
            if reason:
                self.add_error("status", reason)
            elif (
                new_status == Quote.Status.RETRACTED
                and old_status != Quote.Status.RETRACTED
                and not (cleaned.get("status_note") or "").strip()
            ):
                self.add_error("status_note", RETRACTION_NOTE_NEEDED)
        # Choosing a verdict is setting it by hand: without the override, the automatic check run
        # on save would silently put its own back. Unticking the box on purpose hands it back.
        if "verification" in self.changed_data and "verification_overridden" not in self.changed_data:
            cleaned["verification_overridden"] = True
            self.override_ticked = True
        return cleaned


VERSION_NEEDED = (
    "This form did not say which version of the quote you opened, so your changes were not saved: reload the "
    "page, then make your changes again."
)
RETRACTION_NOTE_NEEDED = (
    "Say why the quote is retracted: the note is shown with it on its page and on every card embedding it."
)


class QuoteActionForm(ActionForm):
    """The quote list's action bar, with a note: why quotes are retracted (required there), or why
    they are marked disputed."""

    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Note",
        help_text="Why: shown with retracted quotes, kept in history.",
    )


class QuoteAdminChecks(ModelAdminChecks):
    def _check_field_spec_item(self, obj, field_name, label):
        # `about` has a through model (QuoteAbout) only for its PROTECT: edited as a plain
        # many-to-many field (QuoteAdmin.formfield_for_manytomany), which the check refuses.
        if field_name == "about":
            return []
        return super()._check_field_spec_item(obj, field_name, label)


@admin.register(Quote)
class QuoteAdmin(EditorsInput, SimpleHistoryAdmin):
    form = QuoteAdminForm
    checks_class = QuoteAdminChecks
    list_display = ["excerpt", "speaker", "said", "status", "verification", "language"]
    list_filter = [
        "status",
        "verification",
        "venue__kind",
        values_filter(Quote, "language"),
        "date_precision",
        "said_on",
    ]
    list_select_related = ["speaker"]
    # Gives the list its search box and the quote autocompletes their source; the searching itself
    # is get_search_results (editor_search: the same fields, through indexes).
    search_fields = ["text", "speaker__name", "speaker__aliases", "citations__source__url"]
    search_help_text = (
        'Each word or "quoted phrase" must be in the quote (whole words, as in the public search), '
        "in its speaker's name or aliases, or be the URL, publisher or host of a source it cites."
    )
    show_full_result_count = False  # a second count of every quote on each search
    date_hierarchy = "said_on"
    autocomplete_fields = ["speaker", "venue", "about", "tags", "translation_of", "correct_attribution"]
    inlines = [CitationInline]
    readonly_fields = ["created_at", "updated_at", "created_by", "updated_by", "first_published_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "text",
                    "speaker",
                    "speaker_role",
                    ("said_on", "date_precision"),
                    "venue",
                    "language",
                ]
            },
        ),
        ("Context", {"fields": ["context", "about", "tags", "translation_of"]}),
        ("Editorial", {"fields": ["status", "status_note", "change_reason", "opened_version"]}),
        (
            "Verification",
            {
                "fields": [
                    "verification",
                    "verification_note",
                    "verification_overridden",
                    "correct_attribution",
                ]
            },
        ),
        (
            "Provenance",
            {
                "classes": ["collapse"],
                "fields": [
                    "attribution_probability",
                    "external_id",
                    "created_at",
                    "created_by",
                    "updated_at",
                    "updated_by",
                    "first_published_at",
                ],
            },
        ),
    ]
    actions = ["publish", "send_to_review", "mark_disputed", "retract", "verify_now"]
    action_form = QuoteActionForm

    def get_search_results(self, request, queryset, search_term):
        return editor_search(queryset, search_term), False  # no joins: no duplicates

    @admin.display(description="Quote", ordering="text")
    def excerpt(self, obj: Quote) -> str:
        return obj.text if len(obj.text) <= 90 else obj.text[:87] + "…"

    @admin.display(description="Said", ordering="said_on")
    def said(self, obj: Quote) -> str:
        return format_said_on(obj.said_on, obj.date_precision)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.current_user = request.user
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name != "about":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        # Django's admin leaves out a many-to-many field with its own through model; QuoteAbout has
        # nothing to fill in but the two ids, so the plain field saves it as before.
        kwargs["widget"] = self.autocomplete_widget(db_field, request, **kwargs)
        queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is not None:
            kwargs.setdefault("queryset", queryset)
        return db_field.formfield(form_class=BoundedModelMultipleChoiceField, **kwargs)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert saves as the change form does: in a transaction, which the form's row lock needs.
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().history_form_view(request, object_id, version_id, extra_context)
            if request.method == "POST" and response.status_code == 302:
                # Saved (simple-history's view skips save_related): an old version's words and
                # verdict are back, so look for them in the preserved copies again, as after any save.
                verify_quote(quote=self.model.objects.get(pk=object_id))
            return response

    def save_model(self, request, obj, form, change):
        if form.current:
            # A revert saves an old version's record: it becomes the version after the current
            # one, and the quote keeps the date it was first published.
            obj.version = form.current["version"]
            obj.first_published_at = form.current["first_published_at"]
        stamp_quote_for_save(
            quote=obj, user=request.user, change_reason=form.cleaned_data.get("change_reason", "")
        )
        super().save_model(request, obj, form, change)
        if form.override_ticked:
            self.message_user(
                request,
                "The verification was set by hand, so “verification overridden” was ticked: automatic "
                "checks will leave it alone until the box is unticked.",
                messages.INFO,
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The quote or its citations changed: look for it again in the preserved copies.
        verify_quote(quote=form.instance)

    @admin.action(description="Verify selected quotes against preserved copies", permissions=["change"])
    def verify_now(self, request, queryset):
        counts = verify_quotes(quotes=queryset)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to verify"
        self.message_user(request, f"Verification: {summary}.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_publish(request.user):
            actions.pop("publish", None)
            actions.pop("retract", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Quotes are retracted, not deleted; a hard delete is a superuser's decision.
        return request.user.is_superuser

    @staticmethod
    def _action_note(request) -> str:
        return request.POST.get("note", "").strip()[:1000]

    def _set_status(self, request, queryset, status: str, label: str, note: str = "") -> None:
        try:
            changed = set_quotes_status(quotes=queryset, user=request.user, status=status, note=note)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        except ValidationError as exc:  # e.g. retracting a quote never published: nothing changed
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"{changed} quote(s) {label}.", messages.SUCCESS)

    @admin.action(description="Publish selected quotes", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Quote.Status.PUBLISHED, "published")

    @admin.action(description="Send selected quotes to review", permissions=["change"])
    def send_to_review(self, request, queryset):
        self._set_status(request, queryset, Quote.Status.IN_REVIEW, "sent to review")

    @admin.action(description="Retract selected quotes", permissions=["change"])
    def retract(self, request, queryset):
        note = self._action_note(request)
        if not note:
            self.message_user(request, f"Nothing retracted. {RETRACTION_NOTE_NEEDED}", messages.ERROR)
            return
        self._set_status(request, queryset, Quote.Status.RETRACTED, "retracted", note=note)

    @admin.action(description="Mark selected quotes as disputed", permissions=["change"])
    def mark_disputed(self, request, queryset):
        try:
            changed = set_quotes_verification(
                quotes=queryset,
                user=request.user,
                verification=Quote.Verification.DISPUTED,
                note=self._action_note(request) or f"Marked disputed by {request.user.get_username()}",
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"{changed} quote(s) marked disputed.", messages.SUCCESS)


@admin.register(Citation)
class CitationAdmin(EditorsInput, SimpleHistoryAdmin):
    list_display = ["quote", "source", "role", "match", "checked_at"]
    list_filter = ["role", "match"]
    search_fields = ["quote__text", "source__url", "source__publisher"]
    autocomplete_fields = ["quote", "source"]
    list_select_related = ["quote__speaker", "source"]
    readonly_fields = [
        "match",
        "checked_at",
        "checked_snapshot",
        "found_passage",
        "selector_prefix",
        "selector_exact",
        "selector_suffix",
    ]

    found_passage = staticmethod(found_passage)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        verify_quote(quote=obj.quote)


@admin.register(ApiToken)
class ApiTokenAdmin(EditorsInput, admin.ModelAdmin):
    """Tokens for editors' tools. The key is shown once, when the token is created."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "name", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, key = ApiToken.issue(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash = token.pk, token.prefix, token.key_hash
        obj.created_at = token.created_at
        messages.warning(
            request,
            f"The new token is {key} — copy it now: only its hash is kept and it will not be shown again.",
        )
