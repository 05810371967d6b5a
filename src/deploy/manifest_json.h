// The manifest as canonical JSON: the exact bytes that bundle signatures cover.
//
// Canonical means nlohmann::json::dump() with no spaces and keys sorted, so the same Manifest
// always gives the same bytes; manifest_from_json() refuses any other spelling of the same
// content (whitespace, key order), so a signed manifest has one form only.
//
//   {"cpu_features":["avx2"],"expires_at":1790000000,
//    "files":{"case0.input.image.npy":"<sha256 hex>",…,"model.ledge":"<sha256 hex>"},
//    "golden":[{"atol":0.0001,"inputs":{"image":"case0.input.image.npy"},
//               "outputs":{"logits":"case0.output.logits.npy"},"rtol":0.001}],
//    "latency_budget_ms":0.0,"min_runtime_version":"0.1.0","model":"model.ledge",
//    "name":"fashion","type":"ledge-bundle-manifest","version":3}
#pragma once

#include <string>

#include "core/status.h"
#include "deploy/manifest.h"

namespace ledge::deploy {

std::string manifest_to_json(const Manifest& m);
// Errors are kMalformed rejections (rejection.h). Checks types, limits, that file names are
// safe, and that the model and every golden file are among the hashed files.
Expected<Manifest> manifest_from_json(const std::string& text);

}  // namespace ledge::deploy
