// ledge keygen -o NAME [--force]: an Ed25519 key pair, NAME.key (secret, mode 0600) and
// NAME.pub, for the root of trust or for signing bundles (docs/deploy.md).
#include <cstdio>

#include "deploy/keys.h"
#include "tools/ledge/commands.h"
#include "tools/ledge/common.h"

namespace ledge::cli {

namespace {

struct KeygenArgs {
  std::string name;
  bool force = false;
};

int keygen(const KeygenArgs& a) {
  auto pair = deploy::generate_key_pair();
  if (!pair) return report(pair.error());
  Status st = deploy::write_key_pair(*pair, a.name, a.force);
  if (!st.ok()) return report(st.error());
  std::printf("key id: %s\nsecret: %s.key (mode 0600; keep it off devices)\npublic: %s.pub\n",
              pair->public_key.id().c_str(), a.name.c_str(), a.name.c_str());
  return 0;
}

}  // namespace

void add_keygen_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* cmd = app.add_subcommand("keygen", "Make an Ed25519 key pair for signing bundles");
  cmd->add_option("-o,--output", args->name, "NAME: writes NAME.key and NAME.pub")->required();
  cmd->add_flag("--force", args->force, "replace existing key files");
  cmd->callback([args, &exit_code]() { exit_code = keygen(*args); });
}

}  // namespace ledge::cli
