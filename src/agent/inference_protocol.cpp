#include "agent/inference_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/npy.h"

namespace ledge::agent {

namespace {

Status write_bytes(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return io_error(std::string("socket write failed: ") + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

// Reads exactly n bytes; `eof_ok` lets a clean close before the first byte read as eof.
Status read_bytes(int fd, void* data, size_t n, bool* eof = nullptr) {
  char* p = static_cast<char*>(data);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, p + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && got == 0 && eof) {
      *eof = true;
      return {};
    }
    if (r == 0) return io_error("connection closed in the middle of a message");
    if (r < 0) return io_error(std::string("socket read failed: ") + std::strerror(errno));
    got += static_cast<size_t>(r);
  }
  return {};
}

template <typename T>
void put(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

template <typename T>
Expected<T> get(int fd) {
  unsigned char b[sizeof(T)];
  LEDGE_TRY(read_bytes(fd, b, sizeof b));
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(b[i]) << (8 * i);
  return v;
}

Status put_tensors(std::string& out, const NamedTensors& tensors) {
  if (tensors.size() > kMaxTensors) return resource_limit("too many tensors in one message");
  put<uint32_t>(out, static_cast<uint32_t>(tensors.size()));
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name.size() > kMaxNameBytes)
      return invalid_argument("tensor name of " + std::to_string(name.size()) + " bytes");
    LEDGE_ASSIGN(std::string npy, serialize_npy(t));
    if (npy.size() > kMaxTensorBytes) return resource_limit("tensor '" + name + "' too large");
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    put<uint64_t>(out, npy.size());
    out += npy;
  }
  return {};
}

Expected<NamedTensors> get_tensors(int fd) {
  LEDGE_ASSIGN(uint32_t count, get<uint32_t>(fd));
  if (count > kMaxTensors) return resource_limit(std::to_string(count) + " tensors in a message");
  NamedTensors out;
  for (uint32_t i = 0; i < count; ++i) {
    LEDGE_ASSIGN(uint32_t name_len, get<uint32_t>(fd));
    if (name_len == 0 || name_len > kMaxNameBytes)
      return invalid_argument("tensor name of " + std::to_string(name_len) + " bytes");
    std::string name(name_len, '\0');
    LEDGE_TRY(read_bytes(fd, name.data(), name.size()));
    LEDGE_ASSIGN(uint64_t size, get<uint64_t>(fd));
    if (size > kMaxTensorBytes) return resource_limit("tensor '" + name + "' too large");
    std::string npy(size, '\0');
    LEDGE_TRY(read_bytes(fd, npy.data(), npy.size()));
    auto t = parse_npy(npy.data(), npy.size());
    if (!t) return t.error().with_context("tensor '" + name + "'");
    out.emplace_back(std::move(name), std::move(*t));
  }
  return out;
}

Status expect_magic(int fd, bool* eof) {
  char magic[4];
  LEDGE_TRY(read_bytes(fd, magic, 4, eof));
  if (eof && *eof) return {};
  if (std::memcmp(magic, kProtocolMagic, 4) != 0) return invalid_argument("not a ledge message");
  return {};
}

}  // namespace

Status send_request(int fd, const NamedTensors& inputs) {
  std::string out(kProtocolMagic, 4);
  LEDGE_TRY(put_tensors(out, inputs));
  return write_bytes(fd, out.data(), out.size());
}

Expected<NamedTensors> receive_request(int fd, bool& eof) {
  eof = false;
  LEDGE_TRY(expect_magic(fd, &eof));
  if (eof) return NamedTensors{};
  return get_tensors(fd);
}

Status send_reply(int fd, const InferReply& reply) {
  std::string out(kProtocolMagic, 4);
  put<uint32_t>(out, 0);
  put<uint64_t>(out, reply.version);
  LEDGE_TRY(put_tensors(out, reply.outputs));
  return write_bytes(fd, out.data(), out.size());
}

Status send_error(int fd, const std::string& message) {
  std::string out(kProtocolMagic, 4);
  put<uint32_t>(out, 1);
  const std::string m = message.substr(0, 4096);
  put<uint32_t>(out, static_cast<uint32_t>(m.size()));
  out += m;
  return write_bytes(fd, out.data(), out.size());
}

Expected<InferReply> receive_reply(int fd) {
  LEDGE_TRY(expect_magic(fd, nullptr));
  LEDGE_ASSIGN(uint32_t status, get<uint32_t>(fd));
  if (status != 0) {
    LEDGE_ASSIGN(uint32_t len, get<uint32_t>(fd));
    if (len > 4096) return invalid_argument("error message too long");
    std::string m(len, '\0');
    LEDGE_TRY(read_bytes(fd, m.data(), m.size()));
    return invalid_argument("inference service: " + m);
  }
  InferReply r;
  LEDGE_ASSIGN(r.version, get<uint64_t>(fd));
  LEDGE_ASSIGN(r.outputs, get_tensors(fd));
  return r;
}

}  // namespace ledge::agent
