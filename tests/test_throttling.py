"""API rate limits hold across server processes and cannot be dodged with X-Forwarded-For.

Each test starts gunicorn with two worker processes (production settings, the database cache
shared by both) and counts what a client actually gets.
"""

import json
import os
import subprocess
import sys

import pytest
from django.core.cache import cache

from tests.live_gunicorn import ROOT, StalledRequest, gunicorn, request, shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)

ENDPOINT = "/api/v1/tags/"


def issue_token(database_url: str) -> str:
    """An editor's API token in the served database (made by a separate process, as an admin would)."""
    code = (
        "from django.contrib.auth.models import User; from quotes.models import ApiToken; "
        "user = User.objects.create_user('throttled-tool', 't@example.org', 'pw'); "
        "print(ApiToken.issue(user=user)[1])"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip().splitlines()[-1]


def statuses(port: int, n: int, headers_for=lambda i: {}) -> list[tuple[int, dict]]:
    return [request(port, "GET", ENDPOINT, headers=headers_for(i))[:2] for i in range(n)]


def on_two_workers(port: int, n: int, headers_for=lambda i: {}) -> list[tuple[int, dict]]:
    """n requests in sequence, the first five answered by one worker and the sixth by the other."""
    stalled = StalledRequest(port, ENDPOINT, headers_for(5))
    answers = statuses(port, 5, headers_for)
    answers.append(stalled.finish())
    answers += statuses(port, n - 6, lambda i: headers_for(i + 6))
    return answers


def worker_pids(log: str) -> set[int]:
    return {
        json.loads(line)["pid"]
        for line in log.splitlines()
        if line.startswith("{") and '"verbatim.access"' in line and ENDPOINT in line
    }


def assert_limit(answers: list[tuple[int, dict]], limit: int) -> None:
    codes = [status for status, _ in answers]
    assert codes == [200] * limit + [429] * (len(codes) - limit), codes
    for status, headers in answers:
        if status == 429:
            assert int(headers["Retry-After"]) > 0


def test_limits_hold_across_two_workers_and_ignore_a_rotating_forwarded_for(tmp_path):
    url = shared_database_url(tmp_path)
    cache.clear()
    token = issue_token(url)
    with gunicorn(url, THROTTLE_ANON_RATE="10/min", THROTTLE_USER_RATE="15/min") as (port, read_log):
        # No trusted proxy: X-Forwarded-For is the client's own words, and is ignored.
        anonymous = on_two_workers(port, 16, lambda i: {"X-Forwarded-For": f"198.51.100.{i}"})
        assert_limit(anonymous, 10)
        tool = on_two_workers(port, 20, lambda i: {"Authorization": f"Token {token}"})
        assert_limit(tool, 15)
        assert len(worker_pids(read_log())) == 2, "both worker processes served requests"


def test_behind_one_trusted_proxy_the_last_hop_is_the_client(tmp_path):
    url = shared_database_url(tmp_path)
    cache.clear()
    with gunicorn(url, THROTTLE_ANON_RATE="10/min", TRUSTED_PROXY_COUNT="1") as (port, read_log):
        # The client prepends made-up hops; the proxy appends the address it saw (203.0.113.7).
        spoofing = on_two_workers(port, 14, lambda i: {"X-Forwarded-For": f"10.9.9.{i}, 203.0.113.7"})
        assert_limit(spoofing, 10)
        # Another client behind the same proxy has its own allowance.
        other = statuses(port, 2, lambda i: {"X-Forwarded-For": "198.51.100.4"})
        assert [status for status, _ in other] == [200, 200]
        assert len(worker_pids(read_log())) == 2, "both worker processes served requests"


def test_a_simultaneous_burst_gets_no_more_than_the_limit(tmp_path):
    import threading

    url = shared_database_url(tmp_path)
    cache.clear()
    with gunicorn(url, THROTTLE_ANON_RATE="10/min") as (port, _read_log):
        codes: list[int] = []

        def burst() -> None:
            codes.extend(status for status, _ in statuses(port, 10))

        threads = [threading.Thread(target=burst) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert codes.count(200) <= 10, sorted(codes)
