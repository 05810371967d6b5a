// The pipeline's records as JSON: the final report (`ledge stream --json`), the periodic
// summaries, drift alarms and emitted events (one JSON object each, for JSON lines on stdout
// or the payload of a telemetry event). docs/stream.md lists the fields.
#pragma once

#include <nlohmann/json.hpp>

#include "stream/emit_rule.h"
#include "stream/pipeline.h"

namespace ledge::stream {

nlohmann::ordered_json report_json(const StreamReport& r);
nlohmann::ordered_json summary_json(const WindowSummary& s);
nlohmann::ordered_json alarm_json(const DriftAlarm& a);
// `age_ms`: the age of the frame the event was decided on.
nlohmann::ordered_json event_json(const EmittedEvent& e, double age_ms, double at_s);

}  // namespace ledge::stream
