#include "deploy/target.h"

#include <algorithm>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "deploy/rejection.h"

namespace ledge::deploy {

namespace {

Expected<std::vector<uint64_t>> version_parts(const std::string& v) {
  std::vector<uint64_t> parts;
  uint64_t cur = 0;
  size_t digits = 0;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i == v.size() || v[i] == '.') {
      if (digits == 0 || parts.size() == 4) return invalid_argument("bad version '" + v + "'");
      parts.push_back(cur);
      cur = 0;
      digits = 0;
    } else if (v[i] >= '0' && v[i] <= '9' && digits < 9) {
      cur = cur * 10 + static_cast<uint64_t>(v[i] - '0');
      ++digits;
    } else {
      return invalid_argument("bad version '" + v.substr(0, 32) + "'");
    }
  }
  parts.resize(4, 0);
  return parts;
}

}  // namespace

const std::vector<std::string>& known_cpu_features() {
  // Every architecture's names: a bundle for an ARM device is made on an x86 workstation.
  static const std::vector<std::string> known = {"sse4_2",      "avx",      "avx2",     "fma",
                                                 "f16c",        "avx512f",  "avx512bw", "avx512vl",
                                                 "avx512_vnni", "avx_vnni", "asimd",    "asimddp"};
  return known;
}

std::vector<std::string> detect_cpu_features() {
  std::vector<std::string> have;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) have.push_back("sse4_2");
  if (__builtin_cpu_supports("avx")) have.push_back("avx");
  if (__builtin_cpu_supports("avx2")) have.push_back("avx2");
  if (__builtin_cpu_supports("fma")) have.push_back("fma");
  // f16c and avx_vnni by CPUID: not every compiler's __builtin_cpu_supports knows them. Both
  // use the AVX register state, so they count only where the OS enabled AVX.
  const bool avx = __builtin_cpu_supports("avx");
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (avx && __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29))) have.push_back("f16c");
  if (__builtin_cpu_supports("avx512f")) have.push_back("avx512f");
  if (__builtin_cpu_supports("avx512bw")) have.push_back("avx512bw");
  if (__builtin_cpu_supports("avx512vl")) have.push_back("avx512vl");
  if (__builtin_cpu_supports("avx512vnni")) have.push_back("avx512_vnni");
  if (avx && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4))) have.push_back("avx_vnni");
#elif defined(__aarch64__)
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & HWCAP_ASIMD) have.push_back("asimd");
  if (hw & HWCAP_ASIMDDP) have.push_back("asimddp");
#endif
  return have;
}

Expected<int> compare_versions(const std::string& a, const std::string& b) {
  LEDGE_ASSIGN(auto pa, version_parts(a));
  LEDGE_ASSIGN(auto pb, version_parts(b));
  return pa < pb ? -1 : (pa == pb ? 0 : 1);
}

Status check_target(const Manifest& m, const std::vector<std::string>& cpu_features,
                    const std::string& runtime_version) {
  for (const auto& f : m.cpu_features)
    if (std::find(cpu_features.begin(), cpu_features.end(), f) == cpu_features.end())
      return rejection_error(Rejection::kTargetMismatch,
                             "needs CPU feature '" + f + "', which this machine lacks");
  if (!m.min_runtime_version.empty()) {
    auto cmp = compare_versions(runtime_version, m.min_runtime_version);
    if (!cmp) return rejection_error(Rejection::kTargetMismatch, cmp.error().message());
    if (*cmp < 0)
      return rejection_error(
          Rejection::kTargetMismatch,
          "needs runtime " + m.min_runtime_version + " or newer; this is " + runtime_version);
  }
  return {};
}

}  // namespace ledge::deploy
