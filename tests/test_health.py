"""Load balancer probes: /healthz (the process answers) and /readyz (database, cache, migrations)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any database access here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405


def _readyz_in_a_fresh_process(tmp_path, database_url: str) -> tuple[int, dict]:
    code = (
        "import json, django; django.setup(); from django.test import Client; "
        "r = Client().get('/readyz'); print(r.status_code, r.content.decode())"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url,
        "VERBATIM_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    return int(status), json.loads(body)


def test_readyz_is_unavailable_while_migrations_are_pending(tmp_path):
    status, body = _readyz_in_a_fresh_process(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert status == 503
    assert body["reason"] == "unapplied migrations"
    assert "quotes.0001_initial" in body["pending"]


def test_readyz_is_unavailable_when_the_database_does_not_answer(tmp_path):
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    status, body = _readyz_in_a_fresh_process(tmp_path, "postgres://postgres@127.0.0.1:9/nothing")
    assert status == 503
    assert body["reason"] == "database unreachable"
