// Why a bundle was refused: a stable list that the CLI turns into exit codes and the agent
// reports upstream.
//
// Bundle errors carry the reason in their message as "bundle rejected [tampered]: …" so that
// it survives with_context(); rejection_of() reads it back:
//
//   auto m = verify_bundle(path, root, policy);
//   if (!m) report(rejection_name(rejection_of(m.error())), m.error().message());
//
// Adding a reason: append it to LEDGE_REJECTIONS with a new exit code (never renumber: scripts
// and fleet dashboards depend on these).
#pragma once

#include <string>

#include "core/status.h"

namespace ledge::deploy {

//   X(enum name, stable name, exit code, what it means)
#define LEDGE_REJECTIONS(X)                                                                    \
  X(kMalformed, "malformed", 10, "not a bundle, truncated, or a field out of its limits")      \
  X(kTampered, "tampered", 11, "a file does not match its SHA-256 in the signed manifest")     \
  X(kUnknownKey, "unknown_key", 12, "signed only by keys the delegation does not list")        \
  X(kRevokedKey, "revoked_key", 13, "signed by a key the delegation revoked")                  \
  X(kThreshold, "threshold", 14, "fewer valid signatures than the delegation's threshold")     \
  X(kExpired, "expired", 15, "the bundle or its delegation is past its expiry time")           \
  X(kRollback, "rollback", 16, "the bundle's version is not newer than the installed one")     \
  X(kTargetMismatch, "target_mismatch", 17, "needs a CPU feature or a newer runtime")          \
  X(kDelegationUntrusted, "delegation_untrusted", 18, "delegation not signed by the root key") \
  X(kDelegationStale, "delegation_stale", 19, "delegation older than one already seen")

enum class Rejection {
  kNone = 0,
#define LEDGE_REJECTION_ENUM(e, name, code, doc) e,
  LEDGE_REJECTIONS(LEDGE_REJECTION_ENUM)
#undef LEDGE_REJECTION_ENUM
};

const char* rejection_name(Rejection r);
// The CLI exit code of a rejection (10-19); 0 for kNone.
int rejection_exit_code(Rejection r);
// An error whose message starts with "bundle rejected [<name>]: ".
Error rejection_error(Rejection r, const std::string& detail);
// The reason inside an error made by rejection_error (also after with_context), else kNone.
Rejection rejection_of(const Error& e);

}  // namespace ledge::deploy
