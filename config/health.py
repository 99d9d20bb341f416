"""Probes for load balancers and orchestrators.

`/healthz` answers as long as the process serves requests (it never touches the database), so a
restart is only triggered for a dead process. `/readyz` says whether this instance should get
traffic: the database answers, the shared cache (throttle counters) works, and every migration
is applied. Both are plain JSON, exempt from the https redirect, and cheap.
"""

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# Migrations cannot become unapplied under a running process, so once they are all applied the
# (comparatively slow) migration graph is not loaded again.
_migrations_applied: set[str] = set()


def readiness_problem(using: str = DEFAULT_DB_ALIAS) -> dict | None:
    """Why this instance should not receive traffic, or None when it is ready."""
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready", whatever its class
        return {"reason": "database unreachable", "error": type(exc).__name__}
    if using not in _migrations_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
            return {"reason": "unapplied migrations", "pending": pending}
        _migrations_applied.add(using)
    try:
        cache.get("verbatim-readyz-probe")
    except Exception as exc:
        return {"reason": "cache unavailable", "error": type(exc).__name__}
    return None


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    problem = readiness_problem()
    if problem:
        return JsonResponse({"status": "unavailable", **problem}, status=503)
    return JsonResponse({"status": "ready"})
