"""What every Verbatim admin page does with odd input, so that it is a form error and never a 500.

- A NUL byte in a search box finds nothing (NulSafeSearch: PostgreSQL refuses it in a query).
- A link to another row (a foreign key, a many-to-many) given something that is not an id of it
  (`speaker=abc`, or a number past a bigint, which SQLite refuses to look up with OverflowError) is
  "Select a valid choice.", as an unknown id is, and an autocomplete shows it as no selection
  instead of looking it up again when the form comes back.
"""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError

from archive.admin_filters import NulSafeSearch
from archive.db import MAX_ID


def is_id(target_field, value) -> bool:
    """Whether `value` can be an id of `target_field`: of its type and, for a number, no larger than
    a bigint (SQLite raises OverflowError when asked for a larger one: a 500)."""
    try:
        number = target_field.to_python(value)
    except ValidationError:
        return False
    return not isinstance(number, int) or -MAX_ID - 1 <= number <= MAX_ID


class IdsInRange:
    """For a form field choosing rows by id: a number no row can have is "Select a valid choice.",
    as any other unknown id, instead of a query the database refuses."""

    def _key_field(self):
        """The column the choice is looked up by: the primary key, or the field's `to_field_name`."""
        opts = self.queryset.model._meta
        return opts.get_field(self.to_field_name) if self.to_field_name else opts.pk

    def to_python(self, value):  # ModelChoiceField
        if value not in self.empty_values and not is_id(self._key_field(), value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def _check_values(self, value):  # ModelMultipleChoiceField
        for item in value:
            if not is_id(self._key_field(), item):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super()._check_values(value)


class BoundedModelChoiceField(IdsInRange, forms.ModelChoiceField):
    pass


class BoundedModelMultipleChoiceField(IdsInRange, forms.ModelMultipleChoiceField):
    pass


class KnownChoicesOnly:
    """For an autocomplete widget: a submitted value that is not an id (speaker=abc, or a number past
    a bigint) is shown as no selection, beside the field's "Select a valid choice." error; Django's
    widget would look it up as an id while showing the form again, and fail (a 500)."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        known = [item for item in value if is_id(target, item)]
        return super().optgroups(name, known, attr)


class KnownChoicesAutocompleteSelect(KnownChoicesOnly, AutocompleteSelect):
    pass


class KnownChoicesAutocompleteSelectMultiple(KnownChoicesOnly, AutocompleteSelectMultiple):
    pass


class EditorsInput(NulSafeSearch):
    """For every Verbatim ModelAdmin and inline: the odd-input rules above."""

    def autocomplete_widget(self, db_field, request, **kwargs):
        """The widget for an autocomplete field, or None for any other field."""
        if "widget" in kwargs or db_field.name not in self.get_autocomplete_fields(request):
            return None
        widget = (
            KnownChoicesAutocompleteSelectMultiple
            if db_field.many_to_many
            else KnownChoicesAutocompleteSelect
        )
        return widget(db_field, self.admin_site, using=kwargs.get("using"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if widget := self.autocomplete_widget(db_field, request, **kwargs):
            kwargs["widget"] = widget
        kwargs.setdefault("form_class", BoundedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if widget := self.autocomplete_widget(db_field, request, **kwargs):
            kwargs["widget"] = widget
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
