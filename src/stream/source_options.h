// The key=value options of a source spec ("fps=30,drift_to=22"), parsed once and checked:
// every key must be known to the source, and numbers must be numbers.
#pragma once

#include <map>
#include <set>
#include <string>

#include "core/status.h"

namespace ledge::stream {

class SourceOptions {
 public:
  // `what` names the source in errors ("synthetic"); `known` lists the keys it accepts.
  static Expected<SourceOptions> parse(const std::string& what, const std::string& text,
                                       const std::set<std::string>& known);

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  std::string text(const std::string& key, const std::string& fallback = "") const;
  // A finite number within [min, max], or `fallback` when the key is absent.
  Expected<double> number(const std::string& key, double fallback, double min, double max) const;

 private:
  std::string what_;
  std::map<std::string, std::string> values_;
};

// Splits "PATH,key=value,..." where only trailing items that look like key=value with a
// known key are options, so a path may itself contain commas.
void split_path_and_options(const std::string& text, const std::set<std::string>& known,
                            std::string& path, std::string& options);

// A number as people write it in a description: 30, 22.5, 0.001 ("%g").
std::string short_number(double v);

}  // namespace ledge::stream
