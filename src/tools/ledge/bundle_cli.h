// Pieces shared by the `ledge bundle` subcommands (cmd_bundle.cpp, cmd_bundle_verify.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace ledge::cli {

// "30d", "12h", "90m", "3600s" after `now`, or "@1790000000" (absolute Unix seconds).
Expected<int64_t> parse_expiry(const std::string& text, int64_t now);
// Unix seconds: `now_flag` when given (tests, reproducible builds), else the clock.
int64_t current_time(int64_t now_flag);

// Registers `bundle verify` and `bundle extract` under the `bundle` command.
void add_bundle_verify_commands(CLI::App& bundle, int& exit_code);

}  // namespace ledge::cli
