// Data sets for calibration, evaluation and validation: the samples one model input takes,
// and optionally their class labels. Shared by `ledge quantize`, `ledge validate` and
// `ledge evaluate`, so that all three read the same data the same way.
//
//   LEDGE_ASSIGN(Dataset d, load_dataset("t10k-images-idx3-ubyte.gz", {}));
//   LEDGE_ASSIGN(d.labels, load_labels("t10k-labels-idx1-ubyte.gz"));
//   LEDGE_TRY(fit_to_input(d, session->inputs()[0]));   // [N,28,28] -> [N,1,28,28]
//
// Formats, recognized by content and name:
//   IDX (MNIST, Fashion-MNIST; .gz too)   integer elements become float32 x `scale`
//                                         (default 1/255: bytes to [0, 1])
//   .npy                                  float32 as stored; integers like IDX
//   .pb (an ONNX TensorProto)             the same
//   a folder of .npy or .pb files         one sample or batch per file, in name order
//   a folder of PNG/JPEG images           flat, or one subfolder per class (labels from the
//   (or one image file)                   folder names); decoded and preprocessed by
//                                         options.preprocess (data/image_folder.h)
// Every file is untrusted: shapes and sizes are checked, errors name the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace ledge {

struct Dataset {
  Tensor samples;               // float32 [N, ...]: the first axis counts samples
  std::vector<int64_t> labels;  // empty, or one class index per sample
  std::string source;           // where the samples came from, for messages and reports
  // Images by class folder: the folder names, label i being class_names[i]; else empty.
  std::vector<std::string> class_names;
  // Images: one file name per sample (relative to the folder), for reports; else empty.
  std::vector<std::string> names;

  int64_t size() const { return samples.defined() && samples.rank() > 0 ? samples.dim(0) : 0; }
  // Sample i as a float32 [1, ...] tensor (a copy).
  Expected<Tensor> sample(int64_t i) const;
  // Samples [first, first + count) as one float32 [count, ...] batch (a copy).
  Expected<Tensor> batch(int64_t first, int64_t count) const;
};

struct DatasetOptions {
  // Integer elements are multiplied by num / den (kept as a fraction so that x * 1 / 255 is
  // one float32 division, bit-identical to numpy's `x.astype(float32) / 255`).
  float scale_num = 1, scale_den = 255;
  int64_t limit = -1;  // read at most this many samples (-1: all)
  // Images only: the preprocessing spec (data/preprocess.h), "" for its defaults. Its scale,
  // when not given, is the one above. Given for data that are not images: an error.
  std::string preprocess;
};

// Parses "1/255" or a plain number into options.scale_*.
Status parse_scale(const std::string& text, DatasetOptions& options);

Expected<Dataset> load_dataset(const std::string& path, const DatasetOptions& options = {});

// Class labels: an IDX or .npy file of integers (one per sample), or a text file with one
// integer per line.
Expected<std::vector<int64_t>> load_labels(const std::string& path);

// Reshapes the samples to what `input` declares, when only a unit axis or a flattening
// separates them ([N,28,28] -> [N,1,28,28] or [N,784]); checks every fixed dimension after
// the batch axis and that labels (if any) match the sample count.
Status fit_to_input(Dataset& d, const ValueInfo& input);

// Standardizes every sample on its own (normalize=standardize, data/preprocess.h): for data
// that are already tensors (IDX, .npy), whose darkening (`ledge validate --brightness`) must
// come first for the normalization to undo it.
void standardize_samples(Dataset& d);

// Indices of about `total` samples split evenly over the classes (the first of each class;
// fewer where a class has fewer), in order: a class-balanced calibration subset. Needs labels.
Expected<std::vector<int64_t>> balanced_subset(const Dataset& d, int64_t total);

}  // namespace ledge
