#include "deploy/golden_dir.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/file.h"
#include "io/npy.h"

namespace ledge::deploy {

namespace {

constexpr size_t kMaxGoldenFiles = 1024;
constexpr size_t kMaxGoldenFileBytes = size_t{256} << 20;

struct ParsedName {
  uint64_t case_index = 0;
  bool input = false;
  std::string tensor;
};

// "case12.output.logits.npy" -> {12, false, "logits"}.
bool parse_name(const std::string& name, ParsedName& out) {
  if (name.rfind("case", 0) != 0 || name.size() < 9 || name.substr(name.size() - 4) != ".npy")
    return false;
  size_t i = 4;
  uint64_t n = 0;
  const size_t digits_begin = i;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && i - digits_begin < 6)
    n = n * 10 + static_cast<uint64_t>(name[i++] - '0');
  if (i == digits_begin) return false;
  const std::string rest = name.substr(i, name.size() - 4 - i);  // ".input.x" / ".output.x"
  for (const auto& [prefix, is_input] : {std::pair{".input.", true}, {".output.", false}})
    if (rest.rfind(prefix, 0) == 0 && rest.size() > std::string(prefix).size()) {
      out = {n, is_input, rest.substr(std::string(prefix).size())};
      return true;
    }
  return false;
}

}  // namespace

Expected<GoldenDir> read_golden_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return io_error(dir + ": cannot list: " + ec.message());
  std::map<uint64_t, GoldenVector> cases;
  GoldenDir out;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    ParsedName p;
    if (!entry.is_regular_file() || !parse_name(name, p) || !safe_file_name(name))
      return invalid_argument(dir + ": '" + name +
                              "' is not named case<N>.input.<tensor>.npy or "
                              "case<N>.output.<tensor>.npy");
    if (out.files.size() == kMaxGoldenFiles)
      return resource_limit(dir + ": more than " + std::to_string(kMaxGoldenFiles) + " files");
    LEDGE_ASSIGN(std::string data, read_file(entry.path().string(), kMaxGoldenFileBytes));
    auto tensor = parse_npy(data.data(), data.size());
    if (!tensor) return tensor.error().with_context(entry.path().string());
    (p.input ? cases[p.case_index].inputs : cases[p.case_index].outputs)[p.tensor] = name;
    out.files.push_back({name, std::move(data)});
  }
  // Directory order is the file system's; bundles must not depend on it.
  std::sort(out.files.begin(), out.files.end(),
            [](const BundleFile& a, const BundleFile& b) { return a.name < b.name; });
  if (cases.empty()) return invalid_argument(dir + ": no golden vectors");
  for (auto& [index, c] : cases) {
    if (c.inputs.empty() || c.outputs.empty())
      return invalid_argument(dir + ": case" + std::to_string(index) +
                              " needs at least one input and one output");
    out.cases.push_back(std::move(c));
  }
  return out;
}

}  // namespace ledge::deploy
