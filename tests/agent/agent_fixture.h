// A device in a test: keys, a delegation, the example Fashion-MNIST model compiled to an
// artifact with golden vectors computed by the runtime itself, and bundles made from them
// (good ones, one whose golden outputs are wrong, a tampered one).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "../common/temp_dir.h"
#include "agent/agent.h"
#include "artifact/artifact.h"
#include "core/file.h"
#include "deploy/bundle.h"
#include "deploy/delegation.h"
#include "deploy/event_sink.h"
#include "deploy/manifest_json.h"
#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace ledge::agent::testing {

inline std::string example_dir() {
  return std::string(LEDGE_SOURCE_DIR) + "/examples/fashion_mnist";
}

using ledge::testing::TempDir;

// The model, its golden files, and signing keys; shared by every test (built once).
struct Materials {
  deploy::KeyPair root, signer;
  std::string delegation;
  std::string model_bytes;
  std::string golden_input, golden_output, wrong_output;

  static const Materials& get() {
    static const Materials m = make();
    return m;
  }

 private:
  static Materials make() {
    Materials m;
    m.root = *deploy::generate_key_pair();
    m.signer = *deploy::generate_key_pair();
    deploy::Delegation d;
    d.version = 1;
    d.expires_at = 4102444800;  // 2100
    d.threshold = 1;
    d.keys = {m.signer.public_key};
    m.delegation = *deploy::sign_delegation(d, m.root.secret);
    auto model = import_onnx_file(example_dir() + "/model.onnx");
    EXPECT_TRUE(model.ok());
    m.model_bytes = *serialize_artifact(**model);
    auto loaded = load_artifact_bytes(m.model_bytes.data(), m.model_bytes.size());
    auto session = Session::create(*loaded);
    Tensor in = *read_npy(example_dir() + "/sample_0.npy");
    auto out = (*session)->run({{(*session)->inputs()[0].name, in}});
    m.golden_input = *serialize_npy(in);
    m.golden_output = *serialize_npy((*out)[0]);
    Tensor wrong = (*out)[0];
    Tensor copy = *Tensor::make(wrong.dtype(), wrong.shape());
    for (int64_t i = 0; i < copy.numel(); ++i) copy.data<float>()[i] = wrong.data<float>()[i] + 1;
    m.wrong_output = *serialize_npy(copy);
    return m;
  }
};

enum class BundleKind { kGood, kWrongGolden, kTampered };

// Writes a bundle of `version` to `path`.
inline void write_bundle(const std::string& path, uint64_t version,
                         BundleKind kind = BundleKind::kGood) {
  const Materials& mat = Materials::get();
  deploy::BundleSpec s;
  s.manifest.name = "fashion";
  s.manifest.version = version;
  s.manifest.expires_at = 4102444800;
  s.manifest.model = "model.ledge";
  s.manifest.min_runtime_version = "0.0.1";
  deploy::GoldenVector g;
  g.inputs["image"] = "case0.input.image.npy";
  g.outputs["logits"] = "case0.output.logits.npy";
  s.manifest.golden = {g};
  s.files = {{"model.ledge", mat.model_bytes},
             {"case0.input.image.npy", mat.golden_input},
             {"case0.output.logits.npy",
              kind == BundleKind::kWrongGolden ? mat.wrong_output : mat.golden_output}};
  s.keys = {mat.signer.secret};
  s.delegation = mat.delegation;
  ASSERT_TRUE(deploy::create_bundle(s, path).ok());
  if (kind == BundleKind::kTampered) {  // one bit of the model, after signing
    std::string bytes = *read_file(path);
    bytes[bytes.size() / 2] ^= 1;
    ASSERT_TRUE(write_file(path, bytes.data(), bytes.size()).ok());
  }
}

inline AgentOptions agent_options(const std::string& state_dir, deploy::EventSink* events) {
  AgentOptions o;
  o.state_dir = state_dir;
  o.trust = deploy::TrustRoot{Materials::get().root.public_key};
  o.events = events;
  o.health.runs_per_case = 1;
  o.log = [](const std::string&) {};
  return o;
}

// Whether the active model loads and reproduces its golden output: the device can serve.
inline ::testing::AssertionResult runnable_model_active(const Agent& agent) {
  auto active = agent.active();
  if (!active) return ::testing::AssertionFailure() << active.error().message();
  if (!*active) return ::testing::AssertionFailure() << "no model is active";
  const std::string dir = agent.slots().slot_dir((*active)->slot);
  auto text = read_file(dir + "/manifest.json");
  if (!text) return ::testing::AssertionFailure() << "no manifest in slot " << (*active)->slot;
  auto m = deploy::manifest_from_json(*text);
  if (!m) return ::testing::AssertionFailure() << m.error().message();
  auto report = health_check(dir, *m, {1, 1});
  if (!report || !report->passed)
    return ::testing::AssertionFailure()
           << "active slot " << (*active)->slot
           << " fails its health check: " << (report ? report->reason : report.error().message());
  return ::testing::AssertionSuccess() << "version " << (*active)->version;
}

}  // namespace ledge::agent::testing
