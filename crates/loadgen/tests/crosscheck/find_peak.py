#!/usr/bin/env python3
"""Run the official MLPerf LoadGen (module `mlperf_loadgen`) in Server FindPeakPerformance mode
and leave its logs in <outdir>. Used by `tests/e2e/find_peak_crosscheck.rs`. Usage:

    find_peak.py <outdir> <latency_ms> [<fast_queries> <min_duration_ms>]

Settings: QSL 16/16, min_duration 0 (or <min_duration_ms>), min_query_count 1, target_qps
1000, the rest LoadGen's defaults. The SUT answers every sample after <latency_ms> (0: at
once, inside IssueQuery); with <fast_queries>, only the queries of a run past that many (the
count restarts at FlushQueries, the end of each run's issuing), the others at once.

When every run passes, LoadGen widens until the qps overflows to inf and then keeps running at
inf, one recursive FindBoundaries call per run, until its stack overflows (SIGSEGV after some
2000 runs). This script ends the process (exit 0) as soon as the detail log shows a run at inf.
"""
import os
import sys
import threading
import time

import mlperf_loadgen as lg


def watch(detail):
    while True:
        time.sleep(0.005)
        try:
            with open(detail) as f:
                text = f.read()
        except FileNotFoundError:
            continue
        if "FindBoundaries: Checking fields [" in text and ", inf)" in text:
            os._exit(0)


def main():
    outdir, latency_ms = sys.argv[1], float(sys.argv[2])
    fast = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    min_duration_ms = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    issued = [0]

    def answer(samples):
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    def issue(samples):
        issued[0] += 1
        if latency_ms == 0 or issued[0] <= fast:
            answer(samples)
        else:
            threading.Timer(latency_ms / 1000, answer, [samples]).start()

    def flush():
        issued[0] = 0

    sut = lg.ConstructSUT(issue, flush)
    qsl = lg.ConstructQSL(16, 16, lambda x: None, lambda x: None)
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.mode = lg.TestMode.FindPeakPerformance
    s.min_duration_ms = min_duration_ms
    s.min_query_count = 1
    s.server_target_qps = 1000
    log = lg.LogSettings()
    log.log_output.outdir = outdir
    log.enable_trace = False
    detail = os.path.join(outdir, "mlperf_log_detail.txt")
    threading.Thread(target=watch, args=[detail], daemon=True).start()
    lg.StartTestWithLogSettings(sut, qsl, s, log)
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)


if __name__ == "__main__":
    main()
