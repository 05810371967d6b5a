#include "io/idx.h"

#define ZLIB_CONST  // next_in is const: the input is never written
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/file.h"

namespace ledge {

namespace {

struct IdxType {
  unsigned char code;
  DType dtype;
};
constexpr IdxType kTypes[] = {
    {0x08, DType::kUInt8}, {0x09, DType::kInt8},    {0x0B, DType::kInt16},
    {0x0C, DType::kInt32}, {0x0D, DType::kFloat32}, {0x0E, DType::kFloat64},
};

// zlib counts bytes in 32-bit unsigned ints; larger buffers go through in pieces.
constexpr size_t kZlibChunk = size_t{1} << 30;

std::string hex_byte(unsigned v) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(v >> 4) & 0xf] + digits[v & 0xf];
}

bool is_gzip(const unsigned char* b, size_t n) { return n >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

// Sequential reads from a plain or gzip-compressed buffer. Decompressing on demand, rather
// than up front, keeps memory proportional to the data actually present: a small file whose
// header claims gigabytes costs only what it contains.
class ByteSource {
 public:
  ByteSource(const unsigned char* data, size_t size)
      : data_(data), size_(size), gzip_(is_gzip(data, size)) {}
  ~ByteSource() {
    if (z_ready_) inflateEnd(&zs_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  bool gzip() const { return gzip_; }

  // Fills up to n bytes of out; returns fewer only at the end of the data.
  Expected<size_t> read(unsigned char* out, size_t n) {
    if (!gzip_) {
      const size_t k = std::min(n, size_ - pos_);
      if (k) std::memcpy(out, data_ + pos_, k);
      pos_ += k;
      return k;
    }
    if (!z_ready_) {
      // 15 + 16: a 32 KiB window and a gzip (not zlib) wrapper.
      if (inflateInit2(&zs_, 15 + 16) != Z_OK)
        return resource_limit("cannot initialize gzip decompression");
      z_ready_ = true;
    }
    size_t done = 0;
    while (done < n && !ended_) {
      if (zs_.avail_in == 0 && pos_ < size_) {
        const size_t k = std::min(size_ - pos_, kZlibChunk);
        zs_.next_in = data_ + pos_;
        zs_.avail_in = static_cast<uInt>(k);
        pos_ += k;
      }
      const uInt want = static_cast<uInt>(std::min(n - done, kZlibChunk));
      zs_.next_out = out + done;
      zs_.avail_out = want;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      done += want - zs_.avail_out;
      const bool input_left = zs_.avail_in > 0 || pos_ < size_;
      if (rc == Z_STREAM_END) {
        if (!input_left) {
          ended_ = true;
          break;
        }
        // Another gzip member follows: concatenated .gz files decompress to the
        // concatenation of their contents, as with gzip -d.
        if (inflateReset(&zs_) != Z_OK) return internal_error("cannot reset gzip decompression");
        continue;
      }
      if (rc == Z_BUF_ERROR && !input_left)
        return invalid_argument("truncated gzip data (the compressed stream ends early)");
      if (rc != Z_OK && rc != Z_BUF_ERROR)
        return invalid_argument(std::string("corrupt gzip data: ") +
                                (zs_.msg ? zs_.msg : "inflate error " + std::to_string(rc)));
    }
    return done;
  }

 private:
  const unsigned char* data_;
  size_t size_;
  size_t pos_ = 0;
  bool gzip_;
  z_stream zs_{};
  bool z_ready_ = false;
  bool ended_ = false;
};

// Copies n elements of `elem` bytes each, reversing byte order where the host's differs
// from the file's big-endian order.
void copy_big_endian(unsigned char* dst, const unsigned char* src, size_t n, size_t elem) {
  if (elem == 1 || std::endian::native == std::endian::big) {
    if (n) std::memcpy(dst, src, n * elem);
    return;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < elem; ++b) dst[i * elem + b] = src[i * elem + elem - 1 - b];
}

Expected<Tensor> decode(ByteSource& src) {
  unsigned char head[4];
  LEDGE_ASSIGN(size_t got, src.read(head, sizeof head));
  if (got < sizeof head) return invalid_argument("truncated IDX header");
  if (head[0] != 0 || head[1] != 0)
    return invalid_argument("not an IDX file: it starts with " + hex_byte(head[0]) + " " +
                            hex_byte(head[1]) + ", expected 0x00 0x00");
  DType dtype = DType::kUndefined;
  for (const auto& t : kTypes)
    if (t.code == head[2]) dtype = t.dtype;
  if (dtype == DType::kUndefined)
    return invalid_argument("unknown IDX element type code " + hex_byte(head[2]));
  const size_t rank = head[3];
  unsigned char dim_bytes[4 * 255];
  LEDGE_ASSIGN(got, src.read(dim_bytes, 4 * rank));
  if (got < 4 * rank) return invalid_argument("truncated IDX header (dimensions)");
  Shape shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    const unsigned char* d = dim_bytes + 4 * i;
    shape[i] = static_cast<int64_t>((uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) |
                                    (uint32_t{d[2]} << 8) | uint32_t{d[3]});
  }
  LEDGE_ASSIGN(int64_t n, checked_numel(shape));
  const size_t elem = dtype_size(dtype);
  if (static_cast<uint64_t>(n) > tensor_byte_limit() / elem)
    return resource_limit("IDX shape " + shape_to_string(shape) + " (" +
                          std::string(dtype_name(dtype)) + ") exceeds the limit of " +
                          std::to_string(tensor_byte_limit() >> 20) + " MiB");
  const size_t payload = static_cast<size_t>(n) * elem;

  // Read in pieces so that the buffer grows with the data found, not with the claim.
  std::string body;
  constexpr size_t kPiece = size_t{4} << 20;
  while (body.size() < payload) {
    const size_t old = body.size();
    const size_t want = std::min(kPiece, payload - old);
    body.resize(old + want);
    LEDGE_ASSIGN(got, src.read(reinterpret_cast<unsigned char*>(body.data()) + old, want));
    body.resize(old + got);
    if (got < want) break;
  }
  if (body.size() < payload)
    return invalid_argument("truncated IDX data: shape " + shape_to_string(shape) + " (" +
                            std::string(dtype_name(dtype)) + ") needs " + std::to_string(payload) +
                            " bytes, the file has " + std::to_string(body.size()));
  unsigned char extra;
  LEDGE_ASSIGN(got, src.read(&extra, 1));
  if (got != 0)
    return invalid_argument("IDX file has data after the " + std::to_string(payload) +
                            " bytes its shape " + shape_to_string(shape) + " declares");

  LEDGE_ASSIGN(Tensor t, Tensor::make(dtype, shape));
  copy_big_endian(static_cast<unsigned char*>(t.raw()),
                  reinterpret_cast<const unsigned char*>(body.data()), static_cast<size_t>(n),
                  elem);
  return t;
}

Expected<std::string> gzip_compress(const std::string& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return resource_limit("cannot initialize gzip compression");
  std::string out;
  size_t in_pos = 0;
  int flush = Z_NO_FLUSH;
  int rc = Z_OK;
  do {
    const size_t k = std::min(raw.size() - in_pos, kZlibChunk);
    zs.next_in = reinterpret_cast<const Bytef*>(raw.data() + in_pos);
    zs.avail_in = static_cast<uInt>(k);
    in_pos += k;
    flush = in_pos == raw.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      unsigned char buf[1 << 16];
      zs.next_out = buf;
      zs.avail_out = sizeof buf;
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) break;
      out.append(reinterpret_cast<const char*>(buf), sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH && rc != Z_STREAM_ERROR);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return internal_error("gzip compression failed");
  return out;
}

}  // namespace

Expected<Tensor> parse_idx(const void* data, size_t size) {
  ByteSource src(static_cast<const unsigned char*>(data), size);
  auto t = decode(src);
  if (!t && src.gzip()) return std::move(t).error().with_context("gzip");
  return t;
}

Expected<Tensor> read_idx(const std::string& path) {
  LEDGE_ASSIGN(std::string bytes, read_file(path));
  auto t = parse_idx(bytes.data(), bytes.size());
  if (!t) return std::move(t).error().with_context(path);
  return t;
}

Expected<std::string> encode_idx(const Tensor& t, bool gzip) {
  const IdxType* type = nullptr;
  for (const auto& e : kTypes)
    if (e.dtype == t.dtype()) type = &e;
  if (!type) return unsupported("IDX files cannot hold " + std::string(dtype_name(t.dtype())));
  if (t.rank() > 255)
    return invalid_argument("IDX files hold at most 255 dimensions, not " +
                            std::to_string(t.rank()));
  std::string raw = {'\0', '\0', static_cast<char>(type->code), static_cast<char>(t.rank())};
  for (int64_t d : t.shape()) {
    if (d < 0 || d > int64_t{std::numeric_limits<uint32_t>::max()})
      return invalid_argument("IDX dimensions are 32-bit; cannot write shape " +
                              shape_to_string(t.shape()));
    for (int shift = 24; shift >= 0; shift -= 8) raw += static_cast<char>((d >> shift) & 0xff);
  }
  const size_t header = raw.size();
  raw.resize(header + t.nbytes());
  // Byte reversal is its own inverse: the same copy converts to big-endian.
  copy_big_endian(reinterpret_cast<unsigned char*>(raw.data()) + header,
                  static_cast<const unsigned char*>(t.raw()), static_cast<size_t>(t.numel()),
                  dtype_size(t.dtype()));
  if (!gzip) return raw;
  return gzip_compress(raw);
}

Status write_idx(const std::string& path, const Tensor& t, bool gzip) {
  LEDGE_ASSIGN(std::string bytes, encode_idx(t, gzip));
  return write_file(path, bytes.data(), bytes.size());
}

}  // namespace ledge
