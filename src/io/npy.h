// numpy .npy files (format versions 1, 2 and 3; C order; little-endian).
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace ledge {

Expected<Tensor> parse_npy(const void* data, size_t size);
Expected<Tensor> read_npy(const std::string& path);
// The bytes of a version 1.0 .npy file holding t (data 64-byte aligned in the file).
Expected<std::string> serialize_npy(const Tensor& t);
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace ledge
