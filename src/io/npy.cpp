#include "io/npy.h"

#include <cstring>

#include "core/file.h"

namespace ledge {

namespace {

constexpr char kMagic[] = "\x93NUMPY";

struct NpyType {
  const char* descr;
  DType dtype;
};
constexpr NpyType kTypes[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16},
    {"|i1", DType::kInt8},    {"|u1", DType::kUInt8},   {"<i2", DType::kInt16},
    {"<u2", DType::kUInt16},  {"<i4", DType::kInt32},   {"<u4", DType::kUInt32},
    {"<i8", DType::kInt64},   {"<u8", DType::kUInt64},  {"|b1", DType::kBool},
};

// Value of `'key': value` in the header dict, as raw text up to the next ',' or '}' at the
// same nesting level.
Expected<std::string> header_field(const std::string& h, const std::string& key) {
  const std::string k = "'" + key + "'";
  size_t p = h.find(k);
  if (p == std::string::npos) return invalid_argument("npy header lacks '" + key + "'");
  p = h.find(':', p + k.size());
  if (p == std::string::npos) return invalid_argument("npy header is malformed");
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  int depth = 0;
  size_t e = p;
  for (; e < h.size(); ++e) {
    const char c = h[e];
    if (c == '(' || c == '[')
      ++depth;
    else if (c == ')' || c == ']')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  return h.substr(p, e - p);
}

}  // namespace

Expected<Tensor> parse_npy(const void* data, size_t size) {
  const auto* b = static_cast<const unsigned char*>(data);
  if (size < 10 || std::memcmp(b, kMagic, 6) != 0) return invalid_argument("not a .npy file");
  const int major = b[6];
  size_t header_len, offset;
  if (major == 1) {
    header_len = b[8] | (b[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return invalid_argument("truncated .npy header");
    header_len = b[8] | (b[9] << 8) | (static_cast<size_t>(b[10]) << 16) |
                 (static_cast<size_t>(b[11]) << 24);
    offset = 12;
  } else {
    return unsupported(".npy format version " + std::to_string(major));
  }
  if (header_len > size - offset) return invalid_argument("truncated .npy header");
  const std::string h(reinterpret_cast<const char*>(b + offset), header_len);
  LEDGE_ASSIGN(std::string descr, header_field(h, "descr"));
  LEDGE_ASSIGN(std::string fortran, header_field(h, "fortran_order"));
  LEDGE_ASSIGN(std::string shape_text, header_field(h, "shape"));
  if (fortran.rfind("False", 0) != 0) return unsupported(".npy in Fortran order");
  DType dtype = DType::kUndefined;
  for (const auto& t : kTypes)
    if (descr == std::string("'") + t.descr + "'") dtype = t.dtype;
  if (dtype == DType::kUndefined) return unsupported(".npy element type " + descr);
  Shape shape;
  if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')')
    return invalid_argument(".npy shape is malformed: " + shape_text);
  const std::string inner = shape_text.substr(1, shape_text.size() - 2);
  size_t p = 0;
  while (p < inner.size()) {
    while (p < inner.size() && (inner[p] == ' ' || inner[p] == ',')) ++p;
    if (p >= inner.size()) break;
    size_t e = p;
    while (e < inner.size() && inner[e] >= '0' && inner[e] <= '9') ++e;
    if (e == p || e - p > 15) return invalid_argument(".npy shape is malformed: " + shape_text);
    shape.push_back(std::stoll(inner.substr(p, e - p)));
    p = e;
  }
  LEDGE_ASSIGN(int64_t n, checked_numel(shape));
  const size_t body = size - offset - header_len;
  if (static_cast<uint64_t>(n) > body / dtype_size(dtype) ||
      static_cast<size_t>(n) * dtype_size(dtype) != body)
    return invalid_argument(".npy data has " + std::to_string(body) + " bytes, shape " +
                            shape_to_string(shape) + " needs " +
                            std::to_string(static_cast<uint64_t>(n) * dtype_size(dtype)));
  LEDGE_ASSIGN(Tensor t, Tensor::make(dtype, shape));
  if (body) std::memcpy(t.raw(), b + offset + header_len, body);
  if (dtype == DType::kBool)
    for (int64_t i = 0; i < n; ++i)
      reinterpret_cast<uint8_t*>(t.raw())[i] = reinterpret_cast<uint8_t*>(t.raw())[i] != 0;
  return t;
}

Expected<Tensor> read_npy(const std::string& path) {
  LEDGE_ASSIGN(std::string bytes, read_file(path));
  auto t = parse_npy(bytes.data(), bytes.size());
  if (!t) return std::move(t).error().with_context(path);
  return t;
}

Expected<std::string> serialize_npy(const Tensor& t) {
  const char* descr = nullptr;
  for (const auto& e : kTypes)
    if (e.dtype == t.dtype()) descr = e.descr;
  if (!descr) return unsupported("cannot write " + std::string(dtype_name(t.dtype())) + " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + ", ";
  if (t.shape().size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.shape().size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes; end with '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

Status write_npy(const std::string& path, const Tensor& t) {
  LEDGE_ASSIGN(std::string bytes, serialize_npy(t));
  return write_file(path, bytes.data(), bytes.size());
}

}  // namespace ledge
