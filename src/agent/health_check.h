// The health check of a staged model, before it may become active: load the artifact from
// the slot (checksum verified), run every golden case, compare each output with the expected
// one within atol + rtol * |expected|, and keep the median run time within the manifest's
// latency budget.
//
//   LEDGE_ASSIGN(HealthReport r, health_check(slot_dir, manifest));
//   if (!r.passed) rollback(r.reason);
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "deploy/manifest.h"
#include "ir/graph.h"

namespace ledge::agent {

struct HealthReport {
  bool passed = false;
  std::string reason;  // why it failed: the case, the output, the error and its tolerance
  int cases = 0;
  double median_ms = 0;  // over every golden run
  double max_abs_error = 0;
};

struct HealthOptions {
  int runs_per_case = 3;  // after one warm-up run; the median covers all of them
  int threads = 1;
};

// Errors only for what is not the model's fault (I/O); a model that fails to load, fails to
// run, or gives wrong outputs is a failed report.
Expected<HealthReport> health_check(const std::string& slot_dir, const deploy::Manifest& m,
                                    const HealthOptions& options = {});

}  // namespace ledge::agent
