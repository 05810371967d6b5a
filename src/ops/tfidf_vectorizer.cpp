// TfIdfVectorizer: counts n-grams (with skips) of integer token sequences.
// String pools are out of scope (ledge has no string tensors).
//
// The pool lists all 1-grams, then all 2-grams, ...; ngram_counts[n-1] is where the
// n-grams start in the pool. An n-gram with skip s takes tokens i, i+(s+1), i+2(s+1)...;
// unigrams are counted once per position, longer n-grams once per position and skip.
#include <map>

#include "ops/helpers.h"

namespace ledge {
namespace {

struct TfIdfParams {
  std::string mode;
  int64_t min_n, max_n, max_skip;
  std::vector<int64_t> counts, indexes, pool;
  std::vector<float> weights;
  int64_t out_width = 0;
};

Expected<TfIdfParams> read_params(const NodeContext& c) {
  TfIdfParams p;
  p.mode = c.attr_string("mode", "TF");
  p.min_n = c.attr_int("min_gram_length", 1);
  p.max_n = c.attr_int("max_gram_length", 1);
  p.max_skip = c.attr_int("max_skip_count", 0);
  p.counts = c.attr_ints("ngram_counts");
  p.indexes = c.attr_ints("ngram_indexes");
  p.pool = c.attr_ints("pool_int64s");
  p.weights = c.attr_floats("weights");
  if (c.has_attr("pool_strings")) return c.fail_unsupported("string pools are not supported");
  if (p.mode != "TF" && p.mode != "IDF" && p.mode != "TFIDF")
    return c.fail("unknown mode '" + p.mode + "'");
  if (p.min_n < 1 || p.max_n < p.min_n || p.max_skip < 0 ||
      p.max_n > static_cast<int64_t>(p.counts.size()))
    return c.fail("inconsistent n-gram lengths");
  for (size_t i = 0; i < p.counts.size(); ++i)
    if (p.counts[i] < 0 || p.counts[i] > static_cast<int64_t>(p.pool.size()) ||
        (i && p.counts[i] < p.counts[i - 1]))
      return c.fail("ngram_counts must be ascending offsets into the pool");
  for (int64_t ix : p.indexes) {
    if (ix < 0 || ix > (int64_t{1} << 24)) return c.fail("ngram_indexes out of range");
    p.out_width = std::max(p.out_width, ix + 1);
  }
  if (!p.weights.empty() && p.weights.size() != p.indexes.size())
    return c.fail("weights must have one value per n-gram");
  return p;
}

Status infer_tfidf(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  const TensorType& x = c.input_type(0);
  if (x.dtype != DType::kInt32 && x.dtype != DType::kInt64)
    return c.fail_unsupported("only int32/int64 token inputs are supported");
  LEDGE_ASSIGN(TfIdfParams p, read_params(c));
  if (!x.shape) return c.set_output_unknown(0, DType::kFloat32);
  if (x.shape->size() == 1) return c.set_output(0, DType::kFloat32, {p.out_width});
  if (x.shape->size() == 2) return c.set_output(0, DType::kFloat32, {(*x.shape)[0], p.out_width});
  return c.fail("input must be 1-D or 2-D");
}

Status run_tfidf(KernelContext& c) {
  LEDGE_ASSIGN(TfIdfParams p, read_params(c));
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t rows = x.rank() == 2 ? x.dim(0) : 1;
  const int64_t cols = x.rank() == 2 ? x.dim(1) : x.dim(0);
  // n-gram (as a token vector) → its position in the n-gram list.
  std::map<std::vector<int64_t>, size_t> lookup;
  size_t global = 0;
  for (int64_t n = 1; n <= static_cast<int64_t>(p.counts.size()); ++n) {
    const int64_t begin = p.counts[static_cast<size_t>(n - 1)];
    const int64_t end = n < static_cast<int64_t>(p.counts.size())
                            ? p.counts[static_cast<size_t>(n)]
                            : static_cast<int64_t>(p.pool.size());
    for (int64_t s = begin; s + n <= end; s += n, ++global)
      lookup[std::vector<int64_t>(p.pool.begin() + s, p.pool.begin() + s + n)] = global;
  }
  if (global > p.indexes.size()) return c.fail("ngram_indexes has fewer entries than the pool");
  float* out = y.data<float>();
  std::vector<int64_t> gram;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<float> count(static_cast<size_t>(p.out_width), 0.f);
    auto add = [&](const std::vector<int64_t>& g) {
      auto it = lookup.find(g);
      if (it != lookup.end()) count[static_cast<size_t>(p.indexes[it->second])] += 1.f;
    };
    for (int64_t i = 0; i < cols; ++i) {
      if (p.min_n == 1) add({x.as_int64(r * cols + i)});
      for (int64_t skip = 0; skip <= p.max_skip; ++skip) {
        for (int64_t n = std::max<int64_t>(2, p.min_n); n <= p.max_n; ++n) {
          const int64_t last = i + (n - 1) * (skip + 1);
          if (last >= cols) break;
          gram.clear();
          for (int64_t k = 0; k < n; ++k) gram.push_back(x.as_int64(r * cols + i + k * (skip + 1)));
          add(gram);
        }
      }
    }
    for (size_t g = 0; g < p.indexes.size(); ++g) {
      const size_t o = static_cast<size_t>(p.indexes[g]);
      const float w = p.weights.empty() ? 1.f : p.weights[g];
      float v = count[o];
      if (p.mode == "IDF")
        v = v > 0 ? w : 0.f;
      else if (p.mode == "TFIDF")
        v = v * w;
      out[r * p.out_width + static_cast<int64_t>(o)] = v;
    }
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(TfIdfVectorizer, ledge::infer_tfidf, ledge::run_tfidf)
