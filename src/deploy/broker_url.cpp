#include "deploy/broker_url.h"

#include <cctype>

namespace ledge::deploy {

Expected<BrokerAddress> parse_broker_url(std::string_view url) {
  const std::string quoted = "broker URL '" + std::string(url) + "'";
  constexpr std::string_view kScheme = "mqtt://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return invalid_argument(quoted + ": expected mqtt://HOST:PORT");
  const std::string_view rest = url.substr(kScheme.size());
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos)
    return invalid_argument(quoted + ": the port is missing (mqtt://HOST:PORT)");
  const std::string_view host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host.empty()) return invalid_argument(quoted + ": the host is empty");
  if (host.size() > 253) return invalid_argument(quoted + ": the host is too long");
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'))
      return invalid_argument(quoted + ": unexpected character '" + std::string(1, c) +
                              "' in the host (no user, path or IPv6 literal)");
  if (port.empty() || port.size() > 5)
    return invalid_argument(quoted + ": the port must be a number from 1 to 65535");
  int value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return invalid_argument(quoted + ": the port must be a number from 1 to 65535");
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535)
    return invalid_argument(quoted + ": the port must be a number from 1 to 65535");
  return BrokerAddress{std::string(host), value};
}

}  // namespace ledge::deploy
