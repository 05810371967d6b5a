// NonMaxSuppression (opsets 10, 11): greedy per-batch, per-class selection of boxes by
// descending score, dropping boxes whose IoU with an already selected box exceeds the
// threshold. Output: int64 [num_selected, 3] rows of (batch, class, box), a data-dependent
// shape. Selection order, tie-breaking and the IoU test follow ONNX Runtime.
#include <algorithm>
#include <array>

#include "ops/helpers.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

enum Input : size_t { kBoxes, kScores, kMaxOutput, kIouThreshold, kScoreThreshold };

Status infer_non_max_suppression(InferContext& c) {
  LEDGE_TRY(require_input(c, kBoxes, "boxes"));
  LEDGE_TRY(require_input(c, kScores, "scores"));
  LEDGE_TRY(quant::check_type(c, kBoxes, "boxes", {DType::kFloat32}));
  LEDGE_TRY(quant::check_type(c, kScores, "scores", {DType::kFloat32}));
  LEDGE_TRY(quant::check_type(c, kMaxOutput, "max_output_boxes_per_class", {DType::kInt64}));
  LEDGE_TRY(quant::check_type(c, kIouThreshold, "iou_threshold", {DType::kFloat32}));
  LEDGE_TRY(quant::check_type(c, kScoreThreshold, "score_threshold", {DType::kFloat32}));
  LEDGE_TRY(quant::check_scalar(c, kMaxOutput, "max_output_boxes_per_class"));
  LEDGE_TRY(quant::check_scalar(c, kIouThreshold, "iou_threshold"));
  LEDGE_TRY(quant::check_scalar(c, kScoreThreshold, "score_threshold"));
  const int64_t center = c.attr_int("center_point_box", 0);
  if (center != 0 && center != 1)
    return c.fail("center_point_box must be 0 or 1, got " + std::to_string(center));
  const TensorType& boxes = c.input_type(kBoxes);
  const TensorType& scores = c.input_type(kScores);
  if (boxes.shape &&
      (boxes.shape->size() != 3 || ((*boxes.shape)[2] >= 0 && (*boxes.shape)[2] != 4)))
    return c.fail("boxes must have shape [num_batches, num_boxes, 4], got " + boxes.to_string());
  if (scores.shape && scores.shape->size() != 3)
    return c.fail("scores must have shape [num_batches, num_classes, num_boxes], got " +
                  scores.to_string());
  if (boxes.shape && scores.shape) {
    const auto& b = *boxes.shape;
    const auto& s = *scores.shape;
    const auto differ = [](int64_t x, int64_t y) { return x >= 0 && y >= 0 && x != y; };
    if (differ(b[0], s[0]) || differ(b[1], s[2]))
      return c.fail("boxes " + boxes.to_string() + " and scores " + scores.to_string() +
                    " disagree on the number of batches or boxes");
  }
  // How many boxes survive depends on the values: run() allocates the output.
  return c.set_output(0, DType::kInt64, {-1, 3});
}

// A box as the corners of an axis-aligned rectangle, whatever the input format.
struct Box {
  float x_min, y_min, x_max, y_max;
};

Box box_at(const float* p, bool center_point) {
  if (center_point) {  // [x_center, y_center, width, height]
    const float hw = p[2] / 2, hh = p[3] / 2;
    return {p[0] - hw, p[1] - hh, p[0] + hw, p[1] + hh};
  }
  // [y1, x1, y2, x2] with (y1, x1), (y2, x2) any pair of diagonal corners.
  return {std::min(p[1], p[3]), std::min(p[0], p[2]), std::max(p[1], p[3]), std::max(p[0], p[2])};
}

// True when the IoU of a and b exceeds the threshold. Boxes that do not overlap, or that have
// no area, never suppress each other (comparisons with NaN are false, so NaN boxes neither).
bool suppresses(const Box& a, const Box& b, float iou_threshold) {
  const float ix_min = std::max(a.x_min, b.x_min), ix_max = std::min(a.x_max, b.x_max);
  const float iy_min = std::max(a.y_min, b.y_min), iy_max = std::min(a.y_max, b.y_max);
  if (!(ix_max > ix_min) || !(iy_max > iy_min)) return false;
  const float inter = (ix_max - ix_min) * (iy_max - iy_min);
  const float area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min);
  const float area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
  const float uni = area_a + area_b - inter;
  if (!(inter > 0) || !(area_a > 0) || !(area_b > 0) || !(uni > 0)) return false;
  return inter / uni > iou_threshold;
}

Status run_non_max_suppression(KernelContext& c) {
  const Tensor& boxes = c.input(kBoxes);
  const Tensor& scores = c.input(kScores);
  const int64_t batches = boxes.dim(0), num_boxes = boxes.dim(1), classes = scores.dim(1);
  if (scores.dim(0) != batches || scores.dim(2) != num_boxes)
    return c.fail("boxes " + shape_to_string(boxes.shape()) + " and scores " +
                  shape_to_string(scores.shape()) + " disagree on the number of batches or boxes");
  int64_t max_output = 0;  // absent: no output at all
  if (const Tensor* t = c.input_or_null(kMaxOutput)) {
    if (t->numel() != 1) return c.fail("max_output_boxes_per_class must hold one value");
    max_output = std::max<int64_t>(t->data<int64_t>()[0], 0);
  }
  float iou_threshold = 0.f;
  if (const Tensor* t = c.input_or_null(kIouThreshold)) {
    if (t->numel() != 1) return c.fail("iou_threshold must hold one value");
    iou_threshold = t->data<float>()[0];
    if (!(iou_threshold >= 0.f && iou_threshold <= 1.f))
      return c.fail("iou_threshold must be in [0, 1], got " + std::to_string(iou_threshold));
  }
  const Tensor* score_threshold = c.input_or_null(kScoreThreshold);
  if (score_threshold && score_threshold->numel() != 1)
    return c.fail("score_threshold must hold one value");
  const bool center_point = c.attr_int("center_point_box", 0) == 1;

  std::vector<std::array<int64_t, 3>> selected;
  std::vector<std::pair<float, int64_t>> candidates;
  std::vector<Box> kept;
  for (int64_t b = 0; b < batches; ++b) {
    const float* bp = boxes.data<float>() + b * num_boxes * 4;
    for (int64_t cls = 0; cls < classes; ++cls) {
      const float* sp = scores.data<float>() + (b * classes + cls) * num_boxes;
      candidates.clear();
      for (int64_t i = 0; i < num_boxes; ++i) {
        // Scores must be strictly above the threshold. NaN scores have no place in the order.
        if (std::isnan(sp[i])) continue;
        if (score_threshold && !(sp[i] > score_threshold->data<float>()[0])) continue;
        candidates.emplace_back(sp[i], i);
      }
      // Highest score first; equal scores keep the lower box index first (stable sort).
      std::stable_sort(candidates.begin(), candidates.end(),
                       [](const auto& l, const auto& r) { return l.first > r.first; });
      kept.clear();
      for (const auto& [score, i] : candidates) {
        if (static_cast<int64_t>(kept.size()) >= max_output) break;
        const Box box = box_at(bp + i * 4, center_point);
        bool keep = true;
        for (const Box& k : kept)
          if (suppresses(box, k, iou_threshold)) {
            keep = false;
            break;
          }
        if (!keep) continue;
        kept.push_back(box);
        selected.push_back({b, cls, i});
      }
    }
  }
  LEDGE_ASSIGN(Tensor * out,
               c.allocate_output(0, DType::kInt64, {static_cast<int64_t>(selected.size()), 3}));
  int64_t* po = out->data<int64_t>();
  for (size_t r = 0; r < selected.size(); ++r)
    for (size_t k = 0; k < 3; ++k) po[r * 3 + k] = selected[r][k];
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(NonMaxSuppression, ledge::infer_non_max_suppression, ledge::run_non_max_suppression)
