"""How fast a client's history opens and a session report is written (a benchmark, not a
test; targets: a client with 100 sessions loads its progress in <= 1 s, the PDF in <= 2 s).

    >>> from fitscore_core.bench.history import bench_history, format_history
    >>> print(format_history(bench_history()))                       # doctest: +SKIP

A temporary database gets one client with `sessions` sessions of the same analysis: the
built-in squat (synthetic, 3 reps, 11 s at 30 fps) scored by the shipped models, saved one
day apart. Timed, best of `repeat`: what the Progress page does when it opens (open the
file, migrate check, the progress table and the session list); one save_session; and the
report of one stored session (report_data + session_pdf with three key frames), the first
one in the process separately (it loads the font).
"""

import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from fitscore_core.bench.speed import best_ms


def bench_history(sessions: int = 100, repeat: int = 5, models_dir=None) -> dict:
    from fitscore_core.analysis import analyze_sequence, load_scorers
    from fitscore_core.compare.reference import builtin_sequence
    from fitscore_core.history import History
    from fitscore_core.report import report_data, session_pdf

    analysis = analyze_sequence(builtin_sequence("squat"), load_scorers(models_dir))
    start = datetime(2025, 1, 1)
    with tempfile.TemporaryDirectory(prefix="fitscore-bench-") as folder:
        path = Path(folder) / "fitscore.sqlite3"
        with History(path) as h:
            client = h.create_client("Bench client")
            t0 = time.perf_counter()
            for k in range(sessions):
                sid = h.save_session(client, analysis, source_name=f"squat_{k}.mp4",
                                     created=(start + timedelta(days=k)).isoformat(" "))
            save_ms = (time.perf_counter() - t0) * 1000 / sessions

        def open_progress():
            with History(path) as h:
                return h.progress(client), h.sessions(client)

        progress_ms = best_ms(open_progress, repeat)
        with History(path) as h:
            t0 = time.perf_counter()
            pdf = session_pdf(report_data(h, sid))
            first_pdf_ms = (time.perf_counter() - t0) * 1000
            pdf_ms = best_ms(lambda: session_pdf(report_data(h, sid)), repeat)
        size_kb = path.stat().st_size / 1024
    from fitscore_core.verdict import make_verdict
    return {"sessions": sessions, "reps": make_verdict(analysis).rep_count,
            "progress_ms": progress_ms, "save_ms": save_ms, "first_pdf_ms": first_pdf_ms,
            "pdf_ms": pdf_ms, "pdf_kb": len(pdf) / 1024, "db_kb": size_kb}


def format_history(row: dict) -> str:
    return "\n".join([
        f"client with {row['sessions']} sessions ({row['reps']} reps each), database "
        f"{row['db_kb']:.0f} kB:",
        f"  open + progress table + session list: {row['progress_ms']:.1f} ms "
        "(target <= 1000 ms)",
        f"  save one session: {row['save_ms']:.1f} ms",
        f"  session PDF: {row['pdf_ms']:.0f} ms ({row['first_pdf_ms']:.0f} ms the first in "
        f"the process, font loading), {row['pdf_kb']:.0f} kB (target <= 2000 ms)",
        f"({os.cpu_count()} CPU cores)"])


if __name__ == "__main__":
    print(format_history(bench_history()))
