"""Simultaneous writers: nobody's change is silently lost, nothing is created twice.

On PostgreSQL, with real concurrency: requests race from threads and from two gunicorn worker
processes against one database. (SQLite serialises writers; Django's in-memory SQLite test
database cannot hold one connection's write open while another reads.)
"""

import json
import re
import threading

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from archive.api.errors import api_exception_handler
from archive.models import Source
from quotes.models import ApiToken, Quote
from tests.factories import make_quote, make_source, make_speaker
from tests.live_gunicorn import gunicorn, request, shared_database_url

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def run_together(*calls) -> list:
    """Start every call at the same moment, each in its own thread (and database connection)."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_simultaneous_admin_saves_of_one_quote_one_wins_one_is_told(tmp_path):
    # Transactional tests flush the editorial groups; superusers need none.
    users = [User.objects.create_superuser(f"desk-{n}", f"d{n}@example.org", "pw") for n in (1, 2)]
    quote = make_quote("We will build the bridge.", status="draft")
    url = reverse("admin:quotes_quote_change", args=[quote.pk])
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        page = client.get(url).content.decode()
        opened = re.search(r'name="opened_version" value="(\d+)"', page).group(1)
        clients.append((client, opened))
    form = {
        "text": quote.text,
        "speaker": quote.speaker_id,
        "said_on": quote.said_on.isoformat(),
        "date_precision": quote.date_precision,
        "language": quote.language,
        "status": quote.status,
        "verification": quote.verification,
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    responses = run_together(
        *[
            lambda c=c, v=v, n=n: c.post(url, {**form, "opened_version": v, "context": f"Desk {n}"})
            for n, (c, v) in enumerate(clients, 1)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert "after you opened it" in loser.content.decode()
    quote.refresh_from_db()
    assert quote.version == 2 and quote.history.count() == 2


def superuser_token() -> str:
    user = User.objects.create_superuser("wire-desk", "w@example.org", "pw")
    return ApiToken.issue(user=user, name="concurrency")[1]


def test_simultaneous_puts_with_one_etag_across_processes_give_one_200_and_one_412(tmp_path):
    speaker = make_speaker("Ana Pérez", slug="ana-perez")
    key = superuser_token()
    auth = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    with gunicorn(shared_database_url(tmp_path)) as (port, _log):
        for round_ in range(3):
            quote = make_quote(f"Draft words, round {round_}.", speaker, status="draft")
            path = f"/api/v1/quotes/{quote.pk}/"
            etag = request(port, "GET", path, headers=auth)[1]["ETag"]

            def put(context: str, path=path, etag=etag, text=quote.text) -> int:
                body = json.dumps(
                    {"text": text, "speaker": "ana-perez", "said_on": "2025-03-02", "context": context}
                ).encode()
                return request(port, "PUT", path, body=body, headers={**auth, "If-Match": etag})[0]

            statuses = run_together(lambda: put("first"), lambda: put("second"))
            assert sorted(statuses) == [200, 412], f"round {round_}: {statuses}"
            quote.refresh_from_db()
            assert quote.version == 2


def test_simultaneous_posts_with_one_idempotency_key_across_processes_create_one_quote(tmp_path):
    make_speaker("Ana Pérez", slug="ana-perez")
    key = superuser_token()
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    body = json.dumps({"text": "One and only.", "speaker": "ana-perez", "said_on": "2025-03-02"}).encode()
    with gunicorn(shared_database_url(tmp_path)) as (port, _log):

        def post() -> int:
            return request(
                port, "POST", "/api/v1/quotes/", body=body, headers={**headers, "Idempotency-Key": "once"}
            )[0]

        statuses = run_together(post, post, post, post)
        assert Quote.objects.filter(text="One and only.").count() == 1
        assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
        # A retry after the first finished gets the first answer again, not a second quote.
        assert post() == 201
        assert Quote.objects.filter(text="One and only.").count() == 1


def while_another_writes(write_first, request_second, table: str):
    """The moment a unique check cannot see: `write_first` runs in a transaction that stays open
    until `request_second` has passed its checks and sent its INSERT into `table` (watched through
    Django's execute_wrapper); then the first commits, and the second's INSERT, which waited for it,
    is refused by the unique index. Returns the second request's response."""
    written, release, inserting = threading.Event(), threading.Event(), threading.Event()
    answered = {}

    def first():
        try:
            with transaction.atomic():
                write_first()
                written.set()
                release.wait(30)
        finally:
            connection.close()

    def watch(execute, sql, params, many, context):
        if sql.startswith(f'INSERT INTO "{table}"'):
            inserting.set()
        return execute(sql, params, many, context)

    def second():
        try:
            with connection.execute_wrapper(watch):
                answered["response"] = request_second()
        finally:
            release.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert written.wait(30)
    threads[1].start()
    inserting.wait(30)
    release.set()
    for thread in threads:
        thread.join()
    return answered["response"]


def api_post(path: str, body: dict):
    client = Client(HTTP_AUTHORIZATION=f"Token {superuser_token()}")
    return lambda: client.post(path, json.dumps(body), content_type="application/json")


def test_a_url_posted_while_another_request_stores_it_is_refused_by_name_not_a_500():
    url = "https://news.example.org/2025/03/02/interview"
    post = api_post("/api/v1/sources/", {"url": url, "title": "The interview"})

    response = while_another_writes(lambda: make_source(url), post, Source._meta.db_table)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and "already" in " ".join(error["fields"]["url"])
    assert Source.objects.filter(url=url).count() == 1


def test_the_same_words_posted_while_another_request_stores_them_are_refused_not_a_500():
    speaker = make_speaker("Ana Pérez", slug="ana-perez")
    words = "We will build the bridge, and we will build it this year."
    post = api_post("/api/v1/quotes/", {"text": words, "speaker": "ana-perez", "said_on": "2025-03-02"})

    response = while_another_writes(
        lambda: make_quote(words, speaker, status="draft"), post, Quote._meta.db_table
    )

    assert response.status_code == 400, response.content
    assert "already has this quote" in response.json()["error"]["message"] + json.dumps(
        response.json()["error"].get("fields", {})
    )
    assert Quote.objects.filter(speaker=speaker).count() == 1


def test_a_clash_the_checks_cannot_explain_is_a_409_to_send_again():
    response = api_exception_handler(IntegrityError("duplicate key value"), {})

    assert response.status_code == 409
    assert response.data["error"]["code"] == "conflict"
    assert "send this one again" in response.data["error"]["message"]
