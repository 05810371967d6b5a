#include "validate/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ledge {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string pct(int64_t part, int64_t whole) {
  return whole > 0 ? fmt("%.2f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole))
                   : "-";
}

// Candidate minus reference confusion counts: red where the candidate puts more samples
// (off the diagonal: new mistakes), blue where fewer.
std::string confusion_heat_map(const ValidationReport& r) {
  const auto k = static_cast<int>(r.reference_confusion.size());
  if (k == 0) return "<p>No labels: no confusion matrices.</p>";
  const int cell = std::clamp(480 / k, 6, 36), margin = 40;
  int64_t largest = 1;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j)
      largest = std::max<int64_t>(
          largest, std::llabs(r.candidate_confusion[i][j] - r.reference_confusion[i][j]));
  std::ostringstream s;
  const int size = margin + k * cell + 10;
  s << "<svg width='" << size << "' height='" << size << "' role='img'>";
  for (int i = 0; i < k; ++i) {
    s << "<text x='" << margin - 4 << "' y='" << margin + i * cell + cell * 0.7
      << "' text-anchor='end' font-size='10'>" << i << "</text>";
    s << "<text x='" << margin + i * cell + cell / 2 << "' y='" << margin - 6
      << "' text-anchor='middle' font-size='10'>" << i << "</text>";
    for (int j = 0; j < k; ++j) {
      const int64_t d = r.candidate_confusion[i][j] - r.reference_confusion[i][j];
      const double a = std::sqrt(static_cast<double>(std::llabs(d)) / static_cast<double>(largest));
      const char* colour = d > 0 ? "214,39,40" : "31,119,180";
      s << "<rect x='" << margin + j * cell << "' y='" << margin + i * cell << "' width='" << cell
        << "' height='" << cell << "' fill='rgba(" << colour << "," << fmt("%.3f", d ? a : 0.0)
        << ")' stroke='#ddd'><title>label " << i << ", predicted " << j << ": "
        << (d > 0 ? "+" : "") << d << " (reference " << r.reference_confusion[i][j]
        << ", candidate " << r.candidate_confusion[i][j] << ")</title></rect>";
    }
  }
  s << "<text x='" << margin << "' y='12' font-size='11'>rows: label, columns: predicted</text>";
  s << "</svg>";
  return s.str();
}

// Horizontal bars: one row per item, values in [0, max_value].
std::string bars(const std::vector<std::pair<std::string, std::vector<double>>>& rows,
                 const std::vector<std::string>& series, double max_value, const char* unit) {
  static const char* colours[] = {"#1f77b4", "#ff7f0e"};
  const int label_w = 230, bar_w = 360, row_h = 8 + 12 * static_cast<int>(series.size());
  std::ostringstream s;
  s << "<svg width='" << label_w + bar_w + 90 << "' height='" << rows.size() * row_h + 24
    << "' role='img'>";
  for (size_t k = 0; k < series.size(); ++k)
    s << "<rect x='" << label_w + 120 * k << "' y='2' width='10' height='10' fill='"
      << colours[k % 2] << "'/><text x='" << label_w + 120 * k + 14 << "' y='11' font-size='11'>"
      << escape(series[k]) << "</text>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const int y = 20 + static_cast<int>(i) * row_h;
    s << "<text x='" << label_w - 6 << "' y='" << y + 12 << "' text-anchor='end' font-size='11'>"
      << escape(rows[i].first) << "</text>";
    for (size_t k = 0; k < rows[i].second.size(); ++k) {
      const double v = rows[i].second[k];
      const double w = std::isfinite(v) && max_value > 0
                           ? std::clamp(v / max_value, 0.0, 1.0) * bar_w
                           : (v > 0 ? bar_w : 0);
      s << "<rect x='" << label_w << "' y='" << y + 12 * k + 2 << "' width='" << fmt("%.1f", w)
        << "' height='10' fill='" << colours[k % 2] << "'/><text x='" << label_w + w + 4 << "' y='"
        << y + 12 * k + 11 << "' font-size='10'>"
        << (std::isfinite(v) ? fmt("%.2f", v) : std::string("inf")) << unit << "</text>";
    }
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

std::string render_html_report(const ValidationReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ledge validate: "
    << escape(r.candidate_name) << "</title><style>"
    << "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
    << "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
    << "td:first-child,th:first-child{text-align:left}h2{margin-top:28px}</style></head><body>";
  h << "<h1>Validation report</h1><p>reference <b>" << escape(r.reference_name)
    << "</b>, candidate <b>" << escape(r.candidate_name) << "</b>, data <b>" << escape(r.data_name)
    << "</b> (" << r.samples << " samples, " << r.classes << " classes)</p>";
  h << "<table><tr><th></th><th>reference</th><th>candidate</th></tr>";
  if (r.has_labels) {
    h << "<tr><td>top-1</td><td>" << pct(r.reference.top1, r.samples) << "</td><td>"
      << pct(r.candidate.top1, r.samples) << "</td></tr>";
    h << "<tr><td>top-5</td><td>" << pct(r.reference.top5, r.samples) << "</td><td>"
      << pct(r.candidate.top5, r.samples) << "</td></tr>";
  }
  h << "<tr><td>agreement (same top-1)</td><td colspan='2'>" << pct(r.agree, r.samples) << " ("
    << r.samples - r.agree << " samples differ)</td></tr>";
  h << "<tr><td>time in the model</td><td>" << fmt("%.3f s", r.reference_seconds) << "</td><td>"
    << fmt("%.3f s", r.candidate_seconds) << "</td></tr></table>";

  h << "<h2>Confusion matrix difference (candidate − reference)</h2>" << confusion_heat_map(r);

  h << "<h2>Per-layer SQNR (worst first)</h2>";
  if (r.layers.empty()) {
    h << "<p>No tensors in common (or the per-layer comparison was skipped).</p>";
  } else {
    std::vector<std::pair<std::string, std::vector<double>>> rows;
    double top = 1;
    for (size_t i = 0; i < r.layers.size() && i < 40; ++i) {
      rows.push_back({r.layers[i].tensor, {r.layers[i].sqnr_db}});
      if (std::isfinite(r.layers[i].sqnr_db)) top = std::max(top, r.layers[i].sqnr_db);
    }
    h << bars(rows, {"SQNR"}, top, " dB");
    h << "<table><tr><th>tensor</th><th>SQNR dB</th><th>cosine</th><th>elements</th></tr>";
    for (const auto& l : r.layers)
      h << "<tr><td>" << escape(l.tensor) << "</td><td>"
        << (std::isfinite(l.sqnr_db) ? fmt("%.2f", l.sqnr_db) : "inf") << "</td><td>"
        << fmt("%.6f", l.cosine) << "</td><td>" << l.elements << "</td></tr>";
    h << "</table>";
  }

  auto slice_section = [&](const char* title, const std::vector<SliceScores>& slices) {
    h << "<h2>" << title << "</h2>";
    std::vector<std::pair<std::string, std::vector<double>>> rows;
    for (const auto& s : slices) {
      const double n = static_cast<double>(std::max<int64_t>(1, s.samples));
      if (r.has_labels)
        rows.push_back(
            {s.name, {100.0 * s.reference_correct / n, 100.0 * s.candidate_correct / n}});
      else
        rows.push_back({s.name, {100.0 * s.agree / n}});
    }
    h << (r.has_labels ? bars(rows, {"reference", "candidate"}, 100, "%")
                       : bars(rows, {"agreement"}, 100, "%"));
    h << "<table><tr><th>slice</th><th>samples</th><th>reference</th><th>candidate</th>"
      << "<th>agreement</th></tr>";
    for (const auto& s : slices)
      h << "<tr><td>" << escape(s.name) << "</td><td>" << s.samples << "</td><td>"
        << (r.has_labels ? pct(s.reference_correct, s.samples) : "-") << "</td><td>"
        << (r.has_labels ? pct(s.candidate_correct, s.samples) : "-") << "</td><td>"
        << pct(s.agree, s.samples) << "</td></tr>";
    h << "</table>";
  };
  slice_section("Accuracy by input brightness (quartiles of mean value)", r.brightness_slices);
  if (!r.class_slices.empty()) slice_section("Accuracy by class", r.class_slices);

  h << "<h2>Disagreeing samples (" << r.disagreements.size() << ")</h2><table><tr><th>sample</th>"
    << "<th>label</th><th>reference</th><th>candidate</th><th>brightness</th></tr>";
  for (size_t i = 0; i < r.disagreements.size() && i < 500; ++i) {
    const auto& d = r.disagreements[i];
    h << "<tr><td>" << d.sample << (d.name.empty() ? "" : " " + escape(d.name)) << "</td><td>"
      << (d.label >= 0 ? std::to_string(d.label) : "-") << "</td><td>" << d.reference << "</td><td>"
      << d.candidate << "</td><td>" << fmt("%.3f", d.brightness) << "</td></tr>";
  }
  h << "</table>";
  if (r.disagreements.size() > 500) h << "<p>(first 500 shown; --json lists all)</p>";
  h << "</body></html>\n";
  return h.str();
}

}  // namespace ledge
