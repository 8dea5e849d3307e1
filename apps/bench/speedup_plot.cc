// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/speedup_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "model_format/output_file.h"

namespace bnn::bench {
namespace {

// The distinct values of a field, in first-seen order.
template <typename Field>
std::vector<std::string> distinct(const std::vector<SpeedupBar>& bars, Field field) {
  std::vector<std::string> out;
  for (const SpeedupBar& b : bars) {
    if (std::find(out.begin(), out.end(), b.*field) == out.end()) out.push_back(b.*field);
  }
  return out;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

}  // namespace

void write_speedup_svg(const std::string& path, const std::string& title, const std::vector<SpeedupBar>& bars) {
  const std::vector<std::string> layers = distinct(bars, &SpeedupBar::layer);
  const std::vector<std::string> precisions = distinct(bars, &SpeedupBar::precision);
  const std::vector<std::string> baselines = distinct(bars, &SpeedupBar::baseline);
  const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};
  // The log2 range: whole powers of two around every value, at least 0.5x..2x.
  double lo = 0.5, hi = 2;
  for (const SpeedupBar& b : bars) {
    if (b.speedup > 0) lo = std::min(lo, b.speedup), hi = std::max(hi, b.speedup);
  }
  const int e_lo = static_cast<int>(std::floor(std::log2(lo))), e_hi = static_cast<int>(std::ceil(std::log2(hi)));
  const int panel_w = 60 + static_cast<int>(layers.size()) * (static_cast<int>(precisions.size()) * 12 + 14);
  const int panel_h = 260, top = 50, left = 70;
  const int width = left + panel_w + 20, height = top + static_cast<int>(baselines.size()) * (panel_h + 60) + 30;
  auto y_of = [&](double v) {
    return top + panel_h - (std::log2(v) - e_lo) / static_cast<double>(e_hi - e_lo) * panel_h;
  };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << left << "\" y=\"20\" font-size=\"14\">" << escape(title) << "</text>\n";
  for (size_t p = 0; p < precisions.size(); ++p) {  // legend
    const int x = left + static_cast<int>(p) * 90;
    svg << "<rect x=\"" << x << "\" y=\"28\" width=\"10\" height=\"10\" fill=\"" << colours[p % 5] << "\"/><text x=\""
        << x + 14 << "\" y=\"37\">" << escape(precisions[p]) << "</text>\n";
  }
  for (size_t b = 0; b < baselines.size(); ++b) {
    const int offset = static_cast<int>(b) * (panel_h + 60);
    svg << "<g transform=\"translate(0," << offset << ")\">\n";
    svg << "<text x=\"" << left << "\" y=\"" << top - 2 << "\">speedup over " << escape(baselines[b])
        << " (log scale)</text>\n";
    for (int e = e_lo; e <= e_hi; ++e) {
      const double y = y_of(std::pow(2.0, e));
      char label[32];
      std::snprintf(label, sizeof label, e >= 0 ? "%.0fx" : "%.3gx", std::pow(2.0, e));
      svg << "<line x1=\"" << left << "\" x2=\"" << left + panel_w << "\" y1=\"" << y << "\" y2=\"" << y
          << "\" stroke=\"" << (e == 0 ? "#000" : "#ddd") << "\"/><text x=\"" << left - 6 << "\" y=\"" << y + 4
          << "\" text-anchor=\"end\">" << label << "</text>\n";
    }
    for (size_t l = 0; l < layers.size(); ++l) {
      const int group_x = left + 10 + static_cast<int>(l) * (static_cast<int>(precisions.size()) * 12 + 14);
      for (size_t p = 0; p < precisions.size(); ++p) {
        for (const SpeedupBar& bar : bars) {
          if (bar.layer != layers[l] || bar.precision != precisions[p] || bar.baseline != baselines[b] ||
              !(bar.speedup > 0)) {
            continue;
          }
          const double y1 = y_of(1.0), y = y_of(bar.speedup);
          svg << "<rect x=\"" << group_x + static_cast<int>(p) * 12 << "\" y=\"" << std::min(y, y1)
              << "\" width=\"11\" height=\"" << std::abs(y - y1) << "\" fill=\"" << colours[p % 5] << "\"><title>"
              << escape(bar.layer + " " + bar.precision) << ": " << bar.speedup << "x</title></rect>\n";
        }
      }
      svg << "<text x=\"" << group_x + static_cast<int>(precisions.size()) * 6 << "\" y=\"" << top + panel_h + 14
          << "\" text-anchor=\"middle\">" << escape(layers[l]) << "</text>\n";
    }
    svg << "</g>\n";
  }
  svg << "</svg>\n";
  const std::string text = svg.str();
  write_file(path, text.data(), text.size());
}

}  // namespace bnn::bench
