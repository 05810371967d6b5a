// The validation report as one self-contained HTML file (inline CSS and SVG, no scripts,
// nothing fetched): summary, the confusion-matrix difference as a heat map, per-layer SQNR
// bars, per-slice accuracy bars, and the disagreeing samples.
#pragma once

#include <string>

#include "validate/compare.h"

namespace ledge {

std::string render_html_report(const ValidationReport& r);

}  // namespace ledge
