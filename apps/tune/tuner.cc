// SPDX-License-Identifier: Apache-2.0
#include "apps/tune/tuner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

#include "apps/bench/conv_bench.h"
#include "model_format/image_shape.h"
#include "apps/bench/layer_profile.h"
#include "apps/bench/timing.h"
#include "bnn/engine.h"
#include "engine/parallel.h"
#include "kernels/conv_geometry.h"
#include "kernels/cpu_features.h"
#include "kernels/registry.h"

namespace bnn::tune {
namespace {

using bench::ConvBench;
using bench::ConvCase;

struct Candidate {
  const BitserialConvKernel* kernel = nullptr;
  GemmLoopSchedule loop;
  SplitAxis axis = SplitAxis::kRows;
  double predicted = 0;  // cost model, lower is better
  double screened_ms = -1;  // a short timing (guided search)
  double measured_ms = -1;  // the full timing
};

std::string shape_text(const ConvCase& c) {
  const ConvGeometry& g = c.geometry;
  std::ostringstream s;
  s << g.in_h << "x" << g.in_w << "x" << g.in_c << "->" << g.out_c << " k" << g.kernel_h << (g.kernel_w != g.kernel_h ? "x" + std::to_string(g.kernel_w) : "")
    << " s" << g.stride_h << " W" << c.weight_bits << "A" << c.act_bits << (c.out_bits ? "->A" + std::to_string(c.out_bits) : "");
  return s.str();
}

std::string candidate_text(const Candidate& c) {
  std::ostringstream s;
  s << c.kernel->name;
  if (c.loop.outer_px) s << " px" << c.loop.outer_px;
  if (c.loop.outer_oc) s << " oc" << c.loop.outer_oc;
  if (c.loop.channels_outer) s << " channels-outer";
  if (c.axis == SplitAxis::kChannels) s << " split-channels";
  return s.str();
}

// A convolution's geometry from its tensors' HWC shapes and its window.
ConvGeometry geometry_of(const fb::TensorT& in, const fb::TensorT& out, const fb::WindowT& win, int groups) {
  const ImageDims i = image_dims(in.shape), o = image_dims(out.shape);  // a vector is a 1x1 image
  ConvGeometry g;
  g.in_h = static_cast<int>(i.h), g.in_w = static_cast<int>(i.w), g.in_c = static_cast<int>(i.c);
  g.out_h = static_cast<int>(o.h), g.out_w = static_cast<int>(o.w), g.out_c = static_cast<int>(o.c);
  g.kernel_h = win.kernel_h, g.kernel_w = win.kernel_w, g.stride_h = win.stride_h, g.stride_w = win.stride_w;
  g.pad_top = win.pad_top, g.pad_left = win.pad_left, g.pad_bottom = win.pad_bottom, g.pad_right = win.pad_right;
  g.dilation_h = win.dilation_h, g.dilation_w = win.dilation_w;
  g.groups = groups;
  return g;
}

// The layer's speed-relevant kind, read from the model.
bool conv_case(const fb::ModelT& m, const fb::BitserialConv2DT& l, ConvCase* c) {
  const auto& in = *m.tensors.at(l.input);
  const auto& w = *m.tensors.at(l.weights);
  const auto& out = *m.tensors.at(l.output);
  c->geometry = geometry_of(in, out, *l.window, l.groups);
  c->weight_bits = w.bits, c->act_bits = in.bits;
  c->weight_encoding = w.encoding == fb::Encoding::BIPOLAR ? Encoding::kBipolar : Encoding::kUnipolar;
  c->act_encoding = in.encoding == fb::Encoding::BIPOLAR ? Encoding::kBipolar : Encoding::kUnipolar;
  c->out_bits = out.type == fb::ElementType::PACKED ? out.bits : 0;
  c->pad_value = l.pad_value == fb::PadValue::MINUS_ONE ? PadValue::kMinusOne : PadValue::kZero;
  return true;
}

// How many pieces a channel split can cut this layer into (the engine's
// granule), or 0 when the kernel cannot split channels.
int channel_steps(const BitserialConvKernel& k, const ConvCase& c) {
  const int step = bitserial_conv_channel_step(k, c.out_bits > 0);
  return step > 0 ? (c.geometry.out_c + step - 1) / step : 0;
}

// The space: runnable kernels (register tile and depth unroll) that support
// the layer, times outer pixel tiles (one register tile, a few, whole rows),
// outer channel tiles (all, or a few register blocks), the loop order inside
// an outer tile, and the parallel axis, pruned to distinct effective values:
// the loop order only matters when an outer tile has several pixel tiles and
// several channel blocks, the axis only with threads and enough channel steps.
std::vector<Candidate> candidates(const ConvCase& c, const BitserialConvArgs& args,
                                  const BitserialConvKernel* fallback, SplitAxis default_axis, int threads) {
  const ConvGeometry& g = c.geometry;
  const int64_t pixels = int64_t{g.out_h} * g.out_w;
  std::vector<Candidate> out;
  for (const BitserialConvKernel& k : bitserial_conv_kernels()) {
    if (!isa_available(k.isa) || !bitserial_conv_supports(k, args)) continue;
    if (k.reference()) {  // the reference has no loop knobs
      if (&k != fallback) out.push_back({&k, {}});
      continue;
    }
    std::vector<int> pxs = {0};
    for (int m : {2, 4, 8, 16, 32}) {
      if (int64_t{k.tile_px} * m < pixels) pxs.push_back(k.tile_px * m);
    }
    for (int rows : {1, 2, 4}) {  // whole rows; a schedule knob is at most 65536
      const int64_t p = int64_t{rows} * g.out_w;
      if (p < pixels && p > k.tile_px && p <= 65536) pxs.push_back(static_cast<int>(p));
    }
    std::vector<int> ocs = {0};
    for (int m : {1, 2, 4, 8}) {
      if (k.tile_oc * m < g.out_c) ocs.push_back(k.tile_oc * m);
    }
    std::sort(pxs.begin(), pxs.end());
    pxs.erase(std::unique(pxs.begin(), pxs.end()), pxs.end());
    const int steps = channel_steps(k, c);
    std::vector<SplitAxis> axes = {SplitAxis::kRows};
    if (threads > 1 && steps >= threads) axes.push_back(SplitAxis::kChannels);
    for (int px : pxs) {
      for (int oc : ocs) {
        if (oc != 0 && px == 0) continue;  // channel tiles only matter with several pixel tiles to reuse them over
        const int oc_blocks = ((oc ? oc : g.out_c) + k.tile_oc - 1) / k.tile_oc;
        const bool order_matters = px > k.tile_px && oc_blocks > 1;
        for (bool channels_outer : {false, true}) {
          if (channels_outer && !order_matters) continue;
          for (SplitAxis axis : axes) {
            if (&k == fallback && px == 0 && oc == 0 && axis == default_axis) continue;  // the default, timed anyway
            out.push_back({&k, {px, oc, channels_outer}, axis});
          }
        }
      }
    }
  }
  return out;
}

// How much longer than an even split the slowest thread takes: rows split in
// whole rows, channels in whole steps (each thread then also builds the
// whole indirection, hence the small extra).
double imbalance(const Candidate& cand, const ConvCase& c, int threads) {
  if (threads <= 1) return 1;
  auto worst = [&](int units) { return std::ceil(double(units) / threads) / (double(units) / threads); };
  if (cand.axis == SplitAxis::kChannels) return worst(channel_steps(*cand.kernel, c)) * 1.02;
  return worst(c.geometry.out_h);
}

// Cost model: the microkernel's L1 rate (measured once per kernel), slowed
// when an outer tile's packed weights or activations spill out of L1 / L2,
// plus a per-outer-tile overhead for building the indirection.
double predict(const Candidate& cand, const ConvCase& c, const std::map<const BitserialConvKernel*, double>& peak,
               int threads) {
  const ConvGeometry& g = c.geometry;
  const double macs = double(g.out_h) * g.out_w * g.out_c * g.kernel_h * g.kernel_w * g.in_c * c.weight_bits * c.act_bits;
  const double rate = std::max(1e-3, peak.at(cand.kernel));  // GMAC/s
  if (cand.kernel->reference()) return macs / (rate * 1e9) * 4;
  const double words = std::ceil(g.in_c / 64.0), taps = double(g.kernel_h) * g.kernel_w;
  const int oc = cand.loop.outer_oc ? cand.loop.outer_oc : g.out_c;
  const int px = cand.loop.outer_px ? cand.loop.outer_px : cand.kernel->tile_px;
  // What stays hot across the inner loop: pixels outer, one pixel tile's
  // activation rows meet the outer tile's weights; channels outer, one
  // channel block's weights meet the outer tile's activation rows.
  const int inner_oc = cand.loop.channels_outer ? cand.kernel->tile_oc : oc;
  const int inner_px = cand.loop.channels_outer ? px : cand.kernel->tile_px;
  const double weight_bytes = taps * c.weight_bits * words * 8 * inner_oc;
  const double act_bytes = taps * c.act_bits * words * 8 * inner_px;
  const double working = weight_bytes + act_bytes;
  double slowdown = 1;
  if (working > 32 * 1024) slowdown = 1.3;
  if (working > 1024 * 1024) slowdown = 2.0;
  const double pixel_tiles = std::ceil(double(g.out_h) * g.out_w / px);
  const double overhead = pixel_tiles * taps * px * 2e-9;  // indirection rows
  return (macs / (rate * 1e9) * slowdown + overhead) * imbalance(cand, c, threads);
}

// Orders the space for the screen. The cost model separates microkernels
// (their measured rates) far better than outer tiles of one microkernel, so
// ranking by prediction alone would spend the whole screen on the fastest
// kernel's tiles. Instead: drop kernels predicted 1.5x slower than the best,
// then deal the rest out in turn, each kernel's candidates best-predicted
// first (the screen then sees every competitive kernel's best tiles).
void rank(std::vector<Candidate>& space) {
  std::stable_sort(space.begin(), space.end(),
                   [](const Candidate& a, const Candidate& b) { return a.predicted < b.predicted; });
  if (space.empty()) return;
  const double cutoff = space.front().predicted * 1.5;
  std::map<const BitserialConvKernel*, int> seen;  // candidates of each kernel so far
  std::vector<std::pair<int, size_t>> order;       // (rank within its kernel, position)
  for (size_t i = 0; i < space.size(); ++i) {
    const int within = seen[space[i].kernel]++;
    order.push_back({space[i].predicted <= cutoff ? within : std::numeric_limits<int>::max(), i});
  }
  std::stable_sort(order.begin(), order.end());
  std::vector<Candidate> ranked;
  ranked.reserve(space.size());
  for (const auto& [within, i] : order) ranked.push_back(space[i]);
  space = std::move(ranked);
}

std::string iso_date() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

// ---- full-precision convolutions: the register block of the float kernel ----

// The float convolution's geometry, read from the model.
ConvGeometry float_geometry(const fb::ModelT& m, const fb::Conv2DT& l) {
  return geometry_of(*m.tensors.at(l.input), *m.tensors.at(l.output), *l.window, l.groups);
}

std::string float_shape_text(const ConvGeometry& g) {
  std::ostringstream s;
  s << g.in_h << "x" << g.in_w << "x" << g.in_c << "->" << g.out_c << " k" << g.kernel_h
    << (g.kernel_w != g.kernel_h ? "x" + std::to_string(g.kernel_w) : "") << " s" << g.stride_h << " f32";
  if (g.groups != 1) s << " g" << g.groups;
  return s.str();
}

// One float convolution with random data, timed with each kernel the way the
// engine runs it (run_conv2d's split, per-thread scratch).
class FloatConvBench {
 public:
  explicit FloatConvBench(const ConvGeometry& g) : input_(size_t(g.in_h) * g.in_w * g.in_c) {
    layer_.geometry = g;
    uint32_t state = 12345;
    auto next = [&] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(static_cast<int>(state >> 9) - (1 << 22)) / (1 << 22);
    };
    for (float& v : input_) v = next();
    weights_.resize(size_t(g.out_c) * g.kernel_h * g.kernel_w * g.in_c_per_group());
    for (float& v : weights_) v = next();
    output_.resize(size_t(g.out_h) * g.out_w * g.out_c);
    layer_.input = input_.data();
    layer_.weights = weights_.data();
    layer_.output = output_.data();
  }
  bench::Timing time(const Conv2DKernel& k, int threads) {
    const std::vector<float> packed = k.prepare(layer_);
    const size_t per_thread = (k.scratch_bytes(layer_.geometry) + 63) / 64 * 64;
    std::vector<uint8_t> scratch(per_thread * threads + 64);
    ThreadPool pool(threads);
    return bench::measure([&] {
      run_conv2d(pool, k, layer_, packed.data(), [&](int t) { return scratch.data() + per_thread * t; });
    }, 5, 0.15);
  }

 private:
  std::vector<float> input_, weights_, output_;
  Conv2DLayer layer_;
};

// Cost model: vector width, the padding of output channels to the block's
// chunks, and how many pixels share each weight load.
double predict_float(const Conv2DKernel& k, const ConvGeometry& g) {
  const double lanes = k.isa == Isa::kAvx512F ? 16 : k.isa == Isa::kAvx2 ? 8 : k.tile_oc > 1 ? 4 : 1;
  const double padded = std::ceil(double(g.out_c) / k.tile_oc) * k.tile_oc / g.out_c;
  const double reuse = 1.0 + 1.0 / k.tile_px + (k.tile_oc > 16 ? 0.0 : 0.25);
  return padded * reuse / lanes;
}

std::unique_ptr<fb::ScheduleT> make_schedule(const char* kernel, Isa isa, int threads) {
  auto schedule = std::make_unique<fb::ScheduleT>();
  schedule->kernel = kernel;
  schedule->threads = threads;
  schedule->tuned_for = std::make_unique<fb::CpuIdentityT>();
  schedule->tuned_for->arch = cpu_arch();
  schedule->tuned_for->model_name = cpu_model_name();
  schedule->tuned_for->features = {isa_name(isa)};
  schedule->tuned_for->cores = static_cast<int>(std::thread::hardware_concurrency());
  schedule->tuned_date = iso_date();
  return schedule;
}

// A full-precision convolution: time the runnable float kernels (register
// blocks x ISA), the cost model's best few unless exhaustive, and bake the fastest.
template <typename Elapsed, typename Say>
void tune_float_layer(fb::ModelT& model, fb::LayerT& layer, size_t n, size_t total, const TuneOptions& options,
                      const Elapsed& elapsed, const Say& say,
                      std::map<std::string, std::pair<const Conv2DKernel*, LayerResult>>& done,
                      std::vector<LayerResult>& results) {
  const fb::Conv2DT& l = *layer.options.AsConv2D();
  const ConvGeometry g = float_geometry(model, l);
  const std::string shape = float_shape_text(g);
  char geometry[160];
  std::snprintf(geometry, sizeof geometry, " %dx%d s%dx%d p%d.%d.%d.%d d%dx%d out %dx%d", g.kernel_h, g.kernel_w,
                g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right, g.dilation_h, g.dilation_w,
                g.out_h, g.out_w);
  const std::string key = shape + geometry;
  const double eta = n ? elapsed() / n * (total - n) : 0;
  char line[256];
  std::snprintf(line, sizeof line, "[%zu/%zu] %s (%s), %.0f s so far, about %.0f s left", n + 1, total,
                layer.name.c_str(), shape.c_str(), elapsed(), eta);
  say(line);

  LayerResult result;
  const Conv2DKernel* best = nullptr;
  if (auto it = done.find(key); it != done.end()) {
    best = it->second.first;
    result = it->second.second;
    result.shared = true;
  } else {
    // The binder's rule for float convolutions (engine/ops/conv2d.cc).
    auto supports = [&](const Conv2DKernel& k) { return conv2d_kernel_fits(k, g); };
    const Conv2DKernel* fallback = default_kernel(conv2d_kernels(), supports);
    result.default_kernel = fallback->name;
    std::vector<const Conv2DKernel*> space;
    for (const Conv2DKernel& k : conv2d_kernels()) {
      if (isa_available(k.isa) && supports(k) && &k != fallback) space.push_back(&k);
    }
    std::stable_sort(space.begin(), space.end(), [&](const Conv2DKernel* a, const Conv2DKernel* b) {
      return predict_float(*a, g) < predict_float(*b, g);
    });
    FloatConvBench bench(g);
    result.candidates = static_cast<int>(space.size());
    const double default_ms = bench.time(*fallback, options.threads).median_ms;
    double best_ms = default_ms;
    best = fallback;
    const size_t to_time = options.exhaustive ? space.size() : std::min<size_t>(space.size(), options.timed_per_layer);
    for (size_t i = 0; i < to_time; ++i) {
      if (options.budget_seconds > 0 && elapsed() > options.budget_seconds) break;
      const double ms = bench.time(*space[i], options.threads).median_ms;
      ++result.timed;
      if (ms < best_ms * (1 - options.min_gain)) best_ms = ms, best = space[i];
    }
    result.default_ms = default_ms;
    result.tuned_ms = best_ms;
    result.shape = shape;
    result.schedule = best->name;
    done[key] = {best, result};
  }
  result.layer = layer.name;
  result.changed = result.default_kernel != best->name;
  results.push_back(result);
  layer.schedule = make_schedule(best->name, best->isa, options.threads);
}

}  // namespace

std::vector<LayerResult> tune_model(fb::ModelT& model, const TuneOptions& options) {
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };

  std::vector<size_t> convs;
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const fb::LayerOptions type = model.layers[i]->options.type;
    if (type == fb::LayerOptions::BitserialConv2D || type == fb::LayerOptions::Conv2D) convs.push_back(i);
  }
  std::map<const BitserialConvKernel*, double> peak;
  for (const BitserialConvKernel& k : bitserial_conv_kernels()) {
    if (isa_available(k.isa)) peak[&k] = k.reference() ? 1.0 : bench::peak_gmacs(k);
  }

  std::map<std::string, std::pair<Candidate, LayerResult>> done;  // by shape
  std::map<std::string, std::pair<const Conv2DKernel*, LayerResult>> float_done;
  std::vector<LayerResult> results;
  for (size_t n = 0; n < convs.size(); ++n) {
    fb::LayerT& layer = *model.layers[convs[n]];
    if (layer.options.type == fb::LayerOptions::Conv2D) {
      tune_float_layer(model, layer, n, convs.size(), options, elapsed, say, float_done, results);
      results.back().index = static_cast<int>(convs[n]);
      continue;
    }
    const fb::BitserialConv2DT& l = *layer.options.AsBitserialConv2D();
    ConvCase c;
    conv_case(model, l, &c);
    const ConvGeometry& g = c.geometry;
    char geometry[160];
    std::snprintf(geometry, sizeof geometry, " %dx%d s%dx%d p%d.%d.%d.%d d%dx%d out %dx%d", g.kernel_h, g.kernel_w, g.stride_h,
                  g.stride_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right, g.dilation_h, g.dilation_w, g.out_h, g.out_w);
    const std::string key = shape_text(c) + geometry + " g" + std::to_string(c.geometry.groups) +
                            (c.pad_value == PadValue::kMinusOne ? " pad-1" : "") +
                            (c.weight_encoding == Encoding::kBipolar ? " wb" : " wu") +
                            (c.act_encoding == Encoding::kBipolar ? " ab" : " au");
    const double eta = n ? elapsed() / n * (convs.size() - n) : 0;
    char line[256];
    std::snprintf(line, sizeof line, "[%zu/%zu] %s (%s), %.0f s so far, about %.0f s left", n + 1, convs.size(),
                  layer.name.c_str(), shape_text(c).c_str(), elapsed(), eta);
    say(line);

    LayerResult result;
    Candidate best;
    // This CPU's default: kernel, no outer tiles, the engine's own split.
    BitserialConvArgs args;
    args.geometry = c.geometry;
    args.weight_bits = c.weight_bits, args.act_bits = c.act_bits;
    args.weight_encoding = c.weight_encoding, args.act_encoding = c.act_encoding;
    args.pad_value = c.pad_value;
    const BitserialConvKernel* fallback = default_bitserial_conv_kernel(args);
    const SplitAxis default_axis = bitserial_split_axis(
        options.threads, args, bitserial_conv_channel_step(*fallback, c.out_bits > 0), std::nullopt);
    if (auto it = done.find(key); it != done.end()) {
      best = it->second.first;
      result = it->second.second;
      result.shared = true;
    } else {
      ConvBench bench(c);
      result.default_kernel = fallback->name;
      std::vector<Candidate> space = candidates(c, bench.args(), fallback, default_axis, options.threads);
      for (Candidate& cand : space) cand.predicted = predict(cand, c, peak, options.threads);
      rank(space);
      result.candidates = static_cast<int>(space.size());
      Candidate def{fallback, {}, default_axis};
      def.measured_ms = bench.time(*fallback, options.threads, {}, default_axis).median_ms;
      best = def;
      auto time_in_full = [&](Candidate& cand) {
        if (cand.measured_ms < 0) {
          cand.measured_ms = bench.time(*cand.kernel, options.threads, cand.loop, cand.axis).median_ms;
          ++result.timed;
        }
        // Take a candidate only when it beats the best by more than the gap
        // between a layer timed alone and the same layer in the network.
        if (cand.measured_ms < best.measured_ms * (1 - options.min_gain)) best = cand;
      };
      auto out_of_time = [&] { return options.budget_seconds > 0 && elapsed() > options.budget_seconds; };
      // The guided search. The cost model cannot tell most outer tiles apart
      // (they differ by a few percent in cache behaviour): a short timing of
      // its best few dozen ranks them, then the best few are timed in full.
      const size_t to_screen = std::min<size_t>(space.size(), options.screened_per_layer);
      for (size_t i = 0; i < to_screen && !out_of_time(); ++i) {
        space[i].screened_ms =
            bench.time(*space[i].kernel, options.threads, space[i].loop, space[i].axis, {3, 0.02}).median_ms;
        ++result.screened;
      }
      std::stable_sort(space.begin(), space.begin() + result.screened,
                       [](const Candidate& a, const Candidate& b) { return a.screened_ms < b.screened_ms; });
      for (size_t i = 0; i < std::min<size_t>(result.screened, options.timed_per_layer) && !out_of_time(); ++i) {
        time_in_full(space[i]);
      }
      // --exhaustive then times every candidate in full in the same run, and
      // keeps what the guided search chose, to be compared with its own best.
      // It bakes the fastest of all when that beats the default by min_gain.
      if (options.exhaustive) {
        result.guided_ms = best.measured_ms;
        result.guided_schedule = candidate_text(best);
        Candidate fastest = def;
        for (Candidate& cand : space) {
          if (out_of_time()) break;
          time_in_full(cand);
          if (cand.measured_ms < fastest.measured_ms) fastest = cand;
        }
        result.fastest_ms = fastest.measured_ms;
        best = fastest.measured_ms < def.measured_ms * (1 - options.min_gain) ? fastest : def;
      }
      result.default_ms = def.measured_ms;
      result.tuned_ms = best.measured_ms;
      result.shape = shape_text(c);
      result.schedule = candidate_text(best);
      done[key] = {best, result};
    }
    result.layer = layer.name;
    result.index = static_cast<int>(convs[n]);
    result.changed = !(best.kernel->name == result.default_kernel && best.loop.outer_px == 0 && best.loop.outer_oc == 0 &&
                       !best.loop.channels_outer && best.axis == default_axis);
    results.push_back(result);

    // Bake it: the kernel (its name carries the register tile and the depth
    // unroll), the outer tiles, the loop order, the parallel axis, and the
    // machine it was measured on.
    layer.schedule = make_schedule(best.kernel->name, best.kernel->isa, options.threads);
    layer.schedule->tile_oc = best.loop.outer_oc;
    layer.schedule->tile_pixels = best.loop.outer_px;
    layer.schedule->unroll = best.kernel->tile_words;
    layer.schedule->loop_order = best.loop.channels_outer ? fb::LoopOrder::CHANNELS_OUTER : fb::LoopOrder::PIXELS_OUTER;
    // The engine's own choice stays DEFAULT, so that it is made again for the
    // thread count the model runs with.
    layer.schedule->parallel_axis = best.axis == default_axis          ? fb::ParallelAxis::DEFAULT
                                    : best.axis == SplitAxis::kChannels ? fb::ParallelAxis::CHANNELS
                                                                        : fb::ParallelAxis::ROWS;
  }
  return results;
}

namespace {

// Per-layer milliseconds of a model inside the network (bnn-bench's
// profile), after one warm-up run.
std::vector<double> layer_times(const std::vector<uint8_t>& bytes, int threads, int runs) {
  const auto model = Model::load_buffer(bytes.data(), bytes.size());
  Session session(model, SessionOptions{threads});
  std::vector<float> input(model->input().element_count(), 0.5f), output(model->output().element_count());
  session.run(input.data(), output.data());
  return bench::layer_profile_ms(session, input.data(), output.data(), runs);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

void keep_in_network_gains(ModelBuilder& builder, std::vector<LayerResult>& results, const TuneOptions& options) {
  fb::ModelT& model = builder.raw();
  // The untuned model: every changed layer back on this CPU's default.
  std::vector<std::unique_ptr<fb::ScheduleT>> tuned(results.size());
  auto default_schedule = [&](const LayerResult& r) {
    const BitserialConvKernel* k = find_bitserial_conv_kernel(r.default_kernel);
    Isa isa = k ? k->isa : Isa::kPortable;
    for (const Conv2DKernel& f : conv2d_kernels()) {
      if (r.default_kernel == f.name) isa = f.isa;
    }
    return make_schedule(r.default_kernel.c_str(), isa, options.threads);
  };
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].changed) continue;
    tuned[i] = std::move(model.layers[results[i].index]->schedule);
    model.layers[results[i].index]->schedule = default_schedule(results[i]);
  }
  const std::vector<uint8_t> untuned_bytes = builder.finish();
  for (size_t i = 0; i < results.size(); ++i) {
    if (tuned[i]) model.layers[results[i].index]->schedule = std::move(tuned[i]);
  }
  const std::vector<uint8_t> tuned_bytes = builder.finish();
  // Alternate the two in rounds; per layer, the median of the rounds.
  const int rounds = 9, runs = 5;
  std::vector<std::vector<double>> before(model.layers.size()), after(model.layers.size());
  for (int r = 0; r < rounds; ++r) {
    const std::vector<double> a = layer_times(untuned_bytes, options.threads, runs);
    const std::vector<double> b = layer_times(tuned_bytes, options.threads, runs);
    for (size_t l = 0; l < a.size(); ++l) before[l].push_back(a[l]), after[l].push_back(b[l]);
  }
  for (LayerResult& r : results) {
    if (!r.changed) continue;
    r.network_default_ms = median(before[r.index]);
    r.network_tuned_ms = median(after[r.index]);
    r.kept = r.network_tuned_ms < r.network_default_ms;
    if (!r.kept) model.layers[r.index]->schedule = default_schedule(r);
  }
}

std::vector<uint8_t> tune_model_file(const std::vector<uint8_t>& bytes, const TuneOptions& options,
                                     std::vector<LayerResult>* results) {
  ModelBuilder builder = ModelBuilder::from_bytes(bytes.data(), bytes.size());
  *results = tune_model(builder.raw(), options);
  if (options.progress) options.progress("checking the changed layers inside the whole network (tuned and untuned alternated)");
  keep_in_network_gains(builder, *results, options);
  return builder.finish();
}

}  // namespace bnn::tune
