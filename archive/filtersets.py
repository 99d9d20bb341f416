"""Filters for the sources API. Every value is validated: a bad one is a 400 naming the field."""

import re

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.http import QueryDict

from archive.db import MAX_ID
from archive.models import Source

DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$", re.IGNORECASE)
domain_validator = RegexValidator(DOMAIN, message="Enter a host name such as nytimes.com.")


def clean_domain(value: str) -> str:
    host = value.strip().lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


#: The largest id a row can have (a bigint). A larger number is refused rather than sent to the
#: database: SQLite raises OverflowError on it, PostgreSQL compares it quietly.


class IntegerFilter(django_filters.Filter):
    """An exact id filter ("venue=7"); "7.5", "abc", 0 or a number beyond a bigint is refused
    (a 400 naming the parameter), as the citations' quote and source filters refuse them."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault(
            "error_messages",
            dict.fromkeys(("min_value", "max_value"), f"Enter an id from 1 to {MAX_ID}."),
        )
        super().__init__(*args, **kwargs)


class BooleanChoiceFilter(django_filters.ChoiceFilter):
    """true/false only: django-filter's BooleanFilter quietly ignores a value such as "maybe"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)


class SharedFields(dict):
    """A form's fields, handed to each new form as they are: Django deep-copies every field (and
    every choice list) for each form because rendering may change a widget. Filter forms are only
    ever validated, never rendered, and validation changes no field."""

    def __deepcopy__(self, memo):
        return dict(self)


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet whose text filters refuse NUL bytes (Django's CharField already does), built
    once per class rather than once per request.

    django-filter deep-copies every filter and makes a new form class for each request: a
    third of a quote list's time. Here the filters and the form class are made once and shared
    (each request still gets its own form, so validation state is never shared). Filters then
    belong to a prototype instance: filter methods must not read per-request state from `self`.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters, self._form_class = self._shared_parts()

    @classmethod
    def _shared_parts(cls) -> tuple[dict, type]:
        parts = cls.__dict__.get("_built_parts")
        if parts is None:
            prototype = object.__new__(cls)
            django_filters.FilterSet.__init__(prototype)  # copies the filters, once
            form_class = django_filters.FilterSet.get_form_class(prototype)
            form_class.base_fields = SharedFields(form_class.base_fields)
            parts = (prototype.filters, form_class)
            cls._built_parts = parts
        return parts

    def get_form_class(self):
        return self._form_class


class SourceFilterSet(StrictFilterSet):
    """Sources by host (subdomains included), publisher, or words in the title."""

    domain = django_filters.CharFilter(
        method="filter_domain", validators=[domain_validator], help_text="Host, subdomains included."
    )
    publisher = django_filters.CharFilter(field_name="publisher", lookup_expr="iexact")
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, help_text="Words in the title or URL (case-insensitive)."
    )
    language = django_filters.CharFilter(
        field_name="language", lookup_expr="iexact", help_text="BCP 47 tag, e.g. en (any case)."
    )

    class Meta:
        model = Source
        fields = ["domain", "publisher", "q", "language"]

    def filter_domain(self, queryset, name, value):
        host = clean_domain(value)
        return queryset.filter(Q(domain=host) | Q(domain__subdomain_of=host))  # archive/hosts.py

    def filter_q(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(title__icontains=value) | queryset.filter(url__icontains=value)
