// The broker address the uplink connects to, parsed strictly from `mqtt://host:port`.
//
//   LEDGE_ASSIGN(BrokerAddress broker, parse_broker_url("mqtt://127.0.0.1:1883"));
//
// The port is required (no silent default); host is a name or an IPv4 address. User info,
// paths, queries and other schemes (mqtts://, tcp://) are refused with a one-line reason:
// TLS and credentials are configured by their own options, never hidden in a URL.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace ledge::deploy {

struct BrokerAddress {
  std::string host;
  int port = 0;
};

Expected<BrokerAddress> parse_broker_url(std::string_view url);

}  // namespace ledge::deploy
