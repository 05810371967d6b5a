// ledge-artifact-bench MODEL.onnx [RUNS]: how long loading takes from ONNX and from .ledge.
//
// Compiles MODEL.onnx to a temporary .ledge file, then loads each RUNS times (default 20)
// and prints the median and minimum of: the ONNX import, the artifact load with and without
// the checksum, and session creation on each loaded model. The file is in the page cache
// (it was just read or written): these are warm-cache numbers.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "artifact/artifact.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace {

using namespace ledge;

struct Timing {
  double median_ms = 0, min_ms = 0;
};

// Runs `step` `runs` times; a failing step ends the program with its error.
Timing measure(int runs, const std::function<Status()>& step) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    Status st = step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!st.ok()) {
      std::fprintf(stderr, "ledge-artifact-bench: %s\n", st.error().message().c_str());
      std::exit(1);
    }
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

void print(const char* what, const Timing& t) {
  std::printf("  %-34s median %9.3f ms   min %9.3f ms\n", what, t.median_ms, t.min_ms);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ledge-artifact-bench MODEL.onnx [RUNS]\n");
    return 2;
  }
  const std::string onnx_path = argv[1];
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;
  const std::string artifact_path = (std::filesystem::temp_directory_path() /
                                     ("ledge_bench_" + std::to_string(::getpid()) + ".ledge"))
                                        .string();
  auto model = import_onnx_file(onnx_path);
  if (!model) {
    std::fprintf(stderr, "ledge-artifact-bench: %s\n", model.error().message().c_str());
    return 1;
  }
  Status st = write_artifact(**model, artifact_path);
  if (!st.ok()) {
    std::fprintf(stderr, "ledge-artifact-bench: %s\n", st.error().message().c_str());
    return 1;
  }
  std::printf("%s: %.2f MB ONNX, %.2f MB artifact, %zu nodes; %d runs each (warm cache)\n",
              onnx_path.c_str(), static_cast<double>(std::filesystem::file_size(onnx_path)) / 1e6,
              static_cast<double>(std::filesystem::file_size(artifact_path)) / 1e6,
              (*model)->graph.nodes.size(), runs);

  std::shared_ptr<Model> loaded;
  auto keep = [&](Expected<std::shared_ptr<Model>> m) -> Status {
    if (!m) return std::move(m).error();
    loaded = std::move(*m);
    return Status();
  };
  LoadOptions no_checksum;
  no_checksum.verify_checksum = false;
  print("ONNX import", measure(runs, [&] { return keep(import_onnx_file(onnx_path)); }));
  print("artifact load (checksum)",
        measure(runs, [&] { return keep(load_artifact(artifact_path)); }));
  print("artifact load (no checksum)",
        measure(runs, [&] { return keep(load_artifact(artifact_path, no_checksum)); }));
  auto create = [&](const std::function<Expected<std::shared_ptr<Model>>()>& load) {
    return measure(runs, [&]() -> Status {
      LEDGE_TRY(keep(load()));
      auto s = Session::create(loaded);
      return s ? Status() : Status(std::move(s).error());
    });
  };
  print("ONNX import + Session::create", create([&] { return import_onnx_file(onnx_path); }));
  print("artifact load + Session::create", create([&] { return load_artifact(artifact_path); }));
  std::filesystem::remove(artifact_path);
  return 0;
}
