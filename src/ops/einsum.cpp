// Einsum: Einstein summation with numpy's semantics: explicit ("ij,jk->ik") or implicit
// ("ij,jk": the output takes the labels that appear once, in alphabetical order) output,
// repeated labels within a term (diagonals, traces), and "..." for broadcast dimensions.
//
// The reference kernel visits every combination of label values: output labels outside,
// summed labels inside, reading each input through per-label strides (a repeated label adds
// its strides, which walks the diagonal).
#include <algorithm>
#include <map>

#include "ops/nn_common.h"

namespace ledge {
namespace {

// Label ids: letters keep their character code; the k-th broadcast ("...") dimension,
// counted in the right-aligned broadcast shape, is kEllipsis + k.
constexpr int kEllipsis = 256;

struct Term {
  std::vector<int> letters;
  int ellipsis_at = -1;  // position of "..." among the letters, -1 when absent
};

struct Equation {
  std::vector<Term> inputs;
  Term output;
  bool explicit_output = false;
};

Expected<Term> parse_term(const NodeContext& c, const std::string& text) {
  Term t;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      t.letters.push_back(ch);
    } else if (ch == '.' && text.compare(i, 3, "...") == 0 && t.ellipsis_at < 0) {
      t.ellipsis_at = static_cast<int>(t.letters.size());
      i += 2;
    } else {
      return c.fail("invalid einsum term '" + text + "'");
    }
  }
  return t;
}

Expected<Equation> parse_equation(const NodeContext& c) {
  std::string eq;
  for (char ch : c.attr_string("equation")) {
    if (ch != ' ') eq += ch;
  }
  if (eq.empty()) return c.fail("missing attribute equation");
  Equation e;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    LEDGE_ASSIGN(Term t, parse_term(c, lhs.substr(start, comma - start)));
    e.inputs.push_back(std::move(t));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (arrow != std::string::npos) {
    e.explicit_output = true;
    LEDGE_ASSIGN(e.output, parse_term(c, eq.substr(arrow + 2)));
    std::vector<int> seen = e.output.letters;
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end())
      return c.fail("an output label is repeated in '" + eq + "'");
  }
  return e;
}

// The labels of every dimension of a term applied to a tensor of `rank`, given the rank of
// the broadcast ("...") dimensions over all inputs.
Expected<std::vector<int>> expand(const NodeContext& c, const Term& t, int64_t rank,
                                  int64_t ellipsis_rank) {
  const int64_t letters = static_cast<int64_t>(t.letters.size());
  const int64_t own = rank - letters;  // dims this tensor has under "..."
  if (t.ellipsis_at < 0 ? own != 0 : own < 0)
    return c.fail("an einsum term has " + std::to_string(letters) +
                  " labels for an input of rank " + std::to_string(rank));
  std::vector<int> labels(t.letters.begin(), t.letters.end());
  if (t.ellipsis_at >= 0) {
    std::vector<int> dots;
    for (int64_t k = 0; k < own; ++k)
      dots.push_back(kEllipsis + static_cast<int>(ellipsis_rank - own + k));
    labels.insert(labels.begin() + t.ellipsis_at, dots.begin(), dots.end());
  }
  return labels;
}

// The resolved problem: labels of every input dimension and of the output, and label sizes.
struct Plan {
  std::vector<std::vector<int>> in_labels;
  std::vector<int> out_labels;
  std::vector<int> sum_labels;
  std::map<int, int64_t> size;  // -1 while unknown
};

Expected<Plan> make_plan(const NodeContext& c, const Equation& e,
                         const std::vector<std::vector<int64_t>>& shapes) {
  if (e.inputs.size() != shapes.size())
    return c.fail("the equation has " + std::to_string(e.inputs.size()) + " terms for " +
                  std::to_string(shapes.size()) + " inputs");
  Plan p;
  int64_t ellipsis_rank = 0;
  for (size_t i = 0; i < shapes.size(); ++i)
    if (e.inputs[i].ellipsis_at >= 0)
      ellipsis_rank =
          std::max<int64_t>(ellipsis_rank, static_cast<int64_t>(shapes[i].size()) -
                                               static_cast<int64_t>(e.inputs[i].letters.size()));
  std::map<int, int> count;
  for (size_t i = 0; i < shapes.size(); ++i) {
    LEDGE_ASSIGN(std::vector<int> labels,
                 expand(c, e.inputs[i], static_cast<int64_t>(shapes[i].size()), ellipsis_rank));
    for (size_t d = 0; d < labels.size(); ++d) {
      const int l = labels[d];
      const int64_t n = shapes[i][d];
      ++count[l];
      // Sizes must agree, except that 1 broadcasts; -1 (unknown) yields to a known size.
      auto it = p.size.find(l);
      if (it == p.size.end()) {
        p.size[l] = n;
        continue;
      }
      const int64_t have = it->second;
      if (n == have || n == 1) continue;
      if (have == 1 || have == -1) {
        if (n != -1 || have == 1) it->second = n;
        continue;
      }
      if (n == -1) continue;
      return c.fail("label sizes differ in einsum: " + std::to_string(have) + " and " +
                    std::to_string(n));
    }
    p.in_labels.push_back(std::move(labels));
  }
  if (e.explicit_output) {
    // Broadcast dimensions left out of an explicit output are summed, like other labels.
    LEDGE_ASSIGN(p.out_labels, expand(c, e.output,
                                      static_cast<int64_t>(e.output.letters.size()) +
                                          (e.output.ellipsis_at >= 0 ? ellipsis_rank : 0),
                                      ellipsis_rank));
    for (int l : e.output.letters)
      if (!count.count(l))
        return c.fail(std::string("output label '") + static_cast<char>(l) +
                      "' does not appear in the inputs");
  } else {
    for (int64_t k = 0; k < ellipsis_rank; ++k)
      p.out_labels.push_back(kEllipsis + static_cast<int>(k));
    for (const auto& [l, n] : count)
      if (l < kEllipsis && n == 1) p.out_labels.push_back(l);
  }
  for (const auto& [l, n] : count)
    if (std::find(p.out_labels.begin(), p.out_labels.end(), l) == p.out_labels.end())
      p.sum_labels.push_back(l);
  return p;
}

Status infer_einsum(InferContext& c) {
  if (c.num_inputs() == 0) return c.fail("needs at least one input");
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    LEDGE_TRY(require_input(c, i));
    LEDGE_TRY(require_same_type(c, i));
  }
  const DType dt = c.input_dtype(0);
  if (dt == DType::kBool) return c.fail_unsupported("Einsum does not take bool");
  LEDGE_ASSIGN(const Equation e, parse_equation(c));
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    if (!c.input_type(i).shape) return c.set_output_unknown(0, dt);
    shapes.push_back(*c.input_type(i).shape);
  }
  LEDGE_ASSIGN(const Plan p, make_plan(c, e, shapes));
  std::vector<int64_t> out;
  for (int l : p.out_labels) out.push_back(p.size.at(l));
  return c.set_output(0, dt, std::move(out));
}

template <class T>
Status einsum_kernel(KernelContext& c) {
  using A = acc_t<T>;
  LEDGE_ASSIGN(const Equation e, parse_equation(c));
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < c.num_inputs(); ++i) shapes.push_back(c.input(i).shape());
  LEDGE_ASSIGN(const Plan p, make_plan(c, e, shapes));
  const size_t n_out = p.out_labels.size(), n_sum = p.sum_labels.size();
  std::vector<int64_t> out_dims, sum_dims;
  for (int l : p.out_labels) out_dims.push_back(p.size.at(l));
  for (int l : p.sum_labels) sum_dims.push_back(p.size.at(l));
  // strides[i][k]: step in input i for label k of (output labels, then summed labels).
  std::vector<std::vector<int64_t>> strides(shapes.size(), std::vector<int64_t>(n_out + n_sum, 0));
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::vector<int64_t> own = strides_of(shapes[i]);
    for (size_t d = 0; d < shapes[i].size(); ++d) {
      if (shapes[i][d] == 1) continue;  // broadcast
      const int l = p.in_labels[i][d];
      auto at = std::find(p.out_labels.begin(), p.out_labels.end(), l);
      const size_t k =
          at != p.out_labels.end()
              ? static_cast<size_t>(at - p.out_labels.begin())
              : n_out + static_cast<size_t>(std::find(p.sum_labels.begin(), p.sum_labels.end(), l) -
                                            p.sum_labels.begin());
      strides[i][k] += own[d];
    }
  }
  Tensor& y = c.output(0);
  if (y.numel() == 0) return Status();
  std::vector<const T*> in;
  for (size_t i = 0; i < shapes.size(); ++i) in.push_back(c.input(i).data<T>());
  T* py = y.data<T>();
  const bool empty_sum = numel(sum_dims) == 0;
  std::vector<int64_t> o(n_out, 0), s(n_sum, 0);
  std::vector<int64_t> base(shapes.size());
  int64_t oi = 0;
  do {
    for (size_t i = 0; i < shapes.size(); ++i) {
      base[i] = 0;
      for (size_t k = 0; k < n_out; ++k) base[i] += o[k] * strides[i][k];
    }
    A acc(0);
    if (!empty_sum) {
      std::fill(s.begin(), s.end(), 0);
      do {
        A prod(1);
        for (size_t i = 0; i < shapes.size(); ++i) {
          int64_t off = base[i];
          for (size_t k = 0; k < n_sum; ++k) off += s[k] * strides[i][n_out + k];
          prod *= to_acc<A>(in[i][off]);
        }
        acc += prod;
      } while (next_index(s, sum_dims));
    }
    py[oi++] = from_acc<T>(acc);
  } while (next_index(o, out_dims));
  return Status();
}

Status run_einsum(KernelContext& c) {
  return dispatch<TypeSet::kFloat | TypeSet::kSigned | TypeSet::kUnsigned>(
      c.input(0).dtype(), [&]<class T>() -> Status { return einsum_kernel<T>(c); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Einsum, ledge::infer_einsum, ledge::run_einsum)
