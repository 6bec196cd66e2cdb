"""The official LoadGen's null SUT (PyPI mlcommons-loadgen) with the settings of null_sut.rs.

`rate <queries>`: Server at an unreachable target QPS, every sample completed inside the
issue callback; prints result_completed_samples_per_sec from its detail log.
`lateness <qps> <duration_ms> <schedule_file>`: Server at `qps`; the issue callback records
its time, and lateness = (callback time - first callback time) - scheduled time, with the
schedule printed by `null_sut schedule` (the same Poisson draws LoadGen makes)."""
import json
import os
import sys
import tempfile
import time

import mlperf_loadgen as lg


def main():
    if sys.argv[1] == "lateness":
        return lateness(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    queries = int(sys.argv[2])

    def issue(samples):
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(1024, 1024, lambda x: None, lambda x: None)
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.mode = lg.TestMode.PerformanceOnly
    s.server_target_qps = 1e9
    s.min_query_count = queries
    s.min_duration_ms = 0
    s.server_target_latency_ns = 1_000_000_000
    s.schedule_rng_seed = 2023080168
    with tempfile.TemporaryDirectory() as d:
        log = lg.LogSettings()
        log.log_output.outdir = d
        log.enable_trace = False
        lg.StartTestWithLogSettings(sut, qsl, s, log)
        rate = None
        with open(os.path.join(d, "mlperf_log_detail.txt")) as f:
            for line in f:
                entry = json.loads(line[len(":::MLLOG "):])
                if entry["key"] == "result_completed_samples_per_sec":
                    rate = entry["value"]
    print(f"official_issue_rate_qps {rate:.0f} queries {queries}")


def lateness(qps, duration_ms, schedule_file):
    with open(schedule_file) as f:
        schedule = [int(line) for line in f if line.strip()]
    times = []

    def issue(samples):
        times.append(time.perf_counter_ns())
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(1024, 1024, lambda x: None, lambda x: None)
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.mode = lg.TestMode.PerformanceOnly
    s.server_target_qps = qps
    s.min_query_count = 100
    s.min_duration_ms = duration_ms
    s.server_target_latency_ns = 1_000_000_000
    s.schedule_rng_seed = 2023080168
    with tempfile.TemporaryDirectory() as d:
        log = lg.LogSettings()
        log.log_output.outdir = d
        log.enable_trace = False
        lg.StartTestWithLogSettings(sut, qsl, s, log)
    n = min(len(times), len(schedule))
    late = sorted(max(0, (times[i] - times[0]) - schedule[i]) for i in range(n))
    p = lambda q: late[min(int(n * q), n - 1)] / 1e3
    print(f"official_lateness_us qps {qps:.0f} n {n} p50 {p(0.5):.1f} p99 {p(0.99):.1f} max {late[-1] / 1e3:.1f}")


if __name__ == "__main__":
    main()
