#include "stream/emit_rule.h"

#include <charconv>
#include <cmath>
#include <vector>

namespace ledge::stream {

namespace {

Expected<int64_t> parse_integer(const std::string& what, const std::string& s, int64_t min) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < min)
    return invalid_argument("--emit: " + what + " '" + s +
                            "' is not an integer >= " + std::to_string(min));
  return v;
}

}  // namespace

Expected<EmitRule> EmitRule::parse(const std::string& text) {
  // Items are comma-separated key=value; an item without '=' continues the previous value
  // (the class list "class=3,5:0.8").
  std::vector<std::pair<std::string, std::string>> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t eq = item.find('=');
    if (item == "change" && items.empty())
      items.emplace_back("change", "");
    else if (eq != std::string::npos)
      items.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    else if (!items.empty() && items.back().first == "class")
      items.back().second += "," + item;
    else
      return invalid_argument("--emit: expected class=LIST[:P], change or debounce=N, got '" +
                              item + "'");
    start = end + 1;
  }
  EmitRule r;
  bool have_kind = false;
  for (const auto& [key, value] : items) {
    if (key == "change" || key == "class") {
      if (have_kind) return invalid_argument("--emit: give one of class=... or change");
      have_kind = true;
    }
    if (key == "change") {
      r.kind_ = Kind::kChange;
    } else if (key == "class") {
      r.kind_ = Kind::kClass;
      std::string list = value;
      const size_t colon = value.find(':');
      if (colon != std::string::npos) {
        list = value.substr(0, colon);
        const std::string p = value.substr(colon + 1);
        double v = -1;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || !(v >= 0 && v <= 1))
          return invalid_argument("--emit: confidence '" + p + "' is not a number from 0 to 1");
        r.min_confidence_ = static_cast<float>(v);
      }
      size_t s = 0;
      while (s <= list.size()) {
        size_t e = list.find(',', s);
        if (e == std::string::npos) e = list.size();
        LEDGE_ASSIGN(int64_t c, parse_integer("class", list.substr(s, e - s), 0));
        r.classes_.insert(c);
        s = e + 1;
      }
    } else if (key == "debounce") {
      LEDGE_ASSIGN(r.debounce_, parse_integer("debounce", value, 1));
    } else {
      return invalid_argument("--emit: unknown key '" + key + "' (known: class, change, debounce)");
    }
  }
  if (!have_kind) return invalid_argument("--emit: give class=LIST[:P] or change");
  return r;
}

std::optional<EmittedEvent> EmitRule::observe(int64_t seq, const Decision& d) {
  if (kind_ == Kind::kClass) {
    const bool holds = classes_.count(d.top1) && d.confidence >= min_confidence_;
    if (!holds) {
      streak_ = 0;
      firing_ = false;
      return std::nullopt;
    }
    if (++streak_ < debounce_ || firing_) return std::nullopt;
    firing_ = true;
    return EmittedEvent{"class", seq, d, -1};
  }
  if (d.top1 == state_) {
    candidate_ = -1;
    streak_ = 0;
    return std::nullopt;
  }
  if (d.top1 != candidate_) {
    candidate_ = d.top1;
    streak_ = 0;
  }
  if (++streak_ < debounce_) return std::nullopt;
  const int64_t previous = state_;
  state_ = d.top1;
  candidate_ = -1;
  streak_ = 0;
  if (previous < 0) return std::nullopt;  // the first state: nothing changed yet
  return EmittedEvent{"change", seq, d, previous};
}

std::string EmitRule::describe() const {
  std::string d;
  if (kind_ == Kind::kChange) {
    d = "change";
  } else {
    d = "class=";
    for (int64_t c : classes_) d += (d.size() > 6 ? "," : "") + std::to_string(c);
    if (min_confidence_ > 0) d += ":" + std::to_string(min_confidence_);
  }
  return d + ",debounce=" + std::to_string(debounce_);
}

}  // namespace ledge::stream
