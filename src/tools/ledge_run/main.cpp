// ledge-run: the device runner. Loads a .ledge artifact, runs it on .npy inputs, writes .npy
// outputs. It links only the artifact loader, the runtime and .npy I/O (no protobuf, no ONNX,
// no CLI library), so that it stays small and can be linked statically.
//
//   ledge-run model.ledge --input x=x.npy [--output-dir out] [--iterations 100]
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "artifact/artifact.h"
#include "io/npy.h"
#include "runtime/session.h"

namespace {

using namespace ledge;

constexpr const char* kUsage =
    "usage: ledge-run MODEL.ledge [options]\n"
    "  --input NAME=FILE.npy   an input tensor; repeat for each input\n"
    "  --output-dir DIR        write each output to DIR/<name>.npy\n"
    "  --shape NAME=DIMS       fix a dynamic input shape (like 1x3x224x224)\n"
    "  --iterations N          run N more times and print the time per run\n"
    "  --threads N             worker threads (default 1)\n"
    "  --no-verify             skip the checksum of the file (faster load)\n";

struct Args {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;
  std::map<std::string, Shape> shapes;
  std::string output_dir;
  long iterations = 0;
  int threads = 1;
  bool verify = true;
};

// Exit codes as in the ledge CLI: 2 invalid argument, 3 invalid model, 4 unsupported,
// 5 I/O, 6 resource limit, 70 internal error.
int report(const Error& e) {
  std::string msg = e.message();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::fprintf(stderr, "ledge-run: %s: %s\n", error_code_name(e.code()), msg.c_str());
  return exit_code_for(e.code());
}

Expected<std::pair<std::string, std::string>> split_assignment(const std::string& flag,
                                                               const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return invalid_argument(flag + " expects NAME=VALUE, got '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Expected<long> parse_count(const std::string& flag, const std::string& text, long min) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > 1000000000)
    return invalid_argument(flag + " expects a whole number of at least " + std::to_string(min) +
                            ", got '" + text + "'");
  return v;
}

Expected<Args> parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool takes_value = flag == "--input" || flag == "--output-dir" || flag == "--shape" ||
                             flag == "--iterations" || flag == "--threads";
    if (takes_value && i + 1 >= argc) return invalid_argument(flag + " needs a value");
    const std::string value = takes_value ? argv[++i] : "";
    if (flag == "--input") {
      LEDGE_ASSIGN(auto kv, split_assignment(flag, value));
      a.inputs.push_back(std::move(kv));
    } else if (flag == "--shape") {
      LEDGE_ASSIGN(auto kv, split_assignment(flag, value));
      auto shape = parse_shape(kv.second);
      if (!shape) return std::move(shape).error().with_context("--shape " + value);
      a.shapes[kv.first] = std::move(*shape);
    } else if (flag == "--output-dir") {
      a.output_dir = value;
    } else if (flag == "--iterations") {
      LEDGE_ASSIGN(a.iterations, parse_count(flag, value, 0));
    } else if (flag == "--threads") {
      LEDGE_ASSIGN(long t, parse_count(flag, value, 1));
      a.threads = static_cast<int>(std::min(t, 1024L));
    } else if (flag == "--no-verify") {
      a.verify = false;
    } else if (!flag.empty() && flag[0] == '-') {
      return invalid_argument("unknown option " + flag);
    } else if (a.model.empty()) {
      a.model = flag;
    } else {
      return invalid_argument("more than one model given ('" + a.model + "', '" + flag + "')");
    }
  }
  if (a.model.empty()) return invalid_argument("no model given");
  return a;
}

// A file name for a tensor name: characters outside [A-Za-z0-9_.-] become '_' (as ledge run).
std::string file_name_for(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s + ".npy";
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

int run(const Args& a) {
  const auto load_start = std::chrono::steady_clock::now();
  LoadOptions load_options;
  load_options.verify_checksum = a.verify;
  auto model = load_artifact(a.model, load_options);
  if (!model) return report(model.error());
  SessionOptions options;
  options.shape_overrides = a.shapes;
  options.threads = a.threads;
  auto session = Session::create(*model, options);
  if (!session) return report(std::move(session).error().with_context(a.model));
  const double load_ms = ms_since(load_start);

  std::map<std::string, Tensor> feeds;
  for (const auto& [name, file] : a.inputs) {
    auto t = read_npy(file);
    if (!t) return report(t.error());
    feeds[name] = std::move(*t);
  }
  for (const auto& in : (*session)->inputs())
    if (!feeds.count(in.name))
      return report(invalid_argument("input '" + in.name + "' (" + in.type.to_string() +
                                     ") was not given: add --input " + in.name + "=FILE.npy"));

  const auto first_start = std::chrono::steady_clock::now();
  auto outputs = (*session)->run(feeds);
  if (!outputs) return report(std::move(outputs).error().with_context(a.model));
  const double first_ms = ms_since(first_start);

  if (!a.output_dir.empty() && ::mkdir(a.output_dir.c_str(), 0777) != 0 && errno != EEXIST)
    return report(io_error(a.output_dir + ": " + std::strerror(errno)));
  const auto& infos = (*session)->outputs();
  for (size_t i = 0; i < outputs->size(); ++i) {
    const Tensor& t = (*outputs)[i];
    std::string file;
    if (!a.output_dir.empty()) {
      file = a.output_dir + "/" + file_name_for(infos[i].name);
      Status st = write_npy(file, t);
      if (!st.ok()) return report(st.error());
    }
    std::printf("%s: %s[%s]%s%s\n", infos[i].name.c_str(),
                std::string(dtype_name(t.dtype())).c_str(), shape_to_string(t.shape()).c_str(),
                file.empty() ? "" : " -> ", file.c_str());
  }

  if (a.iterations > 0) {
    double total = 0, best = 0;
    for (long i = 0; i < a.iterations; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto again = (*session)->run(feeds);
      const double ms = ms_since(start);
      if (!again) return report(std::move(again).error().with_context(a.model));
      total += ms;
      best = i == 0 ? ms : std::min(best, ms);
    }
    std::printf("time: load %.3f ms, first run %.3f ms, %ld runs: mean %.3f ms, min %.3f ms\n",
                load_ms, first_ms, a.iterations, total / static_cast<double>(a.iterations), best);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  auto args = parse_args(argc, argv);
  if (!args) return report(Error(args.error().code(), args.error().message() + " (see --help)"));
  return run(*args);
}
