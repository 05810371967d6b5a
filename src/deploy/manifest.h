// What a signed model bundle promises: plain data, filled by the bundle reader (bundle.h)
// after the signatures checked out, consumed by the agent's install (health check).
//
// Files are named relative to the bundle's root; `sha256` holds the lower-case hex SHA-256
// of every file the bundle carries, the model and the golden vectors included.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ledge::deploy {

// One golden case: inputs to feed and the outputs the model must produce (.npy files in the
// bundle, by graph input/output name), within atol + rtol * |expected|.
struct GoldenVector {
  std::map<std::string, std::string> inputs;
  std::map<std::string, std::string> outputs;
  double atol = 1e-4;
  double rtol = 1e-3;
};

struct Manifest {
  std::string name;                           // the model's name ("defect-detector")
  uint64_t version = 0;                       // monotonically increasing; installs must go up
  int64_t expires_at = 0;                     // Unix seconds; the bundle is refused after it
  std::string model;                          // the .ledge artifact's file name in the bundle
  std::vector<std::string> cpu_features;      // required, e.g. "avx2", "avx512f", "neon"
  std::string min_runtime_version;            // "0.1.0": the oldest runtime that may run it
  std::map<std::string, std::string> sha256;  // file name -> hex digest, every file
  std::vector<GoldenVector> golden;
  double latency_budget_ms = 0;  // health check: median golden run time; 0 = none
  // How raw frames become the model's input on the device (data/preprocess.h spec), exactly
  // as validation preprocessed them; `ledge stream --model agent:DIR` applies it. Empty: none
  // recorded (the field is then left out of the JSON).
  std::string preprocess;

  // Filled by verify_bundle (bundle.h), not part of the signed JSON: the version of the
  // delegation that vouched for the signers (the agent keeps the highest it has installed and
  // passes it back as VerifyPolicy::min_delegation_version), and the key ids whose valid
  // signatures counted.
  uint64_t delegation_version = 0;
  std::vector<std::string> signed_by;
};

}  // namespace ledge::deploy
