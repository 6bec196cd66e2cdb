#!/usr/bin/env python3
"""Drive the official MLPerf LoadGen (PyPI `mlcommons-loadgen`, module `mlperf_loadgen`) with a
recording SUT and print what it did as one JSON object on stdout.

Used by `tests/e2e/official_crosscheck.rs` to compare ossperf's loadable sets, issue order, Poisson
schedule totals and accuracy-log choices with the official build. Usage:

    record_loadgen.py '<json case>'

The case: model, scenario ("Offline"|"Server"), mode ("PerformanceOnly"|"AccuracyOnly"),
total, perf (the QSL's two counts), mlperf_conf, user_conf, user_conf_calls (how many times
the user.conf is given, default 1), audit_config (path or null) and
overrides: TestSettings attributes set after the conf files (the mlperf.conf-only keys such as
seeds, which LoadGen reads only from its embedded mlperf.conf). The output: loaded (the index
lists of every LoadSamplesToRam call), issued (QSL index of every issued sample, in order),
generated (every generated_* detail-log value, in order), effective (every effective_* detail-log
value, by key), errors (the key and value of every error_* detail-log entry, in order) and
logged_seq_ids (the seq_id of every accuracy-log entry).
"""
import array
import json
import os
import re
import sys
import tempfile

import mlperf_loadgen as lg


def main():
    case = json.loads(sys.argv[1])
    loaded, issued = [], []
    payload = array.array("B", [1, 2])  # kept alive: LoadGen copies it for the accuracy log
    address, length = payload.buffer_info()

    def load(indices):
        loaded.append(list(indices))

    def unload(_indices):
        pass

    def issue(samples):
        issued.extend(s.index for s in samples)
        responses = [lg.QuerySampleResponse(s.id, address, length, 3) for s in samples]
        lg.FirstTokenComplete(responses)
        lg.QuerySamplesComplete(responses)

    def flush():
        pass

    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, case["scenario"])
    settings.mode = getattr(lg.TestMode, case["mode"])
    settings.FromConfig(case["mlperf_conf"], case["model"], case["scenario"], 2)
    for _ in range(case.get("user_conf_calls", 1)):
        settings.FromConfig(case["user_conf"], case["model"], case["scenario"], 1)
    for key, value in case.get("overrides", {}).items():
        setattr(settings, key, value)

    sut = lg.ConstructSUT(issue, flush)
    qsl = lg.ConstructQSL(case["total"], case["perf"], load, unload)
    with tempfile.TemporaryDirectory() as out:
        log_settings = lg.LogSettings()
        log_settings.log_output.outdir = out
        log_settings.enable_trace = False
        audit = case.get("audit_config") or os.path.join(out, "no-audit.config")
        lg.StartTestWithLogSettings(sut, qsl, settings, log_settings, audit)
        generated, effective, errors = [], {}, []
        with open(os.path.join(out, "mlperf_log_detail.txt")) as f:
            for line in f:
                if line.startswith(":::MLLOG "):
                    # C++ prints non-finite doubles bare (`nan`, `-inf`): keep them as strings.
                    text = re.sub(r'"value": (-?(?:nan|inf))\b', r'"value": "\1"',
                                  line[len(":::MLLOG "):])
                    entry = json.loads(text)
                    if entry["key"].startswith("generated_"):
                        generated.append([entry["key"], entry["value"]])
                    elif entry["key"].startswith("effective_"):
                        effective[entry["key"]] = entry["value"]
                    elif entry["key"].startswith("error_"):
                        errors.append([entry["key"], entry["value"]])
        with open(os.path.join(out, "mlperf_log_accuracy.json")) as f:
            logged = [e["seq_id"] for e in json.load(f)]
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    json.dump({"loaded": loaded, "issued": issued, "generated": generated,
               "effective": effective, "errors": errors, "logged_seq_ids": logged}, sys.stdout)


if __name__ == "__main__":
    main()
