// The C++ side of ossperf's bridge to the official LoadGen: a SystemUnderTest and a
// QuerySampleLibrary that forward every call to Rust callbacks, and C functions for the few
// LoadGen entry points Rust calls. The settings are loaded exactly as the reference harness
// (language/gpt-oss-120b/run_mlperf.py) loads them: FromConfig(mlperf.conf, ..., 2), then
// FromConfig(user.conf, ..., 1). See docs/OFFICIAL_LOADGEN.md.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "loadgen.h"
#include "query_sample.h"
#include "query_sample_library.h"
#include "system_under_test.h"
#include "test_settings.h"

extern "C" {

typedef void (*ossperf_issue_fn)(void* ctx, const uint64_t* ids,
                                 const uint64_t* indices, size_t n);
typedef void (*ossperf_flush_fn)(void* ctx);
typedef void (*ossperf_samples_fn)(void* ctx, const uint64_t* indices,
                                   size_t n);

struct ossperf_lg_test {
  // Rust's side of the SUT and QSL.
  void* sut_ctx;
  ossperf_issue_fn issue;
  ossperf_flush_fn flush;
  void* qsl_ctx;
  ossperf_samples_fn load;
  ossperf_samples_fn unload;
  const char* sut_name;
  const char* qsl_name;
  uint64_t total_sample_count;
  uint64_t performance_sample_count;
  // The test.
  const char* model;
  const char* scenario;  // "Offline", "Server", "SingleStream", "MultiStream"
  int mode;              // 1 accuracy, 2 performance (LoadGen's TestMode)
  const char* mlperf_conf;  // NULL: not given
  const char* user_conf;    // NULL: not given
  const char* audit_config;
  const char* outdir;
};

}  // extern "C"

namespace {

std::vector<uint64_t> ToU64(const std::vector<mlperf::QuerySampleIndex>& v) {
  return std::vector<uint64_t>(v.begin(), v.end());
}

class RustSut : public mlperf::SystemUnderTest {
 public:
  explicit RustSut(const ossperf_lg_test& t) : t_(t), name_(t.sut_name) {}
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<mlperf::QuerySample>& samples) override {
    std::vector<uint64_t> ids(samples.size());
    std::vector<uint64_t> indices(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      ids[i] = samples[i].id;
      indices[i] = samples[i].index;
    }
    t_.issue(t_.sut_ctx, ids.data(), indices.data(), samples.size());
  }
  void FlushQueries() override { t_.flush(t_.sut_ctx); }

 private:
  const ossperf_lg_test& t_;
  std::string name_;
};

class RustQsl : public mlperf::QuerySampleLibrary {
 public:
  explicit RustQsl(const ossperf_lg_test& t) : t_(t), name_(t.qsl_name) {}
  const std::string& Name() override { return name_; }
  size_t TotalSampleCount() override { return t_.total_sample_count; }
  size_t PerformanceSampleCount() override {
    return t_.performance_sample_count;
  }
  void LoadSamplesToRam(
      const std::vector<mlperf::QuerySampleIndex>& samples) override {
    std::vector<uint64_t> v = ToU64(samples);
    t_.load(t_.qsl_ctx, v.data(), v.size());
  }
  void UnloadSamplesFromRam(
      const std::vector<mlperf::QuerySampleIndex>& samples) override {
    std::vector<uint64_t> v = ToU64(samples);
    t_.unload(t_.qsl_ctx, v.data(), v.size());
  }

 private:
  const ossperf_lg_test& t_;
  std::string name_;
};

}  // namespace

extern "C" {

// Runs one test to the end. FromConfig's results are ignored, as run_mlperf.py ignores them:
// LoadGen writes its own error lines to the detail log.
void ossperf_lg_start_test(const ossperf_lg_test* t) {
  mlperf::TestSettings settings;
  std::string scenario(t->scenario);
  if (scenario == "Offline") {
    settings.scenario = mlperf::TestScenario::Offline;
  } else if (scenario == "Server") {
    settings.scenario = mlperf::TestScenario::Server;
  } else if (scenario == "SingleStream") {
    settings.scenario = mlperf::TestScenario::SingleStream;
  } else {
    settings.scenario = mlperf::TestScenario::MultiStream;
  }
  settings.mode = t->mode == 1 ? mlperf::TestMode::AccuracyOnly
                               : mlperf::TestMode::PerformanceOnly;
  if (t->mlperf_conf != nullptr) {
    settings.FromConfig(t->mlperf_conf, t->model, scenario, 2);
  }
  if (t->user_conf != nullptr) {
    settings.FromConfig(t->user_conf, t->model, scenario, 1);
  }
  mlperf::LogSettings log;
  log.log_output.outdir = t->outdir;
  log.log_output.copy_summary_to_stdout = false;
  log.enable_trace = false;
  RustSut sut(*t);
  RustQsl qsl(*t);
  mlperf::StartTest(&sut, &qsl, settings, log, t->audit_config);
}

void ossperf_lg_complete(uint64_t id, const uint8_t* data, size_t size,
                         int64_t n_tokens) {
  mlperf::QuerySampleResponse r(id, reinterpret_cast<uintptr_t>(data), size,
                                n_tokens);
  mlperf::QuerySamplesComplete(&r, 1);
}

void ossperf_lg_first_token(uint64_t id, const uint8_t* data, size_t size,
                            int64_t n_tokens) {
  mlperf::QuerySampleResponse r(id, reinterpret_cast<uintptr_t>(data), size,
                                n_tokens);
  mlperf::FirstTokenComplete(&r, 1);
}

void ossperf_lg_register_issue_thread() { mlperf::RegisterIssueQueryThread(); }

// Stops issuing; StartTest returns once the issued samples are answered (Ctrl-C).
void ossperf_lg_abort() { mlperf::AbortTest(); }

}  // extern "C"
