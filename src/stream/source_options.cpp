#include "stream/source_options.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace ledge::stream {

Expected<SourceOptions> SourceOptions::parse(const std::string& what, const std::string& text,
                                             const std::set<std::string>& known) {
  SourceOptions o;
  o.what_ = what;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid_argument(what + " source: expected key=value, got '" + item + "'");
    const std::string key = item.substr(0, eq);
    if (!known.count(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return invalid_argument(what + " source: unknown option '" + key + "' (known: " + list + ")");
    }
    if (!o.values_.emplace(key, item.substr(eq + 1)).second)
      return invalid_argument(what + " source: '" + key + "' given twice");
    start = end + 1;
  }
  return o;
}

std::string SourceOptions::text(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

Expected<double> SourceOptions::number(const std::string& key, double fallback, double min,
                                       double max) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const std::string& s = it->second;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v) ||
      v < min || v > max)
    return invalid_argument(what_ + " source: " + key + "='" + s + "' is not a number from " +
                            std::to_string(min) + " to " + std::to_string(max));
  return v;
}

void split_path_and_options(const std::string& text, const std::set<std::string>& known,
                            std::string& path, std::string& options) {
  size_t cut = text.size();
  while (true) {
    const size_t comma = text.rfind(',', cut == 0 ? 0 : cut - 1);
    if (comma == std::string::npos || cut == 0) break;
    const std::string item = text.substr(comma + 1, cut - comma - 1);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || !known.count(item.substr(0, eq))) break;
    cut = comma;
  }
  path = text.substr(0, cut);
  options = cut < text.size() ? text.substr(cut + 1) : "";
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace ledge::stream
