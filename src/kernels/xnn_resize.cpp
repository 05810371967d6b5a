// Resize of a float NCHW image, bilinear in height and width, through XNNPACK (its
// resize_bilinear2d_nchw operator). Taken only where XNNPACK's coordinates are ONNX's:
// half_pixel (and pytorch_half_pixel, the same for outputs of more than one pixel),
// align_corners and asymmetric, with each output size exactly the input size times its scale
// (XNNPACK derives its scale from the sizes). Anything else (nearest, cubic, cropping,
// antialiasing, other ranks or dtypes, batch or channels resized) runs the reference kernel.
#include <string>

#include "kernels/xnn_kernel.h"

namespace ledge {
namespace {

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  if (c.opset() < 11 || c.num_inputs() < 3 || c.input_type(0).dtype != DType::kFloat32 ||
      c.attr_string("mode", "nearest") != "linear" || c.attr_int("antialias", 0) != 0 ||
      c.has_attr("axes"))
    return std::unique_ptr<PreparedKernel>();
  const Shape& x = c.input_shape(0);
  const Shape& y = c.output_shape(0);
  if (x.size() != 4 || x[0] != y[0] || x[1] != y[1] || numel(y) == 0 || numel(x) == 0)
    return std::unique_ptr<PreparedKernel>();
  // With scales, ONNX maps coordinates by the scale, XNNPACK by the size ratio: the same only
  // when the output size is exactly the input's times the scale.
  if (const Tensor* scales = c.has_input(2) ? c.constant(2) : nullptr;
      scales && scales->numel() == 4) {
    for (int64_t d = 2; d < 4; ++d)
      if (static_cast<double>(x[static_cast<size_t>(d)]) * scales->as_double(d) !=
          static_cast<double>(y[static_cast<size_t>(d)]))
        return std::unique_ptr<PreparedKernel>();
  } else if (!(c.num_inputs() > 3 && c.has_input(3) && c.constant(3))) {
    return std::unique_ptr<PreparedKernel>();  // scales or sizes vary
  }
  const std::string coords = c.attr_string("coordinate_transformation_mode", "half_pixel");
  uint32_t flags = 0;
  if (coords == "align_corners")
    flags = XNN_FLAG_ALIGN_CORNERS;
  else if (coords == "asymmetric")
    flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
  else if (!(coords == "half_pixel" || (coords == "pytorch_half_pixel" && y[2] > 1 && y[3] > 1)))
    return std::unique_ptr<PreparedKernel>();
  const auto channels = static_cast<size_t>(x[1]);
  xnn_operator_t op = nullptr;
  const xnn_status st =
      xnn_create_resize_bilinear2d_nchw_f32(channels, channels, channels, flags, &op);
  const auto n = static_cast<size_t>(x[0]), ih = static_cast<size_t>(x[2]),
             iw = static_cast<size_t>(x[3]), oh = static_cast<size_t>(y[2]),
             ow = static_cast<size_t>(y[3]);
  return make_xnn_kernel(
      st, op, "resize",
      [=](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return xnn_setup_resize_bilinear2d_nchw_f32(o, n, ih, iw, oh, ow, in[0]->data<float>(),
                                                    out[0]->data<float>(), pool);
      },
      c, 1);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(Resize, "", "Resize", ledge::prepare)
