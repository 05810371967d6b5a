// ledge bundle delegate|create|verify|extract: signed model bundles (docs/deploy.md).
//
//   ledge bundle delegate --root root.key --key a.pub [--key b.pub] --threshold 1 --version 1
//                         [--expires 365d] [--revoke ID|KEY.pub]... -o delegation.json
//   ledge bundle create --model m.ledge --version 3 --golden DIR --key a.key [--key b.key]
//                       --delegation delegation.json [--name N] [--expires 30d]
//                       [--cpu-features avx2,fma] [--min-runtime 0.1.0]
//                       [--latency-budget-ms X] [--atol A] [--rtol R] -o m.bundle
// verify and extract live in cmd_bundle_verify.cpp.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "artifact/artifact.h"
#include "core/file.h"
#include "data/preprocess.h"
#include "deploy/bundle.h"
#include "deploy/delegation.h"
#include "deploy/golden_dir.h"
#include "deploy/target.h"
#include "tools/ledge/bundle_cli.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

using namespace ledge::deploy;

Expected<int64_t> parse_expiry(const std::string& text, int64_t now) {
  const bool absolute = !text.empty() && text[0] == '@';
  const std::string digits = absolute ? text.substr(1) : text.substr(0, text.size() - 1);
  const char unit = absolute ? 's' : (text.empty() ? '?' : text.back());
  int64_t n = 0;
  if (digits.empty() || digits.size() > 12) return invalid_argument("bad expiry '" + text + "'");
  for (char c : digits) {
    if (c < '0' || c > '9') return invalid_argument("bad expiry '" + text + "'");
    n = n * 10 + (c - '0');
  }
  if (absolute) return n;
  const int64_t scale = unit == 's'   ? 1
                        : unit == 'm' ? 60
                        : unit == 'h' ? 3600
                        : unit == 'd' ? 86400
                                      : 0;
  if (scale == 0)
    return invalid_argument("bad expiry '" + text + "': use 30d, 12h, 90m, 3600s or @UNIX");
  return now + n * scale;
}

int64_t current_time(int64_t now_flag) {
  return now_flag >= 0 ? now_flag : static_cast<int64_t>(std::time(nullptr));
}

namespace {

struct DelegateArgs {
  std::string root, output, expires = "365d";
  std::vector<std::string> keys, revoke;
  uint32_t threshold = 1;
  uint64_t version = 0;
  int64_t now = -1;
};

struct CreateArgs {
  std::string model, golden, delegation, name, output, expires = "30d", min_runtime, preprocess;
  std::vector<std::string> keys, cpu_features;
  uint64_t version = 0;
  double latency_budget_ms = 0, atol = 1e-4, rtol = 1e-3;
  int64_t now = -1;
  bool unchecked = false;
};

int delegate(const DelegateArgs& a) {
  auto root = read_secret_key(a.root);
  if (!root) return report(root.error());
  Delegation d;
  d.version = a.version;
  d.threshold = a.threshold;
  auto expires = parse_expiry(a.expires, current_time(a.now));
  if (!expires) return report(expires.error());
  d.expires_at = *expires;
  for (const auto& path : a.keys) {
    auto key = read_public_key(path);
    if (!key) return report(key.error());
    d.keys.push_back(*key);
  }
  // --revoke takes a key id or a .pub file, since a lost key's .pub may be all that is left.
  for (const auto& r : a.revoke) {
    if (std::filesystem::exists(r)) {
      auto key = read_public_key(r);
      if (!key) return report(key.error());
      d.revoked.push_back(key->id());
    } else if (r.size() == 16 && r.find_first_not_of("0123456789abcdef") == std::string::npos) {
      d.revoked.push_back(r);
    } else {
      return report(invalid_argument("--revoke " + r + ": neither a key id nor a .pub file"));
    }
  }
  auto doc = sign_delegation(d, *root);
  if (!doc) return report(doc.error());
  Status st = write_file(a.output, doc->data(), doc->size());
  if (!st.ok()) return report(st.error());
  std::printf("delegation version %llu: %zu key(s), threshold %u, %zu revoked, expires %lld\n",
              static_cast<unsigned long long>(d.version), d.keys.size(), d.threshold,
              d.revoked.size(), static_cast<long long>(d.expires_at));
  return 0;
}

// Golden files are named after sanitized tensor names; the manifest needs the graph's names.
Status name_golden_tensors(const Model& model, std::vector<GoldenVector>& cases) {
  auto rename = [](const std::vector<ValueInfo>& values, std::map<std::string, std::string>& m,
                   const char* what) -> Status {
    std::map<std::string, std::string> out;
    for (const auto& [file_tensor, file] : m) {
      const ValueInfo* match = nullptr;
      for (const auto& v : values)
        if (sanitize_name(v.name) == file_tensor) match = &v;
      if (!match)
        return invalid_argument("golden file " + file + ": the model has no " + what + " '" +
                                file_tensor + "'");
      out[match->name] = file;
    }
    m = std::move(out);
    return {};
  };
  for (auto& c : cases) {
    LEDGE_TRY(rename(model.graph.inputs, c.inputs, "input"));
    LEDGE_TRY(rename(model.graph.outputs, c.outputs, "output"));
  }
  return {};
}

int create(const CreateArgs& a) {
  BundleSpec spec;
  Manifest& m = spec.manifest;
  m.name = a.name.empty() ? std::filesystem::path(a.model).stem().string() : a.name;
  m.version = a.version;
  auto expires = parse_expiry(a.expires, current_time(a.now));
  if (!expires) return report(expires.error());
  m.expires_at = *expires;
  m.model = "model.ledge";
  const auto& known = known_cpu_features();
  for (const auto& f : a.cpu_features)
    if (std::find(known.begin(), known.end(), f) == known.end())
      return report(invalid_argument("unknown CPU feature '" + f + "'"));
  m.cpu_features = a.cpu_features;
  m.min_runtime_version = a.min_runtime.empty() ? kRuntimeVersion : a.min_runtime;
  auto cmp = compare_versions(m.min_runtime_version, "0");
  if (!cmp) return report(cmp.error());
  m.latency_budget_ms = a.latency_budget_ms;
  if (!a.preprocess.empty()) {  // signed with the model, so it must be one devices can apply
    if (auto spec = parse_preprocess(a.preprocess); !spec)
      return report(spec.error());
    m.preprocess = a.preprocess;
  }

  // The model must be an artifact this runtime loads; its inputs and outputs name the goldens.
  auto model = load_artifact(a.model);
  if (!model) return report(model.error().with_context(a.model));
  auto golden = read_golden_dir(a.golden);
  if (!golden) return report(golden.error());
  Status st = name_golden_tensors(**model, golden->cases);
  if (!st.ok()) return report(st.error());
  for (auto& c : golden->cases) {
    c.atol = a.atol;
    c.rtol = a.rtol;
  }
  m.golden = golden->cases;
  auto model_bytes = read_file(a.model);
  if (!model_bytes) return report(model_bytes.error());
  spec.files.push_back({m.model, std::move(*model_bytes)});
  for (auto& f : golden->files) spec.files.push_back(std::move(f));

  for (const auto& path : a.keys) {
    auto key = read_secret_key(path);
    if (!key) return report(key.error());
    spec.keys.push_back(*key);
  }
  auto delegation = read_file(a.delegation, kMaxDelegationBytes);
  if (!delegation) return report(delegation.error());
  spec.delegation = std::move(*delegation);
  spec.check_signers = !a.unchecked;
  st = create_bundle(spec, a.output);
  if (!st.ok()) return report(st.error());
  std::printf("bundle %s: %s version %llu, %zu file(s), %zu golden case(s), %zu signature(s)\n",
              a.output.c_str(), m.name.c_str(), static_cast<unsigned long long>(m.version),
              spec.files.size(), m.golden.size(), spec.keys.size());
  return 0;
}

}  // namespace

void add_bundle_command(CLI::App& app, int& exit_code) {
  CLI::App* bundle = app.add_subcommand("bundle", "Signed model bundles for devices");
  bundle->require_subcommand(1);

  auto d = std::make_shared<DelegateArgs>();
  CLI::App* del = bundle->add_subcommand(
      "delegate", "Root-sign the list of keys that may sign bundles (rotation, revocation)");
  del->add_option("--root", d->root, "the root's secret key (NAME.key)")->required();
  del->add_option("--key", d->keys, "a signing key's NAME.pub; repeatable")->required();
  del->add_option("--threshold", d->threshold, "distinct signatures a bundle needs (default 1)");
  del->add_option("--version", d->version, "delegation version; raise it for every new one")
      ->required();
  del->add_option("--expires", d->expires, "30d, 12h, 90m, 3600s or @UNIX (default 365d)");
  del->add_option("--revoke", d->revoke, "a revoked key: its id or its .pub; repeatable");
  del->add_option("--now", d->now, "Unix seconds to count --expires from (default: the clock)");
  del->add_option("-o,--output", d->output, "the delegation document (JSON)")->required();
  del->callback([d, &exit_code]() { exit_code = delegate(*d); });

  auto c = std::make_shared<CreateArgs>();
  CLI::App* cr = bundle->add_subcommand("create", "Make a signed bundle: model + golden vectors");
  cr->add_option("--model", c->model, "the .ledge artifact")->required();
  cr->add_option("--version", c->version, "bundle version; devices install only newer ones")
      ->required();
  cr->add_option("--golden", c->golden, "folder of case<N>.input|output.<tensor>.npy files")
      ->required();
  cr->add_option("--key", c->keys, "a signing key's NAME.key; repeatable")->required();
  cr->add_option("--delegation", c->delegation, "the root-signed delegation")->required();
  cr->add_option("--name", c->name, "model name (default: the model file's stem)");
  cr->add_option("--expires", c->expires, "30d, 12h, 90m, 3600s or @UNIX (default 30d)");
  cr->add_option("--cpu-features", c->cpu_features, "required CPU features, e.g. avx2,fma")
      ->delimiter(',');
  cr->add_option("--min-runtime", c->min_runtime, "oldest runtime version that may run it");
  cr->add_option("--latency-budget-ms", c->latency_budget_ms, "health check median budget");
  cr->add_option("--preprocess", c->preprocess,
                 "how devices turn raw frames into the model's input (docs/data.md spec), "
                 "as validation did; ledge stream --model agent:DIR applies it");
  cr->add_option("--atol", c->atol, "golden absolute tolerance (default 1e-4)");
  cr->add_option("--rtol", c->rtol, "golden relative tolerance (default 1e-3)");
  cr->add_option("--now", c->now, "Unix seconds to count --expires from (default: the clock)");
  cr->add_flag("--unchecked", c->unchecked,
               "write it even if its signers do not satisfy the delegation (to test devices)");
  cr->add_option("-o,--output", c->output, "the bundle file")->required();
  cr->callback([c, &exit_code]() { exit_code = create(*c); });

  add_bundle_verify_commands(*bundle, exit_code);
}

}  // namespace ledge::cli
