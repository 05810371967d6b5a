#include "agent/agent.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "deploy/durable_file.h"
#include "deploy/manifest_json.h"
#include "deploy/rejection.h"

namespace ledge::agent {

namespace fs = std::filesystem;

namespace {

std::string base_name(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace

const char* outcome_name(InstallOutcome o) {
  switch (o) {
    case InstallOutcome::kCommitted:
      return "committed";
    case InstallOutcome::kRejected:
      return "rejected";
    case InstallOutcome::kRolledBack:
      return "rolled_back";
    case InstallOutcome::kInterrupted:
      return "interrupted";
  }
  return "?";
}

struct Agent::Install {
  std::string bundle;
  int attempts = 1;
  std::optional<ActiveRecord> previous;
  deploy::Manifest manifest;
  std::string slot;
  std::string reason;  // the first failure
  InstallState failed_at = InstallState::kIdle;
  HealthReport health;

  ActiveRecord record() const {
    ActiveRecord r;
    r.slot = slot;
    r.version = manifest.version;
    r.name = manifest.name;
    r.model = manifest.model;
    r.delegation_version = manifest.delegation_version;
    return r;
  }
};

Agent::Agent(AgentOptions options, SlotStore slots)
    : options_(std::move(options)), slots_(std::move(slots)) {}

Expected<std::unique_ptr<Agent>> Agent::open(AgentOptions options) {
  if (!options.events) return invalid_argument("the agent needs an event sink");
  if (options.state_dir.empty()) return invalid_argument("the agent needs a state folder");
  LEDGE_ASSIGN(SlotStore slots, SlotStore::open(options.state_dir));
  return std::unique_ptr<Agent>(new Agent(std::move(options), std::move(slots)));
}

void Agent::log(const std::string& line) {
  if (options_.log)
    options_.log(line);
  else
    std::fprintf(stderr, "agent: %s\n", line.c_str());
}

void Agent::emit(const std::string& kind, const std::string& payload) {
  Status st = options_.events->record({kind, payload});
  if (!st.ok()) log("cannot record " + kind + " event: " + st.error().message());
}

// ---- one install, driven by the transition table ----

InstallResult Agent::install(const std::string& bundle_path) { return run(bundle_path, 1); }

InstallResult Agent::run(const std::string& bundle_path, int attempts) {
  Install in;
  in.bundle = bundle_path;
  in.attempts = attempts;
  InstallResult result;
  result.bundle = bundle_path;
  InstallState state = InstallState::kIdle;
  StepOutcome outcome = StepOutcome::kBundleArrived;
  bool rejected = false, rolled_back = false, committed = false;
  for (;;) {
    const auto next = next_state(state, outcome);
    if (!next) {  // cannot happen with a complete table; stop rather than guess
      result.reason = std::string("no transition from ") + state_name(state);
      return result;
    }
    state = *next;
    result.path.push_back(state);
    if (state == InstallState::kIdle) break;
    const Status st = step(state, in);
    outcome = st.ok() ? StepOutcome::kOk : StepOutcome::kFailed;
    if (!st.ok() && in.reason.empty()) {
      in.reason = st.error().message();
      in.failed_at = state;
    }
    if (!st.ok() && in.failed_at != state)  // a failure while handling a failure
      log(std::string(state_name(state)) + " failed: " + st.error().message());
    rejected |= state == InstallState::kRejected;
    rolled_back |= state == InstallState::kRollingBack && st.ok();
    committed |= state == InstallState::kCommitting && st.ok();
  }
  result.version = in.manifest.version;
  result.reason = in.reason;
  result.outcome = committed     ? InstallOutcome::kCommitted
                   : rejected    ? InstallOutcome::kRejected
                   : rolled_back ? InstallOutcome::kRolledBack
                                 : InstallOutcome::kInterrupted;
  log(base_name(bundle_path) + ": " + outcome_name(result.outcome) +
      (result.reason.empty() ? "" : " (" + result.reason + ")"));
  return result;
}

Status Agent::step(InstallState state, Install& in) {
  switch (state) {
    case InstallState::kVerifying:
      return verify(in);
    case InstallState::kRejected: {
      emit("install_rejected",
           nlohmann::json{{"bundle", base_name(in.bundle)}, {"reason", in.reason}}.dump());
      return set_aside(in.bundle, in.reason);
    }
    case InstallState::kStaging:
      return stage(in);
    case InstallState::kSyncing:
      return sync(in);
    case InstallState::kHealthCheck:
      return check_health(in);
    case InstallState::kSwitching:
      return switch_slot(in);
    case InstallState::kCommitting:
      return commit(in);
    case InstallState::kRollingBack:
      return roll_back(in);
    case InstallState::kIdle:
      return {};
  }
  return internal_error("unknown install state");
}

Status Agent::journal_step(Install& in, InstallState state) {
  InstallJournal j;
  j.bundle = in.bundle;
  j.version = in.manifest.version;
  j.slot = in.slot;
  j.step = state_name(state);
  j.attempts = in.attempts;
  j.reason = in.reason;
  j.previous_json = in.previous ? active_record_json(*in.previous) : "";
  return write_journal(slots_.journal_path(), j, options_.checkpoint);
}

Status Agent::verify(Install& in) {
  LEDGE_ASSIGN(in.previous, slots_.active());
  const uint64_t installed = in.previous ? in.previous->version : 0;
  const uint64_t delegation = in.previous ? in.previous->delegation_version : 0;
  auto m = deploy::verify_bundle(in.bundle, options_.trust, options_.policy(installed, delegation));
  if (!m) {
    const deploy::Rejection r = deploy::rejection_of(m.error());
    in.reason = std::string(r == deploy::Rejection::kNone ? "unreadable" : rejection_name(r)) +
                ": " + m.error().message();
    in.failed_at = InstallState::kVerifying;
    return m.error();
  }
  in.manifest = std::move(*m);
  LEDGE_ASSIGN(in.slot, slots_.inactive_slot());
  emit("install_started", nlohmann::json{{"bundle", base_name(in.bundle)},
                                         {"version", in.manifest.version},
                                         {"slot", in.slot},
                                         {"attempt", in.attempts}}
                              .dump());
  return {};
}

Status Agent::stage(Install& in) {
  LEDGE_TRY(journal_step(in, InstallState::kStaging));
  const std::string dir = slots_.slot_dir(in.slot);
  LEDGE_TRY(deploy::remove_tree_durably(dir, options_.checkpoint));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error(dir + ": cannot create folder: " + ec.message());
  LEDGE_TRY(deploy::extract_bundle(in.bundle, in.manifest, dir, options_.checkpoint));
  return deploy::write_file_durably(dir + "/manifest.json", deploy::manifest_to_json(in.manifest),
                                    options_.checkpoint);
}

Status Agent::sync(Install& in) {
  LEDGE_TRY(journal_step(in, InstallState::kSyncing));
  // extract_bundle synced every file and the slot; the slots folder holds the slot's name.
  const std::string dir = slots_.slot_dir(in.slot);
  for (const std::string& d : {dir, deploy::parent_of(dir), slots_.root()}) {
    LEDGE_TRY(deploy::pass(options_.checkpoint, "fsync " + d));
    LEDGE_TRY(deploy::fsync_dir(d));
  }
  return {};
}

Status Agent::check_health(Install& in) {
  LEDGE_TRY(journal_step(in, InstallState::kHealthCheck));
  LEDGE_ASSIGN(in.health, health_check(slots_.slot_dir(in.slot), in.manifest, options_.health));
  if (!in.health.passed) return io_error("health check failed: " + in.health.reason);
  return {};
}

Status Agent::switch_slot(Install& in) {
  LEDGE_TRY(journal_step(in, InstallState::kSwitching));
  return slots_.switch_to(in.record(), options_.checkpoint);
}

Status Agent::commit(Install& in) {
  // The switch is done: the new model is active whatever happens now. Remove the bundle
  // before the journal, so that a crash in between finishes here again at recovery.
  LEDGE_TRY(deploy::pass(options_.checkpoint, "unlink " + in.bundle));
  if (::unlink(in.bundle.c_str()) != 0 && errno != ENOENT)
    return io_error(in.bundle + ": cannot remove: " + std::strerror(errno));
  LEDGE_TRY(deploy::fsync_dir(deploy::parent_of(in.bundle)));
  LEDGE_TRY(remove_journal(slots_.journal_path(), options_.checkpoint));
  LEDGE_ASSIGN(auto active, slots_.active());
  if (!active) return internal_error("committed, but no model is active");
  emit("install_committed",
       nlohmann::json{{"version", active->version},
                      {"name", active->name},
                      {"slot", active->slot},
                      {"previous_version", in.previous ? in.previous->version : 0},
                      {"health_median_ms", in.health.median_ms},
                      {"golden_cases", in.health.cases}}
           .dump());
  if (options_.on_commit) options_.on_commit(*active, slots_.slot_dir(active->slot));
  return {};
}

Status Agent::roll_back(Install& in) {
  LEDGE_TRY(journal_step(in, InstallState::kRollingBack));
  LEDGE_ASSIGN(auto active, slots_.active());
  const bool switched = active && active->slot == in.slot && active->version == in.manifest.version;
  if (switched) {
    if (in.previous) {
      LEDGE_TRY(slots_.switch_to(*in.previous, options_.checkpoint));
    } else {
      LEDGE_TRY(deploy::pass(options_.checkpoint, "unlink active.json"));
      ::unlink((slots_.root() + "/active.json").c_str());
      LEDGE_TRY(deploy::fsync_dir(slots_.root()));
    }
  }
  const std::string dir = slots_.slot_dir(in.slot);
  LEDGE_TRY(deploy::remove_tree_durably(dir, options_.checkpoint));
  std::error_code ec;
  fs::create_directories(dir, ec);
  LEDGE_TRY(set_aside(in.bundle, in.reason));
  LEDGE_TRY(remove_journal(slots_.journal_path(), options_.checkpoint));
  emit("rollback", nlohmann::json{{"bundle", base_name(in.bundle)},
                                  {"version", in.manifest.version},
                                  {"failed_step", state_name(in.failed_at)},
                                  {"reason", in.reason},
                                  {"active_version", in.previous ? in.previous->version : 0}}
                       .dump());
  return {};
}

Status Agent::set_aside(const std::string& bundle, const std::string& reason) {
  std::error_code ec;
  if (!fs::exists(bundle, ec)) return {};  // already set aside before a crash
  const std::string to = slots_.rejected_dir() + "/" + base_name(bundle);
  LEDGE_TRY(deploy::write_file_durably(to + ".reason", reason + "\n", options_.checkpoint));
  LEDGE_TRY(deploy::pass(options_.checkpoint, "rename " + to));
  if (::rename(bundle.c_str(), to.c_str()) != 0) {
    // Another file system: the reason is kept, the refused bundle itself is not needed.
    if (errno != EXDEV || ::unlink(bundle.c_str()) != 0)
      return io_error(bundle + ": cannot move to " + to + ": " + std::strerror(errno));
  }
  LEDGE_TRY(deploy::fsync_dir(slots_.rejected_dir()));
  return deploy::fsync_dir(deploy::parent_of(bundle));
}

// ---- recovery and the inbox ----

Status Agent::recover() {
  auto journal = read_journal(slots_.journal_path());
  if (!journal) {
    // Only a disk fault makes a journal unreadable (it is replaced whole). The active pointer
    // is intact; the other slot may hold anything.
    log(journal.error().message() + "; discarding it");
    LEDGE_ASSIGN(std::string inactive, slots_.inactive_slot());
    LEDGE_TRY(deploy::remove_tree_durably(slots_.slot_dir(inactive), options_.checkpoint));
    LEDGE_TRY(remove_journal(slots_.journal_path(), options_.checkpoint));
    emit("recovered", R"({"action":"discarded an unreadable journal"})");
    return {};
  }
  if (!*journal) return {};
  const InstallJournal& j = **journal;
  Install in;
  in.bundle = j.bundle;
  in.attempts = j.attempts;
  in.slot = j.slot;
  in.reason = j.reason;
  in.failed_at = state_from_name(j.step.c_str()).value_or(InstallState::kIdle);
  in.manifest.version = j.version;
  if (!j.previous_json.empty()) {
    LEDGE_ASSIGN(ActiveRecord prev, parse_active_record(j.previous_json));
    in.previous = prev;
  }
  if (j.slot != "a" && j.slot != "b")
    return invalid_argument(slots_.journal_path() + ": unknown slot '" + j.slot + "'");
  LEDGE_ASSIGN(auto active, slots_.active());
  const bool switched = active && active->slot == j.slot && active->version == j.version;
  auto recovered = [&](const char* action) {
    emit("recovered", nlohmann::json{{"bundle", base_name(j.bundle)},
                                     {"version", j.version},
                                     {"interrupted_at", j.step},
                                     {"action", action}}
                          .dump());
    log(std::string("recovery: install of ") + base_name(j.bundle) + " interrupted at " + j.step +
        ": " + action);
  };

  if (j.step == state_name(InstallState::kRollingBack)) {
    recovered("finishing the rollback");
    return roll_back(in);
  }
  if (switched) {
    recovered("finishing the commit");
    return commit(in);
  }
  // Interrupted before the switch: the previous model is active; drop the staged files.
  LEDGE_TRY(deploy::remove_tree_durably(slots_.slot_dir(j.slot), options_.checkpoint));
  std::error_code ec;
  fs::create_directories(slots_.slot_dir(j.slot), ec);
  LEDGE_TRY(remove_journal(slots_.journal_path(), options_.checkpoint));
  if (!fs::exists(j.bundle, ec)) {
    recovered("the bundle is gone; nothing to retry");
    return {};
  }
  if (j.attempts >= kMaxInstallAttempts) {
    recovered("given up");
    const std::string reason = "install interrupted " + std::to_string(j.attempts) +
                               " times (last at " + j.step + "); given up";
    emit("rollback", nlohmann::json{{"bundle", base_name(j.bundle)},
                                    {"version", j.version},
                                    {"failed_step", j.step},
                                    {"reason", reason},
                                    {"active_version", active ? active->version : 0}}
                         .dump());
    return set_aside(j.bundle, reason);
  }
  recovered("retrying");
  const InstallResult r = run(j.bundle, j.attempts + 1);
  if (r.outcome == InstallOutcome::kInterrupted)
    return io_error("retried install of " + base_name(j.bundle) + " interrupted: " + r.reason);
  return {};
}

std::vector<InstallResult> Agent::process_inbox(const std::string& inbox) {
  std::vector<std::string> bundles;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(inbox, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && name.size() > 7 && name[0] != '.' && name.ends_with(".bundle"))
      bundles.push_back(e.path().string());
  }
  if (ec) log(inbox + ": cannot list: " + ec.message());
  std::sort(bundles.begin(), bundles.end());
  std::vector<InstallResult> results;
  for (const auto& b : bundles) results.push_back(install(b));
  return results;
}

}  // namespace ledge::agent
