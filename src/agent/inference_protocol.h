// The local inference service's wire format (a Unix stream socket; docs/agent.md).
//
//   request:  "LDG1" u32 count, then per input:  u32 name length, name, u64 size, .npy bytes
//   response: "LDG1" u32 status (0: ok) then
//               ok:    u64 model version, u32 count, per output: u32 name length, name,
//                      u64 size, .npy bytes
//               error: u32 length, message
// Integers little-endian. A connection carries any number of requests, one at a time.
// Limits (both sides check them): 64 tensors, names of 1 to 256 bytes, 256 MiB per tensor.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace ledge::agent {

inline constexpr char kProtocolMagic[4] = {'L', 'D', 'G', '1'};
inline constexpr uint32_t kMaxTensors = 64;
inline constexpr uint32_t kMaxNameBytes = 256;
inline constexpr uint64_t kMaxTensorBytes = uint64_t{256} << 20;

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct InferReply {
  uint64_t version = 0;  // the model version that answered
  NamedTensors outputs;
};

// Blocking reads and writes of whole messages on a socket; errors for EOF, timeouts, limits.
Status send_request(int fd, const NamedTensors& inputs);
// nullopt-like: returns false through `eof` when the peer closed before a new request began.
Expected<NamedTensors> receive_request(int fd, bool& eof);
Status send_reply(int fd, const InferReply& reply);
Status send_error(int fd, const std::string& message);
// The reply, or the server's error message as an Error.
Expected<InferReply> receive_reply(int fd);

}  // namespace ledge::agent
