// IDX files: the format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//
// Layout (all integers big-endian):
//   0x00 0x00 <type> <rank>     type 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
//                               0x0D float32, 0x0E float64
//   <rank> x uint32 dimensions
//   the elements, in C order, big-endian
//
//   LEDGE_ASSIGN(Tensor images, read_idx("t10k-images-idx3-ubyte.gz"));  // uint8 [N,28,28]
//
// The files are untrusted: the magic, the type code and the dimensions are checked against
// the data actually present, so a truncated, corrupt or hostile file gives an error, never a
// crash or an allocation sized by a claim the file cannot back.
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace ledge {

// Parses an IDX file held in memory; gzip-compressed data is recognized by its magic bytes.
Expected<Tensor> parse_idx(const void* data, size_t size);
Expected<Tensor> read_idx(const std::string& path);

// The bytes of an IDX file holding `t`, gzip-compressed when `gzip` is set.
Expected<std::string> encode_idx(const Tensor& t, bool gzip = false);
Status write_idx(const std::string& path, const Tensor& t, bool gzip = false);

}  // namespace ledge
