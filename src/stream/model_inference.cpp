#include "stream/model_inference.h"

#include <algorithm>
#include <cmath>

#include "data/preprocess.h"

namespace ledge::stream {

Expected<std::string> default_preprocess(const ValueInfo& input) {
  if (!input.type.shape || input.type.shape->size() != 4)
    return invalid_argument("input '" + input.name + "' is " + input.type.to_string() +
                            "; give --preprocess for an input that is not [N,C,H,W] or [N,H,W,C]");
  const Shape& s = *input.type.shape;
  const bool nhwc = (s[3] == 1 || s[3] == 3) && s[1] != 1 && s[1] != 3;
  const int64_t c = nhwc ? s[3] : s[1], h = nhwc ? s[1] : s[2], w = nhwc ? s[2] : s[3];
  if ((c != 1 && c != 3) || h < 1 || w < 1)
    return invalid_argument("input '" + input.name + "' is " + input.type.to_string() +
                            "; without --preprocess it needs a fixed size and 1 or 3 channels");
  return "resize=" + std::to_string(w) + "x" + std::to_string(h) +
         ",channels=" + (c == 1 ? "gray" : "rgb") + ",layout=" + (nhwc ? "nhwc" : "nchw");
}

Decision decide(std::span<const float> scores) {
  Decision d;
  if (scores.empty()) return d;
  const auto best = std::max_element(scores.begin(), scores.end());
  d.top1 = best - scores.begin();
  double sum = 0;
  bool probabilities = true;
  for (float v : scores) {
    sum += v;
    if (!(v >= 0 && v <= 1)) probabilities = false;
  }
  if (probabilities && std::fabs(sum - 1) < 1e-3) {
    d.confidence = *best;
    return d;
  }
  double exp_sum = 0;
  for (float v : scores) exp_sum += std::exp(static_cast<double>(v) - *best);
  d.confidence = static_cast<float>(1.0 / exp_sum);
  return d;
}

Expected<InferenceFn> model_inference(std::shared_ptr<const Session> session,
                                      const std::string& preprocess) {
  if (session->inputs().size() != 1)
    return invalid_argument("the model has " + std::to_string(session->inputs().size()) +
                            " inputs; stream feeds models with one image input");
  const ValueInfo input = session->inputs().front();
  if (input.type.dtype != DType::kFloat32 && input.type.dtype != DType::kUndefined)
    return unsupported("input '" + input.name + "' is " + input.type.to_string() +
                       "; stream feeds float32 images");
  std::string text = preprocess;
  if (text.empty()) {
    LEDGE_ASSIGN(text, default_preprocess(input));
  }
  LEDGE_ASSIGN(PreprocessSpec spec, parse_preprocess(text));
  if (!spec.has_scale) spec.has_scale = true;  // 1/255, the spec's default fraction

  return InferenceFn([session, spec, input](const Frame& f) -> Expected<Decision> {
    LEDGE_ASSIGN(Shape sample, preprocessed_shape(spec, f.image.height, f.image.width));
    Shape shape = {1};
    shape.insert(shape.end(), sample.begin(), sample.end());
    LEDGE_ASSIGN(Tensor x, Tensor::make(DType::kFloat32, shape));
    LEDGE_TRY(preprocess_into(f.image, spec, x.span<float>()));
    LEDGE_ASSIGN(std::vector<Tensor> outputs, session->run({{input.name, std::move(x)}}));
    if (outputs.empty() || outputs.front().dtype() != DType::kFloat32)
      return unsupported("the model's first output is not float32 scores");
    return decide(outputs.front().span<float>());
  });
}

}  // namespace ledge::stream
