// ledge: from an ONNX model to a fleet of devices.
#include <cstdio>

#include "tools/ledge/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ledge: import, run, optimize and ship neural networks on edge devices"};
  app.require_subcommand(1);
  int exit_code = 0;
  ledge::cli::add_run_command(app, exit_code);
  ledge::cli::add_inspect_command(app, exit_code);
  ledge::cli::add_ops_command(app, exit_code);
  ledge::cli::add_evaluate_command(app, exit_code);
  ledge::cli::add_bench_command(app, exit_code);
  ledge::cli::add_optimize_command(app, exit_code);
  ledge::cli::add_compile_command(app, exit_code);
  ledge::cli::add_quantize_command(app, exit_code);
  ledge::cli::add_validate_command(app, exit_code);
  ledge::cli::add_keygen_command(app, exit_code);
  ledge::cli::add_bundle_command(app, exit_code);
  ledge::cli::add_telemetry_command(app, exit_code);
  ledge::cli::add_agent_command(app, exit_code);
  ledge::cli::add_stream_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors share the invalid-argument exit code
  }
  return exit_code;
}
