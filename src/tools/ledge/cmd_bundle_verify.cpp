// ledge bundle verify B --trust ROOT.pub [--installed-version N] [--min-delegation-version N]
//                     [--now UNIX] [--cpu-features LIST] [--json]
// ledge bundle extract B --trust ROOT.pub -o DIR [the same policy options]
//
// What a device does with an incoming bundle. A refusal prints one line and exits with the
// rejection's own code (10-19, deploy/rejection.h); with --json the verdict is also printed as
// JSON on stdout.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "deploy/bundle.h"
#include "deploy/rejection.h"
#include "deploy/target.h"
#include "tools/ledge/bundle_cli.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

using namespace ledge::deploy;

namespace {

struct VerifyArgs {
  std::string bundle, trust, output;
  uint64_t installed_version = 0, min_delegation_version = 0;
  int64_t now = -1;
  std::vector<std::string> cpu_features;
  bool cpu_features_given = false;
  bool json = false;
};

nlohmann::json manifest_json(const Manifest& m) {
  return {{"ok", true},
          {"name", m.name},
          {"version", m.version},
          {"expires_at", m.expires_at},
          {"model", m.model},
          {"cpu_features", m.cpu_features},
          {"min_runtime_version", m.min_runtime_version},
          {"latency_budget_ms", m.latency_budget_ms},
          {"preprocess", m.preprocess},
          {"golden_cases", m.golden.size()},
          {"files", m.sha256},
          {"signed_by", m.signed_by},
          {"delegation_version", m.delegation_version}};
}

// Prints the refusal (one line on stderr, JSON on stdout with --json); its exit code.
int refuse(const Error& e, bool json) {
  const Rejection r = rejection_of(e);
  if (r == Rejection::kNone) return report(e);
  if (json) {
    const nlohmann::json j = {{"ok", false},
                              {"rejection", rejection_name(r)},
                              {"exit_code", rejection_exit_code(r)},
                              {"message", e.message()}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  report(e);
  return rejection_exit_code(r);
}

Expected<Manifest> verify(const VerifyArgs& a) {
  LEDGE_ASSIGN(PublicKey root, read_public_key(a.trust));
  VerifyPolicy policy =
      VerifyPolicy::for_this_device(a.installed_version, a.min_delegation_version);
  policy.now = current_time(a.now);
  if (a.cpu_features_given) policy.cpu_features = a.cpu_features;
  auto m = verify_bundle(a.bundle, TrustRoot{root}, policy);
  if (!m) return std::move(m).error().with_context(a.bundle);
  return m;
}

int run_verify(const VerifyArgs& a) {
  auto m = verify(a);
  if (!m) return refuse(m.error(), a.json);
  if (a.json) {
    std::printf("%s\n", manifest_json(*m).dump(2).c_str());
  } else {
    std::printf("ok: %s version %llu, %zu file(s), %zu golden case(s)\n", m->name.c_str(),
                static_cast<unsigned long long>(m->version), m->sha256.size(), m->golden.size());
    std::printf("signed by:");
    for (const auto& id : m->signed_by) std::printf(" %s", id.c_str());
    std::printf(" (delegation version %llu)\n",
                static_cast<unsigned long long>(m->delegation_version));
  }
  return 0;
}

int run_extract(const VerifyArgs& a) {
  auto m = verify(a);
  if (!m) return refuse(m.error(), a.json);
  Status st = extract_bundle(a.bundle, *m, a.output);
  if (!st.ok()) return refuse(st.error(), a.json);
  std::printf("extracted %zu file(s) of %s version %llu into %s\n", m->sha256.size(),
              m->name.c_str(), static_cast<unsigned long long>(m->version), a.output.c_str());
  return 0;
}

void add_policy_options(CLI::App* cmd, VerifyArgs& a) {
  cmd->add_option("bundle", a.bundle, "the bundle file")->required();
  cmd->add_option("--trust", a.trust, "the root public key (ROOT.pub)")->required();
  cmd->add_option("--installed-version", a.installed_version,
                  "version installed now; only newer bundles pass (default 0)");
  cmd->add_option("--min-delegation-version", a.min_delegation_version,
                  "highest delegation version already accepted (default 0)");
  cmd->add_option("--now", a.now, "Unix seconds to check expiry at (default: the clock)");
  cmd->add_option("--cpu-features", a.cpu_features,
                  "this device's CPU features (default: detected)")
      ->delimiter(',')
      ->each([&a](const std::string&) { a.cpu_features_given = true; });
}

}  // namespace

void add_bundle_verify_commands(CLI::App& bundle, int& exit_code) {
  auto v = std::make_shared<VerifyArgs>();
  CLI::App* ver = bundle.add_subcommand("verify", "Check a bundle as a device would");
  add_policy_options(ver, *v);
  ver->add_flag("--json", v->json, "print the manifest or the refusal as JSON");
  ver->callback([v, &exit_code]() { exit_code = run_verify(*v); });

  auto x = std::make_shared<VerifyArgs>();
  CLI::App* ext = bundle.add_subcommand("extract", "Verify, then write the bundle's files");
  add_policy_options(ext, *x);
  ext->add_option("-o,--output", x->output, "the folder to write into")->required();
  ext->callback([x, &exit_code]() { exit_code = run_extract(*x); });
}

}  // namespace ledge::cli
