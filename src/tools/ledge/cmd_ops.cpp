// ledge ops [--json]: the operators this build implements (from src/ops/op_list.def).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ops/kernel.h"
#include "tools/ledge/commands.h"

namespace ledge::cli {

void add_ops_command(CLI::App& app, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("ops", "List the operators ledge implements");
  cmd->add_flag("--json", *json, "print a JSON array");
  cmd->callback([json, &exit_code]() {
    const std::vector<std::string> ops = implemented_ops();
    if (*json) {
      std::printf("%s\n", nlohmann::json(ops).dump(2).c_str());
    } else {
      for (const auto& op : ops) std::printf("%s\n", op.c_str());
      std::fprintf(stderr, "%zu operators\n", ops.size());
    }
    exit_code = 0;
  });
}

}  // namespace ledge::cli
