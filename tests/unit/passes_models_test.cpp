// The passes on real architectures: every interop model (tests/interop/make_models.py, made by
// the `interop` test into <build>/interop/models, or the folder named by LEDGE_INTEROP_MODELS)
// is optimized, written as ONNX and read back, and must compute what the original computes on
// its stored inputs. Skipped when the models have not been generated.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/npy.h"
#include "model_builder.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "passes/optimize.h"

namespace ledge {
namespace {

namespace fs = std::filesystem;

fs::path models_dir() {
  if (const char* env = std::getenv("LEDGE_INTEROP_MODELS")) return env;
  return fs::path(LEDGE_BINARY_DIR) / "interop" / "models";
}

TEST(PassesRealModels, OptimizedModelsComputeTheSame) {
  const fs::path dir = models_dir();
  std::ifstream manifest(dir / "manifest.txt");
  if (!manifest) GTEST_SKIP() << "no interop models in " << dir << " (run ctest -R interop)";
  std::string line;
  int models = 0;
  while (std::getline(manifest, line)) {
    std::istringstream in(line);
    std::string name, file, spec;
    if (!(in >> name >> file)) continue;
    SCOPED_TRACE(name);
    std::map<std::string, Tensor> feeds;
    while (in >> spec) {
      const size_t eq = spec.find('=');
      ASSERT_NE(eq, std::string::npos);
      auto t = read_npy((dir / spec.substr(eq + 1)).string());
      ASSERT_TRUE(t.ok()) << t.error().message();
      feeds[spec.substr(0, eq)] = *t;
    }
    auto original = import_onnx_file((dir / file).string());
    ASSERT_TRUE(original.ok()) << original.error().message();
    auto want = testing::run_model(**original, feeds);
    ASSERT_TRUE(want.ok()) << want.error().message();

    auto model = testing::clone_model(**original);
    OptimizeOptions options;
    options.check = true;
    auto report = optimize_model(*model, options);
    ASSERT_TRUE(report.ok()) << report.error().message();
    auto bytes = export_onnx_bytes(*model);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message();
    auto again = import_onnx_bytes(bytes->data(), bytes->size(), "");
    ASSERT_TRUE(again.ok()) << again.error().message();
    auto got = testing::run_model(**again, feeds);
    ASSERT_TRUE(got.ok()) << got.error().message();
    testing::expect_same_outputs(*want, *got, 1e-4, 1e-5);
    std::printf("%-22s nodes %4lld -> %4lld\n", name.c_str(),
                static_cast<long long>(report->nodes_before),
                static_cast<long long>(report->nodes_after));
    ++models;
  }
  EXPECT_GT(models, 0);
}

}  // namespace
}  // namespace ledge
