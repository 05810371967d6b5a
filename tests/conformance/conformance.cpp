// Runs the ONNX backend test suite (Debian's libonnx-testdata) through the importer and the
// reference executor, and compares with the expected outputs.
//
//   ledge_conformance --data /usr/share/libonnx-testdata/data
//                     [--expected tests/conformance/expected_passes.txt]
//                     [--write-expected FILE] [--filter SUBSTRING] [--verbose]
//                     [--optimize] [--via-artifact]
//
// --optimize runs the graph passes on each model (checking the graph after every pass) and
// writes and re-reads it as ONNX before running it: the same tests must pass.
//
// --via-artifact writes each imported model to a .ledge artifact and runs the model loaded
// back from it, so the same expected passes check the artifact's round trip.
// Each test ends as passed, failed (wrong numbers or an error other than "unsupported")
// or unsupported. With --expected, any listed test that does not pass is a regression and
// the exit status is 1. The last line is "N passed, N failed, N skipped".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "artifact/artifact.h"
#include "onnx/export.h"
#include "passes/optimize.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace fs = std::filesystem;
using namespace ledge;

namespace {

enum class Outcome { kPassed, kFailed, kUnsupported };

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

// Tests whose reference outputs need a looser tolerance, with the reason.
Tolerance tolerance_for(const std::string& test) {
  Tolerance t;
  // Accumulations over long sequences or float16 data round differently.
  if (test.find("fp16") != std::string::npos || test.find("float16") != std::string::npos ||
      test.find("FLOAT16") != std::string::npos)
    t = {1e-2, 1e-3};
  return t;
}

// Tests whose data contradicts their own model in ONNX 1.12; they fail in ledge by following
// the specification, and are reported with the reason instead of being hidden.
const char* known_bad_data(const std::string& id) {
  static const std::map<std::string, const char*> kBad = {
      {"node/test_castlike_BFLOAT16_to_FLOAT", "input 'like' is declared 3x4 but stored as [1]"},
      {"node/test_castlike_BFLOAT16_to_FLOAT_expanded",
       "input 'like' is declared 3x4 but stored as [1]"},
      {"node/test_castlike_FLOAT_to_BFLOAT16", "input 'like' is declared 3x4 but stored as [1]"},
      {"node/test_castlike_FLOAT_to_BFLOAT16_expanded",
       "input 'like' is declared 3x4 but stored as [1]"},
      {"node/test_adam_multiple",
       "expected outputs use epsilon=1e-2, the node leaves the default 1e-6"},
  };
  auto it = kBad.find(id);
  return it == kBad.end() ? nullptr : it->second;
}

std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<int, fs::path>> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".pb")
      files.emplace_back(std::atoi(name.c_str() + prefix.size()), e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<fs::path> out;
  for (auto& f : files) out.push_back(f.second);
  return out;
}

// Returns "" when equal, else a description of the first mismatch.
std::string compare(const Tensor& got, const Tensor& want, const Tolerance& tol) {
  if (got.dtype() != want.dtype())
    return "dtype " + std::string(dtype_name(got.dtype())) +
           " != " + std::string(dtype_name(want.dtype()));
  if (got.shape() != want.shape())
    return "shape " + shape_to_string(got.shape()) + " != " + shape_to_string(want.shape());
  const bool is_float = dtype_is_float(got.dtype());
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (is_float) {
      const double g = got.as_double(i), w = want.as_double(i);
      if (std::isnan(w) && std::isnan(g)) continue;
      if (std::isinf(w) && g == w) continue;
      if (!(std::fabs(g - w) <= tol.atol + tol.rtol * std::fabs(w)))
        return "element " + std::to_string(i) + ": " + std::to_string(g) +
               " != " + std::to_string(w);
    } else if (got.as_int64(i) != want.as_int64(i) ||
               (got.dtype() == DType::kUInt64 &&
                got.data<uint64_t>()[i] != want.data<uint64_t>()[i])) {
      return "element " + std::to_string(i) + ": " + std::to_string(got.as_int64(i)) +
             " != " + std::to_string(want.as_int64(i));
    }
  }
  return "";
}

// ONNX 1.12's backend test data stores bfloat16 tensors as uint16 holding the same bits;
// read them as the type the model declares.
Tensor as_declared(Tensor t, DType declared) {
  if (declared != DType::kBFloat16 || t.dtype() != DType::kUInt16) return t;
  auto r = Tensor::make(DType::kBFloat16, t.shape());
  if (!r) return t;
  std::memcpy(r->raw(), t.raw(), t.nbytes());
  return std::move(*r);
}

DType declared_type(const std::vector<ValueInfo>& values, const std::string& name) {
  for (const auto& v : values)
    if (v.name == name) return v.type.dtype;
  return DType::kUndefined;
}

// Imports the test's model; with `artifact_dir`, writes it as a .ledge artifact there and
// returns the model loaded back from it, and the imported one as `reference`.
Expected<std::shared_ptr<Model>> load_test_model(const fs::path& dir,
                                                 const std::string& artifact_dir,
                                                 std::shared_ptr<Model>& reference) {
  auto model = import_onnx_file((dir / "model.onnx").string());
  if (!model || artifact_dir.empty()) return model;
  // One file for every test: an atomic write replaces it, and a model still mapping the
  // previous one keeps that file's data.
  const std::string path = (fs::path(artifact_dir) / "model.ledge").string();
  LEDGE_TRY(write_artifact(**model, path));
  reference = *model;
  return load_artifact(path);
}

// Optimizes the model in place, then exports and re-imports it.
Expected<std::shared_ptr<Model>> optimized(Model& model, const fs::path& dir) {
  OptimizeOptions options;
  options.check = true;
  LEDGE_TRY(optimize_model(model, options));
  LEDGE_ASSIGN(std::string bytes, export_onnx_bytes(model));
  return import_onnx_bytes(bytes.data(), bytes.size(), dir.string());
}

// "" when both runs gave the same bytes.
std::string compare_exactly(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  if (got.size() != want.size()) return "a different number of outputs";
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i].dtype() != want[i].dtype() || got[i].shape() != want[i].shape() ||
        (got[i].nbytes() && std::memcmp(got[i].raw(), want[i].raw(), got[i].nbytes()) != 0))
      return "output " + std::to_string(i) + " differs";
  return "";
}

Outcome run_test(const fs::path& dir, const std::string& artifact_dir, bool optimize,
                 std::string& why) {
  std::shared_ptr<Model> reference;
  auto model = load_test_model(dir, artifact_dir, reference);
  if (!model) {
    why = model.error().message();
    return model.error().code() == ErrorCode::kUnsupported ? Outcome::kUnsupported
                                                           : Outcome::kFailed;
  }
  if (optimize) {
    model = optimized(**model, dir);
    if (!model) {
      why = "optimize: " + model.error().message();
      return Outcome::kFailed;
    }
  }
  auto session = Session::create(*model);
  if (!session) {
    why = session.error().message();
    return session.error().code() == ErrorCode::kUnsupported ? Outcome::kUnsupported
                                                             : Outcome::kFailed;
  }
  const Tolerance tol = tolerance_for(dir.filename().string());
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) {
    why = "no test data";
    return Outcome::kUnsupported;
  }
  const auto& graph = (*model)->graph;  // as written: the session may have rewritten its copy
  for (const auto& set : sets) {
    std::map<std::string, Tensor> feeds;
    auto inputs = numbered_files(set, "input_");
    // Inputs are numbered in the order of the graph's inputs that are not initializers,
    // except that some tests also feed initializer-backed inputs: match by position in
    // the full list when the counts say so.
    std::vector<std::string> names;
    for (const auto& in : graph.inputs)
      if (!graph.initializers.count(in.name)) names.push_back(in.name);
    if (inputs.size() != names.size()) {
      names.clear();
      for (const auto& in : graph.inputs) names.push_back(in.name);
    }
    if (inputs.size() > names.size()) {
      why = "more input files than model inputs";
      return Outcome::kFailed;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto t = read_tensor_pb(inputs[i].string());
      if (!t) {
        why = t.error().message();
        return t.error().code() == ErrorCode::kUnsupported ? Outcome::kUnsupported
                                                           : Outcome::kFailed;
      }
      feeds[names[i]] = as_declared(std::move(*t), declared_type(graph.inputs, names[i]));
    }
    auto outputs = (*session)->run(feeds);
    if (!outputs) {
      why = outputs.error().message();
      return outputs.error().code() == ErrorCode::kUnsupported ? Outcome::kUnsupported
                                                               : Outcome::kFailed;
    }
    // Through an artifact, the outputs must be those of the imported model, bit for bit.
    if (reference) {
      auto ref_session = Session::create(reference);
      auto want = ref_session ? (*ref_session)->run(feeds)
                              : Expected<std::vector<Tensor>>(ref_session.error());
      const std::string diff = want ? compare_exactly(*outputs, *want) : "";
      if (want && !diff.empty()) {
        why = "through the artifact, " + diff + " from the imported model's";
        return Outcome::kFailed;
      }
    }
    auto expected = numbered_files(set, "output_");
    if (expected.size() != outputs->size()) {
      why = "produced " + std::to_string(outputs->size()) + " outputs, expected " +
            std::to_string(expected.size());
      return Outcome::kFailed;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      auto want = read_tensor_pb(expected[i].string());
      if (!want) {
        why = want.error().message();
        return want.error().code() == ErrorCode::kUnsupported ? Outcome::kUnsupported
                                                              : Outcome::kFailed;
      }
      const DType declared =
          i < graph.outputs.size() ? graph.outputs[i].type.dtype : DType::kUndefined;
      std::string diff = compare((*outputs)[i], as_declared(std::move(*want), declared), tol);
      if (!diff.empty()) {
        why = "output " + std::to_string(i) + ": " + diff;
        return Outcome::kFailed;
      }
    }
  }
  return Outcome::kPassed;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "/usr/share/libonnx-testdata/data";
  std::string expected_file, write_file, filter;
  bool verbose = false, via_artifact = false, optimize = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--data")
      data = next();
    else if (a == "--expected")
      expected_file = next();
    else if (a == "--write-expected")
      write_file = next();
    else if (a == "--filter")
      filter = next();
    else if (a == "--verbose" || a == "-v")
      verbose = true;
    else if (a == "--via-artifact")
      via_artifact = true;
    else if (a == "--optimize")
      optimize = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (!fs::is_directory(data)) {
    std::fprintf(stderr, "no test data at %s (install libonnx-testdata)\n", data.c_str());
    return 2;
  }
  std::string artifact_dir;
  if (via_artifact) {
    std::string pattern = (fs::temp_directory_path() / "ledge_conformance_XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::fprintf(stderr, "cannot create a temporary folder for the artifacts\n");
      return 2;
    }
    artifact_dir = pattern;
  }
  const char* kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
  std::set<std::string> passed_names;
  std::map<std::string, std::array<int, 3>> counts;
  int total[3] = {0, 0, 0};
  for (const char* suite : kSuites) {
    const fs::path root = fs::path(data) / suite;
    if (!fs::is_directory(root)) continue;
    std::vector<fs::path> tests;
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory()) tests.push_back(e.path());
    std::sort(tests.begin(), tests.end());
    for (const auto& t : tests) {
      const std::string id = std::string(suite) + "/" + t.filename().string();
      if (!filter.empty() && id.find(filter) == std::string::npos) continue;
      std::string why;
      const Outcome o = run_test(t, artifact_dir, optimize, why);
      const int k = static_cast<int>(o);
      ++counts[suite][k];
      ++total[k];
      if (o == Outcome::kPassed) passed_names.insert(id);
      if (o == Outcome::kFailed && known_bad_data(id)) {
        std::printf("FAIL       %s: known defect in the test data: %s\n", id.c_str(),
                    known_bad_data(id));
        continue;
      }
      if (verbose || (o == Outcome::kFailed && !filter.empty()))
        std::printf("%-10s %s%s%s\n",
                    o == Outcome::kPassed   ? "PASS"
                    : o == Outcome::kFailed ? "FAIL"
                                            : "UNSUPPORTED",
                    id.c_str(), why.empty() ? "" : ": ", why.c_str());
    }
  }
  if (!artifact_dir.empty()) {
    std::error_code ec;
    fs::remove_all(artifact_dir, ec);
  }
  for (const auto& [suite, c] : counts)
    std::printf("%-18s passed %4d  failed %4d  unsupported %4d\n", suite.c_str(), c[0], c[1], c[2]);

  int regressions = 0;
  if (!expected_file.empty()) {
    std::ifstream in(expected_file);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", expected_file.c_str());
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (!filter.empty() && line.find(filter) == std::string::npos) continue;
      if (!passed_names.count(line)) {
        std::printf("REGRESSION %s\n", line.c_str());
        ++regressions;
      }
    }
  }
  if (!write_file.empty()) {
    std::ofstream out(write_file);
    out << "# ONNX backend tests that must pass; written by ledge_conformance --write-expected\n";
    for (const auto& n : passed_names) out << n << "\n";
  }
  std::printf("conformance: %d passed, %d failed, %d unsupported, %d regressions\n", total[0],
              total[1], total[2], regressions);
  return regressions ? 1 : 0;
}
