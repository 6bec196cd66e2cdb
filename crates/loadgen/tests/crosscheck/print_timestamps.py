#!/usr/bin/env python3
"""Run the official MLPerf LoadGen (module `mlperf_loadgen`) with print_timestamps on and let
it print to stdout. Used by `tests/e2e/print_timestamps.rs`. Usage:

    print_timestamps.py <Offline|Server> <PerformanceOnly|AccuracyOnly|SubmissionRun|FindPeakPerformance>

Settings: QSL 16/16, min_duration 0, min_query_count 1, Server target_qps 1000; the SUT
answers every sample at once.
"""
import sys
import tempfile

import mlperf_loadgen as lg


def main():
    scenario, mode = sys.argv[1], sys.argv[2]

    def issue(samples):
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(16, 16, lambda x: None, lambda x: None)
    s = lg.TestSettings()
    s.scenario = getattr(lg.TestScenario, scenario)
    s.mode = getattr(lg.TestMode, mode)
    s.min_duration_ms = 0
    s.min_query_count = 1
    s.server_target_qps = 1000
    s.print_timestamps = True
    with tempfile.TemporaryDirectory() as d:
        log = lg.LogSettings()
        log.log_output.outdir = d
        log.enable_trace = False
        sys.stdout.flush()
        lg.StartTestWithLogSettings(sut, qsl, s, log)
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)


if __name__ == "__main__":
    main()
