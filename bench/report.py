"""Turn a benchmark result (bench/results/<date>-<N>.json) into the Markdown table the README shows.

    python bench/report.py bench/results/2026-11-24-1000000.json [--readme]

writes the .md next to the JSON and, with --readme, the table into README.md between
<!-- bench:start --> and <!-- bench:end --> (in the "## Performance" section).
"""

import sys
from pathlib import Path

import orjson
import scenarios as targets

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
ORDER = [
    "speaker_page",
    "prolific_speaker",
    "latest_20",
    "date_language",
    "detail",
    "fts_rare",
    "fts_medium",
    "fts_common",
    "lookup",
    "embed",
    "embed_304",
    "oembed",
]
TITLES = {
    "speaker_page": "Speaker's page of 50",
    "prolific_speaker": "Most prolific speaker's page of 50",
    "latest_20": "Latest 20",
    "date_language": "Date range (30 days) + language",
    "detail": "Quote detail",
    "fts_rare": "Search: rare term",
    "fts_medium": "Search: medium term (0.1%)",
    "fts_common": "Search: term in 3% of quotes",
    "lookup": "Lookup: typo'd fragment",
    "embed": "Embed card",
    "embed_304": "Embed card, 304",
    "oembed": "oEmbed",
}
GROUPS = {
    "speaker_page": "list",
    "prolific_speaker": "list",
    "latest_20": "list",
    "date_language": "list",
    "detail": "list",
    "fts_rare": "search",
    "fts_medium": "search",
    "fts_common": "search",
    "lookup": "lookup",
    "embed": "embed",
    "embed_304": "embed304",
    "oembed": "oembed",
}


def _num(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _rss(sizes) -> str:
    return " / ".join(f"{s:.0f}" for s in sizes) if sizes else "—"


def scenario_table(kind: str, entry: dict) -> list[str]:
    project = (entry.get("project") or {}).get("scenarios", {})
    floor = (entry.get("floor") or {}).get("scenarios", {})
    lines = [
        "| Scenario | req/s | p50 ms | p95 ms | p99 ms | floor req/s | ratio | errors | worker RSS MB "
        "| target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | :---: |",
    ]
    for key in ORDER:
        mine, base = project.get(key), floor.get(key)
        if mine is None:
            continue
        title = TITLES[key]
        if not mine.get("available"):
            lines.append(f"| {title} | not available | | | | {_num((base or {}).get('rps'))} | | | | | |")
            continue
        base_rps = base.get("rps") if base and base.get("available") else None
        ratio = f"{mine['rps'] / base_rps:.2f}" if base_rps else "—"
        goal, met = targets.verdict(GROUPS[key], mine, base if base_rps else None)
        if kind == "sqlite":
            goal, met = sqlite_verdict(key, mine)
        lines.append(
            f"| {title} | {_num(mine['rps'])} | {mine['p50_ms']:.1f} | {mine['p95_ms']:.1f} | "
            f"{mine['p99_ms']:.1f} | {_num(base_rps)} | {ratio} | {mine['errors']} | "
            f"{_rss(mine.get('worker_rss_mb'))} | {goal} | {met} |"
        )
    return lines


def sqlite_verdict(key: str, mine: dict) -> tuple[str, str]:
    if key == "speaker_page":
        goal = 2 * targets.DATASETTE_SPEAKER_RPS
        return f"≥ {goal} req/s (2 × Datasette)", "✓" if mine["rps"] >= goal and not mine["errors"] else "✗"
    if key == "latest_20":
        return "answers (Datasette timed out)", "✓" if not mine["errors"] else "✗"
    return "—", "—"


def extras(kind: str, entry: dict) -> list[str]:
    lines = []
    imported = entry.get("import") or {}
    prefix = ""
    if imported.get("reused") and imported.get("earlier"):
        earlier = imported["earlier"]
        prefix = f" (timed when this database was loaded, {earlier['measured_at']}, at `{earlier['git']}`)"
        imported = earlier
    if imported.get("reused"):
        lines.append("- Import: not timed in this run (database reused).")
    elif imported:
        seconds = imported.get("searchable_seconds")
        ok_time = seconds is not None and seconds <= targets.IMPORT_MAX_SECONDS
        ok_rate = imported["records_per_second"] >= targets.IMPORT_MIN_RPS
        target = ""
        if kind == "postgres":
            target = (
                f" — target ≤ {targets.IMPORT_MAX_SECONDS} s {'✓' if ok_time else '✗'}, "
                f"≥ {targets.IMPORT_MIN_RPS:,} records/s {'✓' if ok_rate else '✗'}"
            )
        loader = "" if imported["loader"] != "fallback" else " (**bench fallback loader: importer missing**)"
        loader += prefix
        quotes = imported["counts"]["quotes_quote"]
        lines.append(
            f"- Import{loader}: {quotes:,} quotes in {imported['import_seconds']} s "
            f"= **{imported['records_per_second']:,} records/s**; loaded, indexed and searchable after "
            f"{_num(seconds, 1)} s (exit code {imported['exit_code']}"
            + (
                f"; VACUUM ANALYZE afterwards {imported['analyze_seconds']} s"
                if imported.get("analyze_seconds")
                else ""
            )
            + f"){target}."
        )
        floor = imported.get("restore_floor")
        if floor and "seconds" in floor:
            lines.append(
                f"- Restore floor (the archive dumped, then loaded by `pg_restore -j 2` into a new database, "
                f"right after the import): {floor['seconds']} s; the import took "
                f"**{imported['import_seconds'] / floor['seconds']:.2f}×** that."
            )
        elif floor:
            lines.append(f"- Restore floor: not measured ({floor['error']}).")
    for target in ("project", "floor"):
        export = (entry.get(target) or {}).get("export")
        if not export:
            continue
        if not export.get("available"):
            lines.append(f"- Export ({target}): not available (status {export.get('status')}).")
            continue
        if "quotes" not in export:
            lines.append(f"- Export ({target}): status {export.get('status')}.")
            continue
        rss = export["worker_rss_mb"]
        met = ""
        if target == "project":
            fast = export["quotes_per_second"] >= targets.EXPORT_MIN_QPS
            flat = export["rss_growth_mb"] < 30
            met = (
                f" — target ≥ {targets.EXPORT_MIN_QPS:,} quotes/s {'✓' if fast else '✗'}, "
                f"memory flat (+{export['rss_growth_mb']} MB) {'✓' if flat else '✗'}"
            )
        how = "streamed" if export["streamed"] else "NOT streamed"
        lines.append(
            f"- Export ({target}, NDJSON, {how}): {export['quotes']:,} quotes in {export['seconds']} s "
            f"= **{export['quotes_per_second']:,} quotes/s**; worker RSS MB before {_rss(rss['before'])}, "
            f"peak {_rss(rss['peak'])}, after {_rss(rss['after'])}{met}."
        )
    for target in ("project", "floor"):
        recall = (entry.get(target) or {}).get("recall")
        if not recall:
            continue
        if not recall.get("available"):
            lines.append(f"- Lookup recall@5 ({target}): not available.")
            continue
        ok = (recall["recall_at_5"] or 0) >= targets.LOOKUP_MIN_RECALL
        met = (
            f" — target ≥ {targets.LOOKUP_MIN_RECALL:.0%} {'✓' if ok else '✗'}" if target == "project" else ""
        )
        share = f"{recall['hits']}/{recall['fragments']} = {recall['recall_at_5']:.1%}"
        lines.append(
            f"- Lookup recall@5 ({target}): **{share}** on fragments of 6–12 words with one typo "
            f"(errors {recall['errors']}, "
            f"one at a time p50 {recall['sequential_p50_ms']} ms){met}."
        )
    worst = max_rss(entry.get("project") or {})
    if worst:
        ok = worst < targets.WORKER_MAX_RSS_MB
        lines.append(
            f"- Largest project worker RSS seen: **{worst:.0f} MB** — "
            f"target < {targets.WORKER_MAX_RSS_MB} MB {'✓' if ok else '✗'}."
        )
    return lines


def max_rss(result: dict) -> float:
    sizes = [s for sc in result.get("scenarios", {}).values() for s in sc.get("worker_rss_mb", []) or []]
    export = result.get("export") or {}
    sizes += list((export.get("worker_rss_mb") or {}).get("peak", []))
    sizes += result.get("rss_end_mb") or []
    return max(sizes, default=0)


def markdown(run: dict) -> str:
    m, s = run["machine"], run["settings"]
    lines = [
        f"Run of {run['date']} on {run['n']:,} quotes (`{run['git']}`): {m['nproc']} cores ({m['cpu']}), "
        f"{m['ram_gb']} GB RAM, PostgreSQL {m.get('postgresql') or '—'}, SQLite {m['sqlite']}, "
        f"Python {m['python']}; load average at start {m['load_average_at_start']}. "
        f"wrk {s['wrk']}, {s['duration_s']} s per scenario"
        + (
            f" ({s['sqlite_duration_s']} s on SQLite)"
            if s.get("sqlite_duration_s", s["duration_s"]) != s["duration_s"]
            else ""
        )
        + f"; Django cache: {s.get('cache', 'database cache table (default)')}"
        + f"; gunicorn {s['gunicorn']} for both the project "
        f"and the floor. Whole run: {run.get('elapsed_s', 0)} s.",
        "",
    ]
    if run["n"] < 1_000_000:
        lines += [
            f"The issue's targets are set for 1,000,000 quotes; at {run['n']:,} the marks are indicative.",
            "",
        ]
    names = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
    for kind, entry in run["databases"].items():
        n = entry.get("n", run["n"])
        note = f" ({n:,} quotes — smaller than the PostgreSQL run, to fit the time)" if n != run["n"] else ""
        lines += [f"**{names.get(kind, kind)}**{note}", ""]
        lines += scenario_table(kind, entry)
        lines += ["", *extras(kind, entry), ""]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(readme: Path, table: str, source: Path) -> None:
    text = readme.read_text()
    block = f"{START}\n<!-- written by bench/report.py from {source}; do not edit by hand -->\n{table}{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## Performance\n\n" + block + "\n"
    readme.write_text(text)


def main(argv: list[str]) -> int:
    path = Path(argv[0])
    run = orjson.loads(path.read_bytes())
    table = markdown(run)
    path.with_suffix(".md").write_text(table)
    if "--readme" in argv:
        root = Path(__file__).resolve().parent.parent
        update_readme(root / "README.md", table, path.resolve().relative_to(root))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
