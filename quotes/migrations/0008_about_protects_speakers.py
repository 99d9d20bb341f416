"""Quote.about gets a through model (QuoteAbout) so that a speaker quotes are about cannot be
deleted (PROTECT); attribution_probability is validated to 0-1; a duplicate quote is reported
with its own code. No SQL: the table, its columns and constraints, and the history tables stay as
they are (QuoteAbout uses the table Django made for the plain many-to-many field, and the history
model keeps its name through Quote.history's custom_model_name)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

HISTORY_LINK = {
    "blank": True,
    "db_constraint": False,
    "null": True,
    "on_delete": django.db.models.deletion.DO_NOTHING,
    "related_name": "+",
}
PROBABILITY = models.FloatField(
    blank=True,
    help_text="Probability of the attribution given by an imported corpus, from 0 to 1.",
    null=True,
    validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(1)],
)


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0007_list_indexes_without_status"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="QuoteAbout",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "quote",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="quotes.quote",
                            ),
                        ),
                        (
                            "speaker",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="quotes.speaker",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "speaker a quote is about",
                        "verbose_name_plural": "speakers quotes are about",
                        "db_table": "quotes_quote_about",
                        "unique_together": {("quote", "speaker")},
                    },
                ),
                migrations.AlterField(
                    model_name="quote",
                    name="about",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Who the quote is about.",
                        related_name="quotes_about",
                        through="quotes.QuoteAbout",
                        to="quotes.speaker",
                    ),
                ),
                # The history copies of the links lose the empty db_tablespace the implicit
                # model's columns carried: nothing in the database.
                migrations.AlterField(
                    model_name="historicalquote_about",
                    name="quote",
                    field=models.ForeignKey(to="quotes.quote", **HISTORY_LINK),
                ),
                migrations.AlterField(
                    model_name="historicalquote_about",
                    name="speaker",
                    field=models.ForeignKey(to="quotes.speaker", **HISTORY_LINK),
                ),
            ],
            database_operations=[],
        ),
        # Validators and messages only: no SQL.
        migrations.AlterField(model_name="quote", name="attribution_probability", field=PROBABILITY),
        migrations.AlterField(
            model_name="historicalquote", name="attribution_probability", field=PROBABILITY
        ),
        migrations.AlterConstraint(
            model_name="quote",
            name="unique_normalized_quote_per_speaker",
            constraint=models.UniqueConstraint(
                fields=("speaker", "text_hash"),
                name="unique_normalized_quote_per_speaker",
                violation_error_code="duplicate_quote",
                violation_error_message=(
                    "This speaker already has this quote (the same words after normalization)."
                ),
            ),
        ),
    ]
