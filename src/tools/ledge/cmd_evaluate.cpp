// ledge evaluate MODEL --images IDX --labels IDX [--limit N] [--batch B] [--scale S] [--json]
//
// Top-1 accuracy of an image classifier on an IDX data set (MNIST, Fashion-MNIST), computed
// by ledge's own executor: uint8 images become float32 pixel * S (default 1/255) in the
// layout the model's input declares, [N,1,H,W], [N,H,W] or [N,H*W], and the argmax of the
// first output, [N,K] (or [N,K,1,...]), is compared with the labels.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "io/idx.h"
#include "runtime/session.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

constexpr int64_t kDefaultBatch = 64;

struct EvaluateArgs {
  std::string model;
  std::string images;
  std::string labels;
  std::string input;  // which model input takes the images; needed only with several
  int64_t limit = -1;
  int64_t batch = 0;  // 0: the model's fixed batch size, else kDefaultBatch
  std::string scale = "1/255";
  bool json = false;
};

// How a batch of [H,W] images is laid out for the model's image input.
struct Layout {
  Shape per_sample;         // shape of one sample without the batch dimension
  int64_t fixed_batch = 0;  // the model's batch size when it is not dynamic
};

Expected<Layout> choose_layout(const ValueInfo& in, int64_t h, int64_t w) {
  const DType dt = in.type.dtype;
  if (dt != DType::kFloat32 && dt != DType::kUndefined)
    return unsupported("input '" + in.name + "' is " + in.type.to_string() +
                       "; evaluate feeds float32 images");
  Layout l;
  if (!in.type.shape) {  // rank unknown: the usual NCHW image layout
    l.per_sample = {1, h, w};
    return l;
  }
  const auto& s = *in.type.shape;
  auto fits = [](int64_t declared, int64_t actual) { return declared < 0 || declared == actual; };
  bool ok = false;
  if (s.size() == 4) {
    ok = fits(s[1], 1) && fits(s[2], h) && fits(s[3], w);
    l.per_sample = {1, h, w};
  } else if (s.size() == 3) {
    ok = fits(s[1], h) && fits(s[2], w);
    l.per_sample = {h, w};
  } else if (s.size() == 2) {
    ok = fits(s[1], h * w);
    l.per_sample = {h * w};
  }
  if (!ok)
    return invalid_argument("input '" + in.name + "' is " + in.type.to_string() +
                            "; the images are " + std::to_string(h) + "x" + std::to_string(w) +
                            ", so it must be [N,1," + std::to_string(h) + "," + std::to_string(w) +
                            "], [N," + std::to_string(h) + "," + std::to_string(w) + "] or [N," +
                            std::to_string(h * w) + "]");
  if (s[0] == 0) return invalid_argument("input '" + in.name + "' has a batch dimension of 0");
  if (s[0] > 0) l.fixed_batch = s[0];
  return l;
}

struct ClassCount {
  int64_t samples = 0, correct = 0;
};

// Index of the largest of the k scores of sample i (the first on ties; NaN never wins).
int64_t argmax(const Tensor& out, int64_t i, int64_t k) {
  int64_t best = -1;
  double best_v = 0;
  for (int64_t c = 0; c < k; ++c) {
    const double v =
        out.dtype() == DType::kFloat32 ? out.data<float>()[i * k + c] : out.as_double(i * k + c);
    if (std::isnan(v)) continue;
    if (best < 0 || v > best_v) {
      best = c;
      best_v = v;
    }
  }
  return best;
}

std::string percent(int64_t correct, int64_t total) {
  if (total == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%",
                100.0 * static_cast<double>(correct) / static_cast<double>(total));
  return buf;
}

int evaluate(const EvaluateArgs& a) {
  DatasetOptions scale;  // the same "1/255" or number parsing as the other data tools
  if (Status st = parse_scale(a.scale, scale); !st.ok()) return report(st.error());

  auto images = read_idx(a.images);
  if (!images) return report(images.error());
  auto labels = read_idx(a.labels);
  if (!labels) return report(labels.error());
  if (images->rank() != 3)
    return report(invalid_argument(a.images + ": expected images [N,rows,cols], got shape " +
                                   shape_to_string(images->shape())));
  if (labels->rank() != 1 || !dtype_is_int(labels->dtype()))
    return report(invalid_argument(a.labels + ": expected integer labels [N], got " +
                                   std::string(dtype_name(labels->dtype())) + "[" +
                                   shape_to_string(labels->shape()) + "]"));
  const int64_t total = images->dim(0), h = images->dim(1), w = images->dim(2);
  if (labels->dim(0) != total)
    return report(invalid_argument(a.labels + " has " + std::to_string(labels->dim(0)) +
                                   " labels but " + a.images + " has " + std::to_string(total) +
                                   " images"));
  const int64_t n = a.limit >= 0 ? std::min(a.limit, total) : total;
  if (n == 0) return report(invalid_argument("no samples to evaluate"));
  if (h == 0 || w == 0)
    return report(invalid_argument(a.images + ": images of size " + std::to_string(h) + "x" +
                                   std::to_string(w)));

  auto model = load_model(a.model);
  if (!model) return report(model.error());
  auto session = Session::create(std::move(*model));
  if (!session) return report(std::move(session).error().with_context(a.model));
  const auto& inputs = (*session)->inputs();
  const ValueInfo* in = nullptr;
  if (!a.input.empty()) {
    for (const auto& i : inputs)
      if (i.name == a.input) in = &i;
    if (!in) return report(invalid_argument(a.model + " has no input named '" + a.input + "'"));
  } else if (inputs.size() == 1) {
    in = &inputs[0];
  } else {
    return report(invalid_argument(a.model + " has " + std::to_string(inputs.size()) +
                                   " inputs; evaluate feeds one (choose it with --input)"));
  }
  if ((*session)->outputs().empty()) return report(invalid_model(a.model + " has no outputs"));
  auto layout = choose_layout(*in, h, w);
  if (!layout) return report(std::move(layout).error().with_context(a.model));

  int64_t batch = a.batch > 0 ? a.batch : kDefaultBatch;
  if (layout->fixed_batch > 0) {
    if (a.batch > 0 && a.batch != layout->fixed_batch)
      std::fprintf(stderr, "ledge: note: input '%s' has a fixed batch size of %lld; using it\n",
                   in->name.c_str(), static_cast<long long>(layout->fixed_batch));
    // A partial last batch is padded with zero images whose predictions are ignored.
    batch = layout->fixed_batch;
  }
  if (layout->fixed_batch == 0) batch = std::min(batch, n);

  const int64_t pixels = h * w;
  std::vector<ClassCount> per_class;
  int64_t classes = -1, correct = 0;
  double model_seconds = 0;
  const auto start = std::chrono::steady_clock::now();

  for (int64_t first = 0; first < n; first += batch) {
    const int64_t b = std::min(batch, n - first);
    Shape shape = {layout->fixed_batch > 0 ? layout->fixed_batch : b};
    shape.insert(shape.end(), layout->per_sample.begin(), layout->per_sample.end());
    auto x = Tensor::make(DType::kFloat32, shape);
    if (!x) return report(x.error());
    float* px = x->data<float>();
    Status st = dispatch<TypeSet::kNumeric>(images->dtype(), [&]<class T>() {
      const T* src = images->data<T>() + first * pixels;
      for (int64_t i = 0; i < b * pixels; ++i)
        px[i] = static_cast<float>(src[i]) * scale.scale_num / scale.scale_den;
    });
    if (!st.ok()) return report(std::move(st).error().with_context(a.images));

    const auto t0 = std::chrono::steady_clock::now();
    auto outputs = (*session)->run({{in->name, *x}});
    model_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!outputs) return report(std::move(outputs).error().with_context(a.model));

    const Tensor& out = (*outputs)[0];
    bool ok = out.rank() >= 2 && out.dim(0) == shape[0] && dtype_is_float(out.dtype());
    for (int64_t d = 2; ok && d < out.rank(); ++d) ok = out.dim(d) == 1;
    if (!ok || out.dim(1) == 0)
      return report(invalid_model(
          a.model + ": output '" + (*session)->outputs()[0].name + "' is " +
          std::string(dtype_name(out.dtype())) + "[" + shape_to_string(out.shape()) +
          "]; evaluate expects float scores [" + std::to_string(shape[0]) + ",classes]"));
    if (classes < 0) {
      classes = out.dim(1);
      per_class.resize(static_cast<size_t>(classes));
    } else if (out.dim(1) != classes) {
      return report(invalid_model(a.model + ": the number of classes changed between batches"));
    }
    for (int64_t i = 0; i < b; ++i) {
      const int64_t label = labels->as_int64(first + i);
      if (label < 0 || label >= classes)
        return report(invalid_argument(a.labels + ": label " + std::to_string(label) +
                                       " of sample " + std::to_string(first + i) +
                                       " is outside the model's " + std::to_string(classes) +
                                       " classes"));
      ClassCount& cc = per_class[static_cast<size_t>(label)];
      ++cc.samples;
      if (argmax(out, i, classes) == label) {
        ++cc.correct;
        ++correct;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double throughput = model_seconds > 0 ? static_cast<double>(n) / model_seconds : 0;
  const double accuracy = static_cast<double>(correct) / static_cast<double>(n);

  if (a.json) {
    nlohmann::json pc = nlohmann::json::array();
    for (size_t c = 0; c < per_class.size(); ++c) {
      const ClassCount& cc = per_class[c];
      pc.push_back({{"class", c},
                    {"samples", cc.samples},
                    {"correct", cc.correct},
                    {"accuracy", cc.samples ? nlohmann::json(static_cast<double>(cc.correct) /
                                                             static_cast<double>(cc.samples))
                                            : nlohmann::json(nullptr)}});
    }
    const nlohmann::json j = {{"model", a.model},
                              {"images", a.images},
                              {"labels", a.labels},
                              {"input", in->name},
                              {"samples", n},
                              {"batch", batch},
                              {"classes", classes},
                              {"correct", correct},
                              {"accuracy", accuracy},
                              {"per_class", pc},
                              {"model_seconds", model_seconds},
                              {"seconds", seconds},
                              {"samples_per_second", throughput}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model:          %s\n", a.model.c_str());
  std::printf("samples:        %lld (batch %lld, %lld classes)\n", static_cast<long long>(n),
              static_cast<long long>(batch), static_cast<long long>(classes));
  std::printf("top-1 accuracy: %s (%lld/%lld)\n", percent(correct, n).c_str(),
              static_cast<long long>(correct), static_cast<long long>(n));
  // Only classes that occur in the labels: a model may score more classes than the data has.
  std::printf("per-class accuracy:\n");
  for (size_t c = 0; c < per_class.size(); ++c) {
    const ClassCount& cc = per_class[c];
    if (cc.samples == 0) continue;
    std::printf("  class %-3zu %8s (%lld/%lld)\n", c, percent(cc.correct, cc.samples).c_str(),
                static_cast<long long>(cc.correct), static_cast<long long>(cc.samples));
  }
  std::printf("throughput:     %.1f samples/s (%.2f s in the model, %.2f s in all)\n", throughput,
              model_seconds, seconds);
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Top-1 accuracy of an image classifier on an IDX data set (MNIST format)");
  cmd->add_option("model", args->model, "model file: ONNX or .ledge")->required();
  cmd->add_option("--images", args->images, "IDX file of images [N,rows,cols] (.gz or plain)")
      ->required();
  cmd->add_option("--labels", args->labels, "IDX file of labels [N] (.gz or plain)")->required();
  cmd->add_option("--limit", args->limit, "evaluate only the first N samples")
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--batch", args->batch,
                  "samples per run (default: the model's fixed batch size, else 64)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--scale", args->scale, "pixel multiplier, a number or a fraction")
      ->default_str("1/255");
  cmd->add_option("--input", args->input, "the model input that takes the images");
  cmd->add_flag("--json", args->json, "print the results as JSON");
  cmd->callback([args, &exit_code]() { exit_code = evaluate(*args); });
}

}  // namespace ledge::cli
