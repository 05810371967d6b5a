// The one serialization that signatures cover: no spaces, object keys sorted (nlohmann's
// std::map order), invalid UTF-8 replaced rather than thrown on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ledge::deploy {

inline std::string canonical_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ledge::deploy
