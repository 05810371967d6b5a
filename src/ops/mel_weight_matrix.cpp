// MelWeightMatrix (opset 17): a [dft_length / 2 + 1, num_mel_bins] matrix of triangular
// filters, evenly spaced on the mel scale mel(f) = 2595 log10(1 + f / 700) between
// lower_edge_hertz and upper_edge_hertz, each peaking at 1. Band edges are snapped to DFT
// bins as the ONNX reference does: bin = floor((dft_length + 1) * hz / sample_rate).
#include <cmath>

#include "ops/helpers.h"

namespace ledge {
namespace {

enum Input : size_t { kNumMelBins = 0, kDftLength, kSampleRate, kLowerHz, kUpperHz };

Expected<DType> output_datatype(const NodeContext& c) {
  const int64_t v = c.attr_int("output_datatype", static_cast<int64_t>(DType::kFloat32));
  const DType t = static_cast<DType>(v);
  if (v < 0 || v > 16 || !dtype_is_storable(t) || t == DType::kBool || t == DType::kString)
    return c.fail("output_datatype " + std::to_string(v) + " is not a numeric element type");
  return t;
}

Status infer_mel(InferContext& c) {
  const char* names[] = {"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
                         "upper_edge_hertz"};
  for (size_t i = 0; i < 5; ++i) {
    LEDGE_TRY(require_input(c, i, names[i]));
    const TensorType& t = c.input_type(i);
    const bool is_int = t.dtype == DType::kInt32 || t.dtype == DType::kInt64;
    if (t.dtype != DType::kUndefined && (i < 3 ? !is_int : !dtype_is_float(t.dtype)))
      return c.fail(std::string(names[i]) + " has the wrong element type: " + t.to_string());
    if (t.shape && !t.shape->empty() && !(t.shape->size() == 1 && (*t.shape)[0] == 1))
      return c.fail(std::string(names[i]) + " must be a scalar, got " + t.to_string());
  }
  LEDGE_ASSIGN(const DType dt, output_datatype(c));
  int64_t mels = -1, bins = -1;
  if (const Tensor* v = c.input_value(kNumMelBins)) {
    mels = v->as_int64(0);
    if (mels < 1) return c.fail("num_mel_bins must be positive");
  }
  if (const Tensor* v = c.input_value(kDftLength)) {
    const int64_t n = v->as_int64(0);
    if (n < 1) return c.fail("dft_length must be positive");
    bins = n / 2 + 1;
  }
  if (const Tensor* v = c.input_value(kSampleRate))
    if (v->as_int64(0) < 1) return c.fail("sample_rate must be positive");
  return c.set_output(0, dt, {bins, mels});
}

Status run_mel(KernelContext& c) {
  Tensor& y = c.output(0);
  const int64_t mels = c.input(kNumMelBins).as_int64(0);
  const int64_t dft_length = c.input(kDftLength).as_int64(0);
  const int64_t rate = c.input(kSampleRate).as_int64(0);
  const double lower = c.input(kLowerHz).as_double(0);
  const double upper = c.input(kUpperHz).as_double(0);
  const int64_t bins = dft_length / 2 + 1;

  const double low_mel = 2595 * std::log10(1 + lower / 700);
  const double high_mel = 2595 * std::log10(1 + upper / 700);
  const double mel_step = (high_mel - low_mel) / static_cast<double>(mels + 2);
  std::vector<int64_t> edge(static_cast<size_t>(mels + 2));
  for (int64_t i = 0; i < mels + 2; ++i) {
    const double mel = static_cast<double>(i) * mel_step + low_mel;
    const double hz = 700 * (std::pow(10.0, mel / 2595) - 1);
    const double bin = std::floor(static_cast<double>(dft_length + 1) * hz / rate);
    if (!(bin >= 0 && bin < static_cast<double>(bins)))
      return c.fail("the mel band edges fall outside the " + std::to_string(bins) +
                    " DFT bins (check lower_edge_hertz, upper_edge_hertz and sample_rate)");
    edge[static_cast<size_t>(i)] = static_cast<int64_t>(bin);
  }
  std::vector<double> w(static_cast<size_t>(bins * mels), 0.0);
  auto at = [&](int64_t j, int64_t i) -> double& { return w[static_cast<size_t>(j * mels + i)]; };
  for (int64_t i = 0; i < mels; ++i) {
    const int64_t left = edge[static_cast<size_t>(i)];
    const int64_t center = edge[static_cast<size_t>(i + 1)];
    const int64_t right = edge[static_cast<size_t>(i + 2)];
    if (center == left) {
      at(center, i) = 1;
    } else {
      for (int64_t j = left; j <= center; ++j)
        at(j, i) = static_cast<double>(j - left) / static_cast<double>(center - left);
    }
    for (int64_t j = center; j < right; ++j)
      at(j, i) = static_cast<double>(right - j) / static_cast<double>(right - center);
  }
  return dispatch<TypeSet::kNumeric>(y.dtype(), [&]<class T>() {
    T* p = y.data<T>();
    for (size_t i = 0; i < w.size(); ++i) p[i] = static_cast<T>(w[i]);
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(MelWeightMatrix, ledge::infer_mel, ledge::run_mel)
