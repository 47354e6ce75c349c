"""One on-demand ``workbench report``: through the workspace's report service vs run locally.

    python benchmarks/bench_report_service.py [--workspace /tmp/service-demo] [--client forma-sud-conseil]
                                              [--runs 5] [--formats html,pdf,xlsx]

Makes the demo workspace if the folder does not exist, starts ``workbench report-service start`` on
it, makes one report to settle the warm kernel, then times ``workbench report CLIENT`` as a user
runs it (a new process each time, from its start to its exit), ``--runs`` times through the service
and ``--runs`` times with ``--no-service``. The service's own log (its per-step timings) is printed
at the end. Figures go to docs/benchmarks.md by hand, with the machine's load at the time.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WB = [sys.executable, "-m", "workbench"]


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="/tmp/service-demo")
    parser.add_argument("--client", default="forma-sud-conseil")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default="html,pdf,xlsx")
    opts = parser.parse_args()
    ws = Path(opts.workspace)
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(ws)}
    if not ws.exists():
        subprocess.run([*WB, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    log = tempfile.NamedTemporaryFile("w+", prefix="service-", suffix=".log", delete=False)  # noqa: SIM115
    service = subprocess.Popen([*WB, "report-service", "start", "--idle-timeout", "0"], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        while "prêt" not in Path(log.name).read_text(encoding="utf-8"):
            if service.poll() is not None:
                sys.exit("service did not start:\n" + Path(log.name).read_text(encoding="utf-8"))
            time.sleep(0.2)
        report = [*WB, "report", opts.client, "--formats", opts.formats]
        timed(report, env)  # the first report on a fresh kernel imports what the notebook uses
        served = [timed(report, env) for _ in range(opts.runs)]
        local = [timed([*report, "--no-service"], env) for _ in range(opts.runs)]
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=120)
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min)")
    for name, values in (("through the service", served), ("--no-service", local)):
        print(f"{name:20} median {statistics.median(values):.2f} s  runs " + " ".join(f"{v:.2f}" for v in values))
    print(Path(log.name).read_text(encoding="utf-8"))
    os.unlink(log.name)


if __name__ == "__main__":
    main()
