// SPDX-License-Identifier: Apache-2.0
// bnn-bench: measured speed, never a test. Three modes: this core's binary-MAC
// peak, the ResNet-18 layers against oneDNN fp32/int8 in the same run, and a
// whole model with its per-layer profile.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apps/common/cli.h"
#include "apps/bench/contention.h"
#include "apps/bench/conv_bench.h"
#include "apps/bench/layer_profile.h"
#include "apps/bench/onednn_baseline.h"
#include "apps/bench/speedup_plot.h"
#include "bnn/engine.h"
#include "bnn/image.h"
#include "kernels/cpu_features.h"
#include "model_format/printable_text.h"

namespace {

using bnn::cli::parse_count;
using bnn::cli::usage_error;

using namespace bnn;
using namespace bnn::bench;

const char kUsage[] =
    "usage: bnn-bench --peak [--json]\n"
    "       bnn-bench --layers resnet18 [--bits 1x1,1x2,2x2] [--threads N] [--kernel NAME|all] [--json]\n"
    "                 [--plot FILE.svg]\n"
    "       bnn-bench --model M.bnn [--frame FORMAT:WxH] [--threads N] [--num-runs N] [--warmup-runs N]\n"
    "                 [--min-secs S] [--json]\n"
    "       bnn-bench --model M.bnn --contention [--json]\n"
    "\n"
    "Measures speed (a benchmark, not a test: run it on an idle machine).\n"
    "\n"
    "  --peak            binary MACs per second of each available microkernel on\n"
    "                    L1-resident data: the ceiling the layer figures are measured against\n"
    "  --layers resnet18 the ResNet-18 convolutions C2-C12 (batch 1), each the median of\n"
    "                    repeated runs, beside oneDNN fp32 and int8 (u8 x s8) convolutions of\n"
    "                    the same shape timed in the same run (when built with libdnnl-dev);\n"
    "                    first the float layers: the stem C1 and Bi-Real-Net's 1x1\n"
    "                    shortcuts S1-S3, against oneDNN fp32\n"
    "  --bits WxA,...    weight x activation bits to run (default 1x1,1x2,2x2)\n"
    "  --plot FILE.svg   with --layers: also draw each layer's speedup over oneDNN int8 and\n"
    "                    fp32 per precision (bars on a log scale)\n"
    "  --kernel NAME     a bitserial kernel by descriptor name, or 'all' (default: this\n"
    "                    CPU's default kernel)\n"
    "  --model M.bnn     end-to-end latency (median, p90), a per-layer profile, peak RSS\n"
    "  --frame F:WxH     with --model: also time the frame path, a synthetic WxH frame\n"
    "                    in format F (e.g. NV12:640x480) to the model's input, beside\n"
    "                    the network, median of repeated runs\n"
    "  --contention      with --model: latency at 1 and 2 threads while idle, while\n"
    "                    another process spins on one core, and with three engine\n"
    "                    processes sharing the cores (mean of their medians)\n"
    "  --num-runs N      with --model: at least N timed runs (default 10)\n"
    "  --warmup-runs N   with --model: untimed runs first (default 2)\n"
    "  --min-secs S      with --model: time for at least S seconds (default 0.5)\n"
    "  --threads N       threads inside each layer (default 1)\n"
    "  --json            one JSON object per result line instead of a table\n"
    "  -h, --help        this text (--version: the engine's version)\n";

struct Options {
  bool peak = false, json = false, contention = false;
  std::string layers, model, kernel, plot;
  PixelFormat frame_format = PixelFormat::kNV12;
  int frame_width = 0, frame_height = 0;
  std::vector<std::pair<int, int>> bits = {{1, 1}, {1, 2}, {2, 2}};
  int threads = 1;
  // --model's timing, as TFLite's benchmark_model names them.
  int num_runs = 10, warmup_runs = 2;
  double min_secs = 0.5;
};

Options parse(int argc, char** argv) {
  Options o;
  bnn::cli::Parser(kUsage)
      .flag("--peak", [&] { o.peak = true; })
      .flag("--contention", [&] { o.contention = true; })
      .flag("--json", [&] { o.json = true; })
      .option("--layers", [&](const char* v) { o.layers = bnn::cli::parse_choice("--layers", v, {"resnet18"}); })
      .option("--model", [&](const char* v) { o.model = v; })
      .option("--plot", [&](const char* v) { o.plot = v; })
      .option("--frame", [&](const char* text) {
        const std::string v = text;
        const size_t colon = v.find(':');
        const bool known = colon != std::string::npos && pixel_format_from_name(v.substr(0, colon), &o.frame_format);
        if (!known || std::sscanf(v.c_str() + colon + 1, "%dx%d", &o.frame_width, &o.frame_height) != 2 ||
            o.frame_width < 1 || o.frame_height < 1) {
          usage_error("--frame needs FORMAT:WIDTHxHEIGHT, e.g. NV12:640x480 (formats: bnn-camera --help)");
        }
        const std::string problem = frame_problem(o.frame_format, o.frame_width, o.frame_height, 0);
        if (!problem.empty()) usage_error("--frame: " + problem);
      })
      .option("--kernel", [&](const char* v) { o.kernel = v; })
      .option("--num-runs", [&](const char* v) { o.num_runs = bnn::cli::parse_count("--num-runs", v, 1, 1000000); })
      .option("--warmup-runs", [&](const char* v) { o.warmup_runs = bnn::cli::parse_count("--warmup-runs", v, 0, 1000000); })
      .option("--min-secs", [&](const char* v) {
        char* end = nullptr;
        o.min_secs = std::strtod(v, &end);
        if (end == v || *end || !(o.min_secs >= 0 && o.min_secs <= 3600)) usage_error("--min-secs needs seconds from 0 to 3600");
      })
      .option("--threads", [&](const char* v) { o.threads = bnn::cli::parse_count("--threads", v, 1, kMaxThreads); })
      .option("--bits", [&](const char* v) {
        o.bits.clear();
        std::stringstream s(v);
        std::string item;
        while (std::getline(s, item, ',')) {
          int w = 0, a = 0;
          if (std::sscanf(item.c_str(), "%dx%d", &w, &a) != 2 || w < 1 || w > 4 || a < 1 || a > 4) {
            usage_error("--bits takes WxA pairs with 1 to 4 bits, e.g. 1x1,2x2");
          }
          o.bits.emplace_back(w, a);
        }
      })
      .parse(argc, argv);
  if (o.peak + !o.layers.empty() + !o.model.empty() != 1) usage_error("choose one of --peak, --layers, --model");
  if (o.contention && o.model.empty()) usage_error("--contention goes with --model");
  return o;
}

std::vector<const BitserialConvKernel*> available_kernels() {
  std::vector<const BitserialConvKernel*> out;
  for (const BitserialConvKernel& k : bitserial_conv_kernels()) {
    if (isa_available(k.isa)) out.push_back(&k);
  }
  return out;
}

// The highest --peak row of this CPU (the reference for "% of peak") and its kernel.
std::pair<double, const BitserialConvKernel*> best_peak() {
  std::pair<double, const BitserialConvKernel*> best{0.0, nullptr};
  for (const BitserialConvKernel* k : available_kernels()) {
    if (k->reference()) continue;
    const double g = peak_gmacs(*k);
    if (g > best.first) best = {g, k};
  }
  return best;
}

void print_machine(const Options& o) {
  if (!o.json) {
    std::printf("CPU: %s (%s), kernels for: %s, threads: %d\n", cpu_model_name().c_str(), cpu_arch().c_str(),
                available_isas().c_str(), o.threads);
  }
}

int run_peak(const Options& o) {
  print_machine(o);
  if (!o.json) std::printf("\n%-36s %12s\n", "microkernel", "GMAC/s");
  for (const BitserialConvKernel* k : available_kernels()) {
    if (k->reference()) continue;
    const double g = peak_gmacs(*k);
    if (o.json) {
      std::printf("{\"mode\": \"peak\", \"kernel\": \"%s\", \"gmacs\": %.1f}\n", k->name, g);
    } else {
      std::printf("%-36s %12.1f\n", k->name, g);
    }
  }
  return 0;
}

int run_layers(const Options& o) {
  print_machine(o);
  std::vector<const BitserialConvKernel*> kernels;
  const std::vector<const BitserialConvKernel*> all = available_kernels();
  if (o.kernel == "all") {
    for (const BitserialConvKernel* k : all) {
      if (!k->reference()) kernels.push_back(k);
    }
  } else if (!o.kernel.empty()) {
    const BitserialConvKernel* k = find_bitserial_conv_kernel(o.kernel);
    if (!k || !isa_available(k->isa)) {
      std::string names = "all";
      for (const BitserialConvKernel* c : all) names += std::string(", ") + c->name;
      usage_error("no kernel '" + bnn::printable(o.kernel) + "' that this CPU can run; these can: " + names);
    }
    kernels.push_back(k);
  }  // none named: each layer's default (default_bitserial_conv_kernel)
  // The highest peak of any kernel, on one core: the reference for "% of peak".
  const auto [best_gmacs, best_kernel] = best_peak();
  const double peak = best_gmacs * o.threads;
  const bool dnnl = onednn_available();
  if (!o.json) {
    std::printf("peak (%s x %d threads): %.1f GMAC/s binary\n%s\n\n", best_kernel ? best_kernel->name : "-", o.threads, peak,
                dnnl ? "baseline: oneDNN, same shapes, same run" : "baseline: none (built without libdnnl-dev)");
    std::printf("%-4s %-22s %-5s %-34s %9s %9s %7s %10s %10s %8s %8s\n", "", "shape", "bits", "kernel", "ms",
                "GMAC/s", "%peak", "dnnl f32", "dnnl int8", "vs f32", "vs int8");
  }
  // The float layers first: the engine's float kernel against oneDNN fp32.
  std::vector<std::string> float_kernels;
  for (const Conv2DKernel& k : conv2d_kernels()) {
    if (isa_available(k.isa) && &k != conv2d_kernels().begin()) float_kernels.push_back(k.name);  // not the reference
  }
  // A oneDNN figure; without oneDNN, `absent` ("-" in the table, null in JSON), not a time of zero.
  auto baseline = [dnnl](double value, const char* format, const char* absent) {
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return dnnl ? std::string(text) : std::string(absent);
  };
  auto ms_cell = [&](double ms) { return baseline(ms, "%.4f", "-"); };
  auto ratio_cell = [&](double ratio, const char* format) { return baseline(ratio, format, "-"); };
  auto json_ms = [&](double ms) { return baseline(ms, "%.4f", "null"); };
  for (const ConvShape& shape : resnet18_float_layers()) {
    const Timing f32 = dnnl ? onednn_conv(shape, false, o.threads) : Timing{};
    char dims[64];
    std::snprintf(dims, sizeof dims, "%dx%dx%d>%d k%d s%d", shape.in_h, shape.in_w, shape.in_c, shape.out_c,
                  shape.kernel, shape.stride);
    const FloatConvBench bench(shape);
    std::vector<std::string> shape_kernels;  // those that round like the default here (the engine's rule)
    for (const Conv2DKernel& k : conv2d_kernels()) {
      if (std::find(float_kernels.begin(), float_kernels.end(), k.name) != float_kernels.end() &&
          conv2d_kernel_fits(k, shape.geometry())) {
        shape_kernels.push_back(k.name);
      }
    }
    for (const std::string& name : o.kernel == "all" ? shape_kernels : std::vector<std::string>{bench.default_kernel()}) {
      std::string why;
      const std::optional<Timing> timed = bench.time(name, o.threads, &why);
      if (!timed) {  // a kernel the engine would not run here (portable blocks on x86 round unlike the default)
        if (!o.json) std::printf("%-4s not timed with %s: %s\n", shape.name.c_str(), name.c_str(), why.c_str());
        continue;
      }
      const Timing t = *timed;
      const char* const kernel_name = name.c_str();
      const double gmacs = shape.macs() / (t.median_ms * 1e-3) / 1e9;
      if (o.json) {
        std::printf("{\"mode\": \"layers\", \"layer\": \"%s\", \"shape\": \"%s\", \"bits\": \"f32\", \"kernel\": \"%s\", "
                    "\"threads\": %d, \"ms\": %.4f, \"gmacs\": %.2f, \"onednn_f32_ms\": %s}\n",
                    shape.name.c_str(), dims, kernel_name, o.threads, t.median_ms, gmacs, json_ms(f32.median_ms).c_str());
      } else {
        std::printf("%-4s %-22s %-5s %-34s %9.4f %9.1f %7s %10s %10s %8s %8s\n", shape.name.c_str(), dims, "f32",
                    kernel_name, t.median_ms, gmacs, "-", ms_cell(f32.median_ms).c_str(), "-",
                    ratio_cell(f32.median_ms / t.median_ms, "%.2fx").c_str(), "-");
      }
    }
  }
  std::vector<SpeedupBar> bars;
  for (const ConvShape& shape : resnet18_layers()) {
    Timing f32, i8;
    if (dnnl) {
      f32 = onednn_conv(shape, false, o.threads);
      i8 = onednn_conv(shape, true, o.threads);
    }
    for (const auto& [wb, ab] : o.bits) {
      const ConvBench bench(shape, wb, ab);
      std::vector<const BitserialConvKernel*> layer_kernels = kernels;
      if (layer_kernels.empty()) layer_kernels.push_back(find_bitserial_conv_kernel(bench.default_kernel()));
      bool charted = false;
      for (const BitserialConvKernel* k : layer_kernels) {
        std::string why;
        const std::optional<Timing> timed = bench.time(k->name, o.threads, &why);
        if (!timed) {  // a kernel the engine would not run on this layer
          if (!o.json) std::printf("%-4s not timed with %s: %s\n", shape.name.c_str(), k->name, why.c_str());
          continue;
        }
        const Timing t = *timed;
        const double gmacs = shape.macs() / (t.median_ms * 1e-3) / 1e9;
        const double pct = 100.0 * gmacs * wb * ab / peak;  // bit-plane MACs against the 1-bit peak
        char dims[64];
        std::snprintf(dims, sizeof dims, "%dx%dx%d>%d k%d s%d", shape.in_h, shape.in_w, shape.in_c, shape.out_c,
                      shape.kernel, shape.stride);
        if (dnnl && !charted) {  // the chart: the first kernel timed on the layer
          charted = true;
          const std::string precision = "W" + std::to_string(wb) + "A" + std::to_string(ab);
          bars.push_back({shape.name, precision, "oneDNN int8", i8.median_ms / t.median_ms});
          bars.push_back({shape.name, precision, "oneDNN fp32", f32.median_ms / t.median_ms});
        }
        if (o.json) {
          std::printf("{\"mode\": \"layers\", \"layer\": \"%s\", \"shape\": \"%s\", \"bits\": \"%dx%d\", \"kernel\": \"%s\", "
                      "\"threads\": %d, \"ms\": %.4f, \"gmacs\": %.2f, \"percent_of_peak\": %.1f, "
                      "\"onednn_f32_ms\": %s, \"onednn_int8_ms\": %s}\n",
                      shape.name.c_str(), dims, wb, ab, k->name, o.threads, t.median_ms, gmacs, pct,
                      json_ms(f32.median_ms).c_str(), json_ms(i8.median_ms).c_str());
        } else {
          std::printf("%-4s %-22s %dx%-3d %-34s %9.4f %9.1f %6.1f%% %10s %10s %8s %8s\n", shape.name.c_str(), dims, wb,
                      ab, k->name, t.median_ms, gmacs, pct, ms_cell(f32.median_ms).c_str(), ms_cell(i8.median_ms).c_str(),
                      ratio_cell(f32.median_ms / t.median_ms, "%.1fx").c_str(),
                      ratio_cell(i8.median_ms / t.median_ms, "%.1fx").c_str());
        }
      }
    }
  }
  if (!o.plot.empty()) {
    if (!dnnl) throw std::runtime_error("--plot needs the oneDNN baseline (build with libdnnl-dev)");
    write_speedup_svg(o.plot, "ResNet-18 convolutions, " + cpu_model_name() + ", " + std::to_string(o.threads) +
                                  " thread(s): bnn-engine vs oneDNN, measured in one run", bars);
    if (!o.json) std::printf("\nwrote %s\n", o.plot.c_str());
  }
  return 0;
}

int run_model(const Options& o) {
  // Load time with and without the constants checksum (median of 10 each).
  auto load_ms = [&](bool verify) {
    LoadOptions options;
    options.verify_checksum = verify;
    return measure([&] { Model::load_file(o.model, options); }, 10, 0.0, 10).median_ms;
  };
  const double load_verified = load_ms(true), load_unverified = load_ms(false);
  const auto model = Model::load_file(o.model);
  Session session(model, SessionOptions{o.threads});
  std::vector<float> input(model->input().element_count(), 0.5f), output(model->output().element_count());
  const size_t layers = model->layers().size();
  const Timing total = measure([&] { session.run(input.data(), output.data()); }, o.num_runs, o.min_secs,
                               std::max(1000, o.num_runs), o.warmup_runs);
  const std::vector<double> layer_ms =
      layer_profile_ms(session, input.data(), output.data(), std::max(5, total.runs / 2));
  // The frame path: a synthetic frame (a gradient with a bright block) to the input.
  Timing frame_timing;
  if (o.frame_width) {
    std::vector<uint8_t> frame(frame_bytes(o.frame_format, o.frame_width, o.frame_height, 0));
    for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>((i * 7 + i / 640) & 0xFF);
    const ImageView view = frame_in_buffer(o.frame_format, o.frame_width, o.frame_height, 0, frame.data(), frame.size());
    ImagePreprocessor preprocessor(model->preprocessing());
    frame_timing = measure([&] { preprocessor.run(view, input.data()); }, 10, 0.5);
  }
  int name_width = 26;  // the layer column fits the longest name
  for (const LayerInfo& l : model->layers()) name_width = std::max(name_width, static_cast<int>(bnn::printable(l.name).size()));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_rss_mib = usage.ru_maxrss / 1024.0;
  // A p90 several times the median: other work took the CPU during the runs.
  const bool noisy = total.p90_ms > 3 * total.median_ms;
  if (noisy) {
    std::fprintf(stderr, "bnn-bench: warning: p90 (%.3f ms) is %.1fx the median (%.3f ms): the machine is busy, "
                 "the figures are unreliable\n", total.p90_ms, total.p90_ms / total.median_ms, total.median_ms);
  }
  if (o.json) {
    char frame[64] = "";
    if (o.frame_width) std::snprintf(frame, sizeof frame, ", \"frame_ms\": %.4f", frame_timing.median_ms);
    std::printf("{\"mode\": \"model\", \"model\": %s, \"threads\": %d, \"runs\": %d, \"median_ms\": %.4f, "
                "\"p90_ms\": %.4f, \"mean_ms\": %.4f, \"std_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, "
                "\"noisy\": %s, \"peak_rss_mib\": %.1f, \"load_ms\": %.3f, \"load_no_verify_ms\": %.3f%s}\n",
                bnn::json_string(o.model).c_str(), o.threads, total.runs, total.median_ms, total.p90_ms, total.mean_ms,
                total.std_ms, total.min_ms, total.max_ms, noisy ? "true" : "false", peak_rss_mib, load_verified,
                load_unverified, frame);
  } else {
    print_machine(o);
    std::printf("%s: %d runs (after %d warm-up): mean %.3f ms, std %.3f, min %.3f, median %.3f, p90 %.3f, max %.3f; "
                "peak RSS %.1f MiB\n", bnn::printable(o.model).c_str(), total.runs, o.warmup_runs, total.mean_ms,
                total.std_ms, total.min_ms, total.median_ms, total.p90_ms, total.max_ms, peak_rss_mib);
    std::printf("load: %.3f ms with the checksum check, %.3f ms without\n", load_verified, load_unverified);
    if (o.frame_width) {
      std::printf("frame %s %dx%d -> input (%s): median %.3f ms, p90 %.3f ms; network %.3f ms\n",
                  pixel_format_name(o.frame_format), o.frame_width, o.frame_height,
                  model->preprocessing().describe().c_str(), frame_timing.median_ms, frame_timing.p90_ms,
                  total.median_ms);
    }
    std::printf("\n");
    std::printf("%3s  %-*s %-16s %-10s %10s %7s %7s  %s\n", "#", name_width, "layer", "kind", "bits", "ms", "share",
                "%peak", "kernel");
  }
  double sum = 0;
  for (double v : layer_ms) sum += v;
  // "% of peak" for bitserial layers: bit-plane MACs per second against the
  // best microkernel's one-core peak times the threads.
  const double peak = best_peak().first * o.threads;
  for (size_t i = 0; i < layers; ++i) {
    const LayerInfo& l = model->layers()[i];
    const double ms = layer_ms[i];
    if (o.json) {
      std::printf("{\"mode\": \"model_layer\", \"index\": %zu, \"layer\": %s, \"kind\": \"%s\", \"ms\": %.4f, "
                  "\"kernel\": %s}\n", i, bnn::json_string(l.name).c_str(), l.kind.c_str(), ms,
                  bnn::json_string(l.kernel).c_str());
    } else {
      int wb = 0, ab = 0;
      char pct[16] = "-";
      if (l.kind == "BitserialConv2D" && std::sscanf(l.precision.c_str(), "W%dA%d", &wb, &ab) == 2 && peak > 0) {
        std::snprintf(pct, sizeof pct, "%.1f%%", 100.0 * l.macs * wb * ab / (ms * 1e-3) / 1e9 / peak);
      }
      std::printf("%3zu  %-*s %-16s %-10s %10.4f %6.1f%% %7s  %s\n", i, name_width, bnn::printable(l.name).c_str(),
                  l.kind.c_str(), l.precision.c_str(), ms, 100.0 * layer_ms[i] / sum, pct, l.kernel.c_str());
    }
  }
  // Per kind of layer, most time first (benchmark_model's summary by node type).
  std::map<std::string, std::pair<int, double>> kinds;
  for (size_t i = 0; i < layers; ++i) {
    auto& k = kinds[model->layers()[i].kind];
    ++k.first;
    k.second += layer_ms[i];
  }
  std::vector<std::pair<std::string, std::pair<int, double>>> by_time(kinds.begin(), kinds.end());
  std::stable_sort(by_time.begin(), by_time.end(), [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  if (!o.json) std::printf("\n%-18s %6s %10s %7s\n", "kind", "layers", "ms", "share");
  for (const auto& [kind, k] : by_time) {
    if (o.json) {
      std::printf("{\"mode\": \"model_kind\", \"kind\": \"%s\", \"layers\": %d, \"ms\": %.4f, \"share\": %.4f}\n",
                  kind.c_str(), k.first, k.second, sum > 0 ? k.second / sum : 0.0);
    } else {
      std::printf("%-18s %6d %10.4f %6.1f%%\n", kind.c_str(), k.first, k.second, sum > 0 ? 100 * k.second / sum : 0.0);
    }
  }
  return 0;
}

int run_contention(const Options& o) {
  const int runs = 41;
  if (!o.json) {
    std::printf("CPU: %s (%s), %u cores online\n%s: median of %d runs per process, 1 and 2 threads each\n\n",
                cpu_model_name().c_str(), cpu_arch().c_str(), std::thread::hardware_concurrency(), o.model.c_str(),
                runs);
    std::printf("%-40s %10s %10s %10s\n", "while", "1 thread", "2 threads", "2t / 1t");
  }
  for (const ContentionRow& row : contention_study(o.model, runs)) {
    if (o.json) {
      std::printf("{\"mode\": \"contention\", \"load\": \"%s\", \"ms_1_thread\": %.4f, \"ms_2_threads\": %.4f}\n",
                  row.load.c_str(), row.ms_1, row.ms_2);
    } else {
      std::printf("%-40s %10.3f %10.3f %10.2f\n", row.load.c_str(), row.ms_1, row.ms_2, row.ms_2 / row.ms_1);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bnn::cli::set_program("bnn-bench");
  const Options o = parse(argc, argv);
  if (const std::string problem = bnn::isa_setting_problem(); !problem.empty()) {
    std::fprintf(stderr, "bnn-bench: %s\n", bnn::printable(problem).c_str());
    return 1;
  }
  try {
    if (o.peak) return run_peak(o);
    if (!o.layers.empty()) return run_layers(o);
    if (o.contention) return run_contention(o);
    return run_model(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn-bench: error: %s\n", bnn::cli::describe(e).c_str());
    return 1;
  }
}
