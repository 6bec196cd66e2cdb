"""The official LoadGen's null SUT (PyPI mlcommons-loadgen), with the settings of
null_sut.rs `rate`: Server at an unreachable target QPS, every sample completed inside the
issue callback. Prints result_completed_samples_per_sec from its detail log."""
import json
import os
import sys
import tempfile

import mlperf_loadgen as lg


def main():
    queries = int(sys.argv[1])

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


if __name__ == "__main__":
    main()
