// What a bundle needs from the device: CPU features and a runtime version.
//
//   std::vector<std::string> have = detect_cpu_features();     // {"avx2", "fma", ...}
//   Status ok = check_target(manifest, have, kRuntimeVersion);  // kTargetMismatch if not
//
// Feature names are /proc/cpuinfo's: sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl
// avx512_vnni avx_vnni on x86-64; asimd asimddp on aarch64.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "deploy/manifest.h"

namespace ledge::deploy {

// The version of this runtime (the project version, 0.1.0).
inline constexpr const char* kRuntimeVersion = LEDGE_VERSION;

// The feature names bundles may require (x86-64 and aarch64 alike).
const std::vector<std::string>& known_cpu_features();
// The known features this CPU has.
std::vector<std::string> detect_cpu_features();

// Compares dotted versions ("0.10.0" > "0.9.3"); fails on anything but 1-4 numeric parts.
Expected<int> compare_versions(const std::string& a, const std::string& b);

// A kTargetMismatch rejection (rejection.h) naming the first missing feature, or a runtime
// older than the manifest's min_runtime_version.
Status check_target(const Manifest& m, const std::vector<std::string>& cpu_features,
                    const std::string& runtime_version);

}  // namespace ledge::deploy
