#include "artifact/format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "artifact/crc32.h"

namespace ledge::artifact {

namespace {

// FlatBuffers addresses its buffer with 32-bit signed offsets.
constexpr uint64_t kMaxPayload = (uint64_t{1} << 31) - 1;

// Fixed-width little-endian fields (ledge targets little-endian machines, but the header is
// written byte by byte so that its layout does not depend on struct packing).
template <class T>
T get(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
  return v;
}

template <class T>
void put(char* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t align_up(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

bool has_magic(const void* data, size_t size) {
  return size >= sizeof kMagic && std::memcmp(data, kMagic, sizeof kMagic) == 0;
}

Expected<Header> parse_header(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (size >= sizeof kMagic && !has_magic(data, size))
    return invalid_model("not a .ledge artifact (the file does not start with \"LEDGE\")");
  if (size < kHeaderSize)
    return invalid_model("truncated .ledge artifact: " + std::to_string(size) +
                         " bytes, shorter than the " + std::to_string(kHeaderSize) +
                         "-byte header");
  Header h;
  h.format_version = get<uint16_t>(p + 6);
  if (h.format_version != kFormatVersion)
    return unsupported("artifact format version " + std::to_string(h.format_version) +
                       ", but this ledge reads format version " + std::to_string(kFormatVersion) +
                       "; compile the model again with this ledge's `ledge compile`");
  h.flags = get<uint32_t>(p + 8);
  h.header_size = get<uint32_t>(p + 12);
  h.payload_offset = get<uint64_t>(p + 16);
  h.payload_size = get<uint64_t>(p + 24);
  h.data_offset = get<uint64_t>(p + 32);
  h.data_size = get<uint64_t>(p + 40);
  h.file_size = get<uint64_t>(p + 48);
  h.checksum = get<uint32_t>(p + kChecksumOffset);
  if (h.flags != 0) return unsupported("artifact uses unknown flags 0x" + hex(h.flags));
  if (h.header_size != kHeaderSize)
    return invalid_model("artifact header size " + std::to_string(h.header_size) + ", expected " +
                         std::to_string(kHeaderSize));
  if (h.file_size != size)
    return invalid_model(
        (size < h.file_size ? "truncated .ledge artifact: the header declares "
                            : "the .ledge artifact has trailing bytes: the header declares ") +
        std::to_string(h.file_size) + " bytes, the file has " + std::to_string(size));
  // Each section inside the file and after the previous one; sums cannot overflow because
  // every term is checked against the file size first.
  if (h.payload_offset < h.header_size || h.payload_offset > size || h.payload_offset % 8 != 0)
    return invalid_model("artifact payload offset " + std::to_string(h.payload_offset) +
                         " is out of range or misaligned");
  if (h.payload_size == 0 || h.payload_size > size - h.payload_offset ||
      h.payload_size > kMaxPayload)
    return invalid_model("artifact payload size " + std::to_string(h.payload_size) +
                         " is out of range");
  if (h.data_offset < h.payload_offset + h.payload_size || h.data_offset > size ||
      h.data_offset % kTensorAlignment != 0)
    return invalid_model("artifact data offset " + std::to_string(h.data_offset) +
                         " is out of range or not " + std::to_string(kTensorAlignment) +
                         "-byte aligned");
  if (h.data_size != size - h.data_offset)
    return invalid_model("artifact data size " + std::to_string(h.data_size) +
                         " does not reach the end of the file");
  return h;
}

uint32_t compute_checksum(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = crc32_update(0, p, std::min(size, kChecksumOffset));
  if (size > kHeaderSize) c = crc32_update(c, p + kHeaderSize, size - kHeaderSize);
  return c;
}

Status verify_checksum(const Header& header, const void* data, size_t size) {
  const uint32_t actual = compute_checksum(data, size);
  if (actual != header.checksum)
    return invalid_model("artifact checksum mismatch (stored " + hex(header.checksum) +
                         ", computed " + hex(actual) + "): the file is corrupt");
  return Status();
}

std::string assemble(std::string_view payload, std::string_view data) {
  Header h;
  h.payload_offset = kHeaderSize;
  h.payload_size = payload.size();
  h.data_offset = align_up(h.payload_offset + h.payload_size, kTensorAlignment);
  h.data_size = data.size();
  h.file_size = h.data_offset + h.data_size;

  std::string out(h.file_size, '\0');
  char* p = out.data();
  std::memcpy(p, kMagic, sizeof kMagic);
  put<uint16_t>(p + 6, h.format_version);
  put<uint32_t>(p + 8, h.flags);
  put<uint32_t>(p + 12, h.header_size);
  put<uint64_t>(p + 16, h.payload_offset);
  put<uint64_t>(p + 24, h.payload_size);
  put<uint64_t>(p + 32, h.data_offset);
  put<uint64_t>(p + 40, h.data_size);
  put<uint64_t>(p + 48, h.file_size);
  if (!payload.empty()) std::memcpy(p + h.payload_offset, payload.data(), payload.size());
  if (!data.empty()) std::memcpy(p + h.data_offset, data.data(), data.size());
  put<uint32_t>(p + kChecksumOffset, compute_checksum(out.data(), out.size()));
  return out;
}

}  // namespace ledge::artifact
