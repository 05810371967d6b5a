// A model as the pipeline's inference function: each frame is preprocessed
// (data/preprocess.h) into the model's single image input, run with batch 1, and the first
// output's largest score becomes the decision; its confidence is the softmax probability
// (taken as is when the output already is a probability distribution).
//
// Without a preprocessing spec the frame is resized to the input's height and width and
// converted to its channel count (1: gray, 3: RGB) in its layout (NCHW, or NHWC when the
// last dimension is 1 or 3 and the second is not), scaled by 1/255.
#pragma once

#include <memory>
#include <string>

#include "runtime/session.h"
#include "stream/decision.h"

namespace ledge::stream {

// The spec used when the caller gives none, from the input's declared shape.
Expected<std::string> default_preprocess(const ValueInfo& input);

// `preprocess` empty: default_preprocess. The session must outlive the function's use.
Expected<InferenceFn> model_inference(std::shared_ptr<const Session> session,
                                      const std::string& preprocess);

// The winning class and its probability from a score vector.
Decision decide(std::span<const float> scores);

}  // namespace ledge::stream
