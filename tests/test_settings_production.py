"""Production settings, checked in fresh processes with only the environment a deployment would set."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_KEY = secrets.token_urlsafe(50)


def production_env(tmp_path, **overrides) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": REAL_KEY,
        "ALLOWED_HOSTS": "verbatim.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "VERBATIM_VAR_DIR": str(tmp_path),
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "django-insecure-verbatim-development-only", "too-short-0123456789"],
    ids=["missing", "empty", "development-key", "short"],
)
def test_the_app_refuses_to_start_in_production_without_a_real_secret_key(tmp_path, secret_key):
    result = run_python("import django; django.setup()", production_env(tmp_path, SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path):
    env = production_env(tmp_path, ALLOWED_HOSTS=None, DATABASE_URL=None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_only_make_run_turns_debug_on():
    makefile = (ROOT / "Makefile").read_text()
    assert "DEBUG=true" in makefile.split("\nrun:")[1].split("\n\n")[0]
    settings_source = (ROOT / "config" / "settings.py").read_text()
    assert 'DEBUG = env_bool("DEBUG", False)' in settings_source


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
client = Client(HTTP_HOST="verbatim.example")
secure = client.get("/healthz", secure=True)
plain_admin = client.get("/admin/login/")
plain_probe = client.get("/readyz")
print(json.dumps({
    "secure_headers": dict(secure.headers),
    "plain_admin": [plain_admin.status_code, plain_admin.headers.get("Location", "")],
    "plain_probe": plain_probe.status_code,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
}))
"""


def test_production_responses_carry_the_security_headers(tmp_path):
    result = run_python(PROBE, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = seen["secure_headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    # Plain http is redirected to https, except the load balancer's probes.
    assert seen["plain_admin"] == [301, "https://verbatim.example/admin/login/"]
    assert seen["plain_probe"] == 200
    assert seen["session_cookie_secure"] and seen["csrf_cookie_secure"] and seen["session_cookie_httponly"]
