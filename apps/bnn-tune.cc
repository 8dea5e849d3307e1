// SPDX-License-Identifier: Apache-2.0
// bnn-tune: time schedule candidates for each convolution of a
// model on this machine and bake the fastest into a copy of the model.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/common/cli.h"
#include "apps/tune/tuner.h"
#include "bnn/engine.h"
#include "model_format/builder.h"
#include "model_format/input_file.h"
#include "model_format/limits.h"
#include "model_format/output_file.h"
#include "model_format/printable_text.h"

namespace {

using bnn::cli::parse_count;
using bnn::cli::usage_error;

const char kUsage[] =
    "usage: bnn-tune MODEL.bnn -o TUNED.bnn [--threads N] [--budget-seconds S] [--exhaustive]\n"
    "                [--screened-per-layer N] [--timed-per-layer N] [--min-gain F]\n"
    "\n"
    "Finds, on this machine, the fastest schedule of every convolution in MODEL.bnn\n"
    "(bitserial: microkernel, register tile and depth unroll, pixels and channels\n"
    "per outer tile, loop order inside an outer tile, parallel axis (rows or channels);\n"
    "full precision: the float kernel's register block and instruction set)\n"
    "by timing candidates on the layer's real shape (median of repeated runs, warm\n"
    "caches), and writes TUNED.bnn with the winners and this CPU's identity baked in.\n"
    "Identical layer shapes are tuned once. The search ranks the space with a cost\n"
    "model, screens its best few dozen with a short timing and times the screen's\n"
    "best few in full; --exhaustive times every candidate in full. Then the tuned and\n"
    "untuned models run side by side, and a changed layer that is not faster inside\n"
    "the whole network goes back to its default. Outputs never\n"
    "change: a tuned and an untuned model give bit-identical results. A model tuned\n"
    "for another CPU still runs anywhere, with this CPU's defaults (bnn-run says so).\n"
    "\n"
    "  -o, --output F.bnn     the tuned model to write (required; '-' for standard\n"
    "                         output, the table then goes to stderr)\n"
    "  --threads N            the thread count the model will run with (default 1)\n"
    "  --budget-seconds S     stop timing after S seconds; untimed layers keep the default\n"
    "  --exhaustive           time every candidate in full, and print how close the\n"
    "                         guided search came (its choice timed in the same run)\n"
    "  --screened-per-layer N candidates the guided search screens per layer (default 64)\n"
    "  --timed-per-layer N    screened candidates it then times in full (default 6)\n"
    "  --min-gain F           a candidate must beat the best so far by this fraction\n"
    "                         (default 0.05: a layer timed alone and the same layer in\n"
    "                         the network differ by about that)\n"
    "  -h, --help             this text (--version: the engine's version)\n"
    "\n"
    "Progress goes to stderr; the table (layer, shape, default and tuned time,\n"
    "speedup, chosen schedule) to stdout. Exit status: 0 on success, 1 when the model\n"
    "cannot be read or written, 2 on bad usage.\n";

}  // namespace

int main(int argc, char** argv) {
  bnn::cli::set_program("bnn-tune");
  std::string input, output;
  bnn::tune::TuneOptions options;
  bnn::cli::Parser(kUsage)
      .option("-o|--output", [&](const char* v) { output = v; })
      .option("--threads", [&](const char* v) { options.threads = parse_count("--threads", v, 1, bnn::kMaxThreads); })
      .option("--budget-seconds", [&](const char* v) { options.budget_seconds = parse_count("--budget-seconds", v, 1, 1000000); })
      .option("--screened-per-layer",
              [&](const char* v) { options.screened_per_layer = parse_count("--screened-per-layer", v, 1, 100000); })
      .option("--min-gain", [&](const char* v) {
        char* end = nullptr;
        const double gain = std::strtod(v, &end);
        if (end == v || *end != '\0' || !(gain >= 0 && gain < 1)) usage_error("--min-gain needs a fraction in [0, 1)");
        options.min_gain = gain;
      })
      .option("--timed-per-layer", [&](const char* v) { options.timed_per_layer = parse_count("--timed-per-layer", v, 1, 1000); })
      .flag("--exhaustive", [&] { options.exhaustive = true; })
      .positional([&](const char* v) {
        if (!input.empty()) usage_error("more than one model given");
        input = v;
      })
      .parse(argc, argv);
  if (input.empty() || output.empty()) usage_error("a model and -o TUNED.bnn are required");
  options.progress = [](const std::string& line) { std::fprintf(stderr, "bnn-tune: %s\n", line.c_str()); };
  try {
    const std::vector<uint8_t> bytes = bnn::read_regular_file(input, bnn::limits::kMaxModelBytes, "kMaxModelBytes");
    std::vector<bnn::tune::LayerResult> results;
    const std::vector<uint8_t> tuned = [&] {
      try {
        return bnn::tune::tune_model_file(bytes, options, &results);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(input + ": " + e.what());  // name the file
      }
    }();
    bnn::write_file(output, tuned);
    // With "-o -" the model goes to standard output, the table to stderr.
    FILE* table = output == "-" ? stderr : stdout;
    double before = 0, after = 0;
    std::fprintf(table, "%-28s %-30s %10s %10s %8s  %s\n", "layer", "shape", "default ms", "tuned ms", "speedup", "schedule");
    for (const auto& r : results) {
      before += r.default_ms;
      after += r.tuned_ms;
      const std::string schedule = r.kept ? r.schedule : "default (" + r.schedule + " was slower in the network)";
      std::fprintf(table, "%-28s %-30s %10.3f %10.3f %7.2fx  %s%s\n", bnn::printable(r.layer).c_str(), r.shape.c_str(), r.default_ms, r.tuned_ms,
                  r.default_ms / r.tuned_ms, schedule.c_str(),
                  r.shared ? " (same shape as above)"
                           : (" (" + (r.screened ? std::to_string(r.screened) + " screened, " : std::string()) +
                              std::to_string(r.timed) + " of " + std::to_string(r.candidates) + " timed)").c_str());
    }
    std::fprintf(table, "convolutions: %.3f ms -> %.3f ms (%.2fx), %d threads; wrote %s\n", before, after,
                after > 0 ? before / after : 1.0, options.threads, output.c_str());
    std::fprintf(table, "\ninside the network (layers whose schedule changed; kept when faster there):\n");
    std::fprintf(table, "%-28s %12s %10s %8s  %s\n", "layer", "default ms", "tuned ms", "speedup", "");
    for (const auto& r : results) {
      if (!r.changed) continue;
      std::fprintf(table, "%-28s %12.3f %10.3f %7.2fx  %s\n", bnn::printable(r.layer).c_str(), r.network_default_ms, r.network_tuned_ms,
                  r.network_default_ms / r.network_tuned_ms, r.kept ? "kept" : "back to the default");
    }
    if (options.exhaustive) {  // the check --exhaustive exists for
      std::fprintf(table, "\nthe guided choice against the fastest candidate, timed in this run (bitserial, one row per shape):\n");
      std::fprintf(table, "%-30s %11s %10s %8s  %s\n", "shape", "fastest ms", "guided ms", "guided/", "guided schedule");
      double worst = 1;
      for (const auto& r : results) {
        if (r.shared || r.guided_ms <= 0) continue;
        worst = std::max(worst, r.guided_ms / r.fastest_ms);
        std::fprintf(table, "%-30s %11.3f %10.3f %7.3fx  %s\n", r.shape.c_str(), r.fastest_ms, r.guided_ms,
                    r.guided_ms / r.fastest_ms, r.guided_schedule.c_str());
      }
      std::fprintf(table, "worst guided/exhaustive: %.3f\n", worst);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-tune: error: %s\n", bnn::cli::describe(e).c_str());
    return 1;
  }
  return 0;
}
