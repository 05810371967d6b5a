#include "data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/file.h"
#include "data/image_decode.h"
#include "data/image_folder.h"
#include "data/preprocess.h"
#include "io/idx.h"
#include "io/npy.h"
#include "onnx/import.h"

namespace ledge {

namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One file's tensor, as stored.
Expected<Tensor> read_tensor_file(const std::string& path) {
  if (ends_with(path, ".npy")) return read_npy(path);
  if (ends_with(path, ".pb")) return read_tensor_pb(path);
  return read_idx(path);  // IDX has no customary extension; its reader checks the magic
}

// float32 as stored; integers times the scale; anything else is refused.
Expected<Tensor> to_float(const Tensor& t, const DatasetOptions& o, const std::string& path) {
  if (t.dtype() == DType::kFloat32) return t;
  if (!dtype_is_int(t.dtype()) && t.dtype() != DType::kFloat64)
    return invalid_argument(path + ": samples of type " + std::string(dtype_name(t.dtype())) +
                            " (expected float32, float64 or integers)");
  LEDGE_ASSIGN(Tensor f, Tensor::make(DType::kFloat32, t.shape()));
  float* out = f.data<float>();
  const bool scale = dtype_is_int(t.dtype());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const auto v = static_cast<float>(t.as_double(i));
    out[i] = scale ? v * o.scale_num / o.scale_den : v;
  }
  return f;
}

// The files of a folder that hold tensors, sorted by name.
Expected<std::vector<std::string>> tensor_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string p = it->path().string();
    if (it->is_regular_file(ec) && (ends_with(p, ".npy") || ends_with(p, ".pb")))
      files.push_back(p);
  }
  if (ec) return io_error(dir + ": " + ec.message());
  if (files.empty())
    return invalid_argument(dir + ": no .npy, .pb, .png, .jpg or .jpeg files in the folder");
  std::sort(files.begin(), files.end());
  return files;
}

// Stacks one tensor per file: files of shape [1, ...] (a batch of one) are joined along their
// first axis, others gain one. All files must agree.
Expected<Tensor> stack(const std::vector<Tensor>& parts, const std::vector<std::string>& names) {
  const Shape& first = parts[0].shape();
  for (size_t i = 1; i < parts.size(); ++i)
    if (parts[i].shape() != first)
      return invalid_argument(names[i] + " has shape " + shape_to_string(parts[i].shape()) + ", " +
                              names[0] + " " + shape_to_string(first) +
                              ": the samples of a folder must all have one shape");
  Shape shape = first;
  const auto n = static_cast<int64_t>(parts.size());
  if (!shape.empty() && shape[0] == 1)
    shape[0] = n;
  else
    shape.insert(shape.begin(), n);
  LEDGE_ASSIGN(Tensor all, Tensor::make(DType::kFloat32, shape));
  const size_t bytes = parts[0].nbytes();
  for (size_t i = 0; i < parts.size(); ++i)
    std::memcpy(static_cast<uint8_t*>(all.raw()) + i * bytes, parts[i].raw(), bytes);
  return all;
}

Expected<Tensor> slice_rows(const Tensor& t, int64_t first, int64_t count) {
  if (first < 0 || count < 0 || first + count > t.dim(0))
    return invalid_argument("samples [" + std::to_string(first) + ", " +
                            std::to_string(first + count) + ") out of range: the data set has " +
                            std::to_string(t.dim(0)));
  Shape shape = t.shape();
  shape[0] = count;
  LEDGE_ASSIGN(Tensor out, Tensor::make(t.dtype(), shape));
  const size_t row = count > 0 ? out.nbytes() / static_cast<size_t>(count) : 0;
  std::memcpy(out.raw(), static_cast<const uint8_t*>(t.raw()) + static_cast<size_t>(first) * row,
              out.nbytes());
  return out;
}

// Images: a folder of them (flat or by class), or one file.
Expected<Dataset> load_images(const std::string& path, bool folder, const DatasetOptions& options) {
  auto spec = parse_preprocess(options.preprocess);
  if (!spec) return spec.error();
  if (!spec->has_scale) {
    spec->scale_num = options.scale_num;
    spec->scale_den = options.scale_den;
  }
  if (folder) return load_image_folder(path, *spec, options.limit);
  return load_image_files({path}, *spec);
}

bool has_tensor_files(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string p = it->path().string();
    if (ends_with(p, ".npy") || ends_with(p, ".pb")) return true;
  }
  return false;
}

}  // namespace

Expected<Tensor> Dataset::sample(int64_t i) const { return slice_rows(samples, i, 1); }

Expected<Tensor> Dataset::batch(int64_t first, int64_t count) const {
  return slice_rows(samples, first, count);
}

Status parse_scale(const std::string& text, DatasetOptions& options) {
  auto number = [&](const std::string& s) -> Expected<float> {
    char* end = nullptr;
    const double v = s.empty() ? NAN : std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v) || std::fabs(v) > 3.4e38)
      return invalid_argument("--scale expects a number or a fraction like 1/255, got '" + text +
                              "'");
    return static_cast<float>(v);
  };
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    LEDGE_ASSIGN(options.scale_num, number(text));
    options.scale_den = 1;
    return Status();
  }
  LEDGE_ASSIGN(options.scale_num, number(text.substr(0, slash)));
  LEDGE_ASSIGN(options.scale_den, number(text.substr(slash + 1)));
  if (options.scale_den == 0) return invalid_argument("--scale divides by zero: '" + text + "'");
  return Status();
}

Expected<Dataset> load_dataset(const std::string& path, const DatasetOptions& options) {
  std::error_code ec;
  const bool folder = fs::is_directory(path, ec);
  // A folder of tensor files stays one even where images lie beside them.
  if (folder ? !has_tensor_files(path) && holds_images(path) : has_image_extension(path))
    return load_images(path, folder, options);
  if (!options.preprocess.empty())
    return invalid_argument(
        path + ": --preprocess applies to images (PNG, JPEG); this is " +
        (folder ? "a folder without images, or with .npy/.pb files (which come first)"
                : "not an image file"));
  Dataset d;
  d.source = path;
  if (folder) {
    LEDGE_ASSIGN(auto files, tensor_files(path));
    if (options.limit >= 0 && files.size() > static_cast<size_t>(options.limit))
      files.resize(static_cast<size_t>(options.limit));
    std::vector<Tensor> parts;
    for (const auto& f : files) {
      LEDGE_ASSIGN(Tensor t, read_tensor_file(f));
      LEDGE_ASSIGN(Tensor ft, to_float(t, options, f));
      parts.push_back(std::move(ft));
    }
    if (parts.empty()) return invalid_argument(path + ": no samples");
    LEDGE_ASSIGN(d.samples, stack(parts, files));
  } else {
    LEDGE_ASSIGN(Tensor t, read_tensor_file(path));
    if (t.rank() < 1 || t.dim(0) == 0)
      return invalid_argument(path + ": no samples (shape " + shape_to_string(t.shape()) + ")");
    LEDGE_ASSIGN(d.samples, to_float(t, options, path));
  }
  if (options.limit >= 0 && d.samples.dim(0) > options.limit) {
    LEDGE_ASSIGN(d.samples, slice_rows(d.samples, 0, options.limit));
  }
  return d;
}

Expected<std::vector<int64_t>> load_labels(const std::string& path) {
  std::vector<int64_t> labels;
  if (ends_with(path, ".txt")) {
    std::ifstream in(path);
    if (!in) return io_error(path + ": cannot open");
    std::string line;
    int64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      char* end = nullptr;
      const long long v = std::strtoll(line.c_str(), &end, 10);
      if (end == line.c_str() || *end != '\0' || v < 0)
        return invalid_argument(path + ":" + std::to_string(line_no) +
                                ": expected a class index (a non-negative integer), got '" + line +
                                "'");
      labels.push_back(v);
    }
  } else {
    LEDGE_ASSIGN(Tensor t, read_tensor_file(path));
    if (!dtype_is_int(t.dtype()) || t.rank() != 1)
      return invalid_argument(path + ": expected integer labels [N], got " +
                              std::string(dtype_name(t.dtype())) + "[" +
                              shape_to_string(t.shape()) + "]");
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = t.as_double(i);
      if (v < 0) return invalid_argument(path + ": label " + std::to_string(i) + " is negative");
      labels.push_back(static_cast<int64_t>(v));
    }
  }
  if (labels.empty()) return invalid_argument(path + ": no labels");
  return labels;
}

Status fit_to_input(Dataset& d, const ValueInfo& input) {
  if (!d.labels.empty() && static_cast<int64_t>(d.labels.size()) < d.size())
    return invalid_argument(d.source + " has " + std::to_string(d.size()) + " samples but only " +
                            std::to_string(d.labels.size()) + " labels");
  if (!d.labels.empty()) d.labels.resize(static_cast<size_t>(d.size()));
  if (input.type.dtype != DType::kFloat32 && input.type.dtype != DType::kUndefined)
    return unsupported("input '" + input.name + "' is " + input.type.to_string() +
                       "; the data are float32");
  if (!input.type.shape) return Status();  // rank unknown: feed as read
  const Shape& want = *input.type.shape;
  const Shape& have = d.samples.shape();
  const int64_t per_sample = d.size() > 0 ? d.samples.numel() / d.size() : 0;
  auto mismatch = [&] {
    return invalid_argument("input '" + input.name + "' is " + input.type.to_string() + "; " +
                            d.source + " holds samples of shape " + shape_to_string(have) +
                            " (first axis: samples)");
  };
  if (want.empty()) return mismatch();
  // The declared per-sample shape, with unknown dimensions taken from the data where the
  // ranks agree.
  Shape target(want.begin() + 1, want.end());
  int64_t known = 1, unknown = 0;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] < 0) {
      if (have.size() == want.size())
        target[i] = have[i + 1];
      else
        ++unknown;
    }
    if (target[i] >= 0) known *= target[i];
  }
  if (unknown > 0 || known != per_sample) return mismatch();
  Shape shape = {d.size()};
  shape.insert(shape.end(), target.begin(), target.end());
  if (shape != have) {
    LEDGE_ASSIGN(d.samples, d.samples.reshaped(shape));
  }
  return Status();
}

void standardize_samples(Dataset& d) {
  const int64_t n = d.size();
  if (n == 0) return;
  const int64_t per_sample = d.samples.numel() / n;
  float* p = d.samples.data<float>();
  for (int64_t i = 0; i < n; ++i)
    standardize(std::span<float>(p + i * per_sample, static_cast<size_t>(per_sample)));
}

Expected<std::vector<int64_t>> balanced_subset(const Dataset& d, int64_t total) {
  if (d.labels.empty()) return invalid_argument("a class-balanced subset needs labels");
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < d.size(); ++i) by_class[d.labels[static_cast<size_t>(i)]].push_back(i);
  const auto classes = static_cast<int64_t>(by_class.size());
  const int64_t per_class = std::max<int64_t>(1, total / std::max<int64_t>(1, classes));
  std::vector<int64_t> picked;
  for (const auto& [cls, idx] : by_class)
    for (int64_t k = 0; k < per_class && k < static_cast<int64_t>(idx.size()); ++k)
      picked.push_back(idx[static_cast<size_t>(k)]);
  std::sort(picked.begin(), picked.end());
  return picked;
}

}  // namespace ledge
