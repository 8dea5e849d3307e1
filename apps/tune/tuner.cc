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
#include "bnn/layer_trial.h"
#include "kernels/conv_geometry.h"
#include "kernels/cpu_features.h"
#include "kernels/registry.h"

namespace bnn::tune {
namespace {

using bench::ConvCase;

// A schedule the engine enumerated (LayerTrial::candidates), with what the
// cost model reads from it.
struct Candidate {
  LayerSchedule schedule;
  const BitserialConvKernel* kernel = nullptr;
  GemmLoopSchedule loop;
  bool splits_channels = false;  // the threads split output channels (else rows)
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

Candidate candidate_of(const LayerSchedule& s, const LayerTrial& trial) {
  Candidate c;
  c.schedule = s;
  c.kernel = find_bitserial_conv_kernel(s.kernel);
  c.loop = {s.tile_pixels, s.tile_oc, s.channels_outer};
  c.splits_channels = trial.splits_channels(s);
  return c;
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
void conv_case(const fb::ModelT& m, const fb::BitserialConv2DT& l, ConvCase* c) {
  const auto& in = *m.tensors.at(l.input);
  const auto& w = *m.tensors.at(l.weights);
  const auto& out = *m.tensors.at(l.output);
  c->geometry = geometry_of(in, out, *l.window, l.groups);
  c->weight_bits = w.bits, c->act_bits = in.bits;
  c->weight_encoding = w.encoding == fb::Encoding::BIPOLAR ? Encoding::kBipolar : Encoding::kUnipolar;
  c->act_encoding = in.encoding == fb::Encoding::BIPOLAR ? Encoding::kBipolar : Encoding::kUnipolar;
  c->out_bits = out.type == fb::ElementType::PACKED ? out.bits : 0;
  c->pad_value = l.pad_value == fb::PadValue::MINUS_ONE ? PadValue::kMinusOne : PadValue::kZero;
}

// How many pieces a channel split can cut this layer into (the engine's
// granule), or 0 when the kernel cannot split channels.
int channel_steps(const BitserialConvKernel& k, const ConvCase& c) {
  const int step = bitserial_conv_channel_step(k, c.out_bits > 0 || c.fused_quantize);
  return step > 0 ? (c.geometry.out_c + step - 1) / step : 0;
}

// How much longer than an even split the slowest thread takes: rows split in
// whole rows, channels in whole steps (each thread then also builds the
// whole indirection, hence the small extra).
double imbalance(const Candidate& cand, const ConvCase& c, int threads) {
  if (threads <= 1) return 1;
  auto worst = [&](int units) { return std::ceil(double(units) / threads) / (double(units) / threads); };
  if (cand.splits_channels) return worst(channel_steps(*cand.kernel, c)) * 1.02;
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

const Conv2DKernel* find_float_kernel(const std::string& name) {
  for (const Conv2DKernel& k : conv2d_kernels()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

// A schedule bound in the trial and timed; -1 when the engine would not
// follow it (it then runs the default, which is timed on its own).
double time_schedule(LayerTrial& trial, const LayerSchedule& s, bench::TimingBudget budget) {
  if (!trial.use(s).empty()) return -1;
  return bench::measure([&] { trial.run(); }, budget.min_runs, budget.min_seconds).median_ms;
}

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
void tune_float_layer(fb::ModelT& model, const std::vector<uint8_t>& bytes, int index, size_t n, size_t total,
                      const TuneOptions& options, const Elapsed& elapsed, const Say& say,
                      std::map<std::string, std::pair<const Conv2DKernel*, LayerResult>>& done,
                      std::vector<LayerResult>& results) {
  fb::LayerT& layer = *model.layers[index];
  const fb::Conv2DT& l = *layer.options.AsConv2D();
  const ConvGeometry g = float_geometry(model, l);
  const std::string shape = float_shape_text(g);
  char geometry[160];
  std::snprintf(geometry, sizeof geometry, " %dx%d s%dx%d p%d.%d.%d.%d d%dx%d out %dx%d", g.kernel_h, g.kernel_w,
                g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right, g.dilation_h, g.dilation_w,
                g.out_h, g.out_w);
  const std::string key = shape + geometry + (l.transform && l.transform->residual >= 0 ? " residual" : "");
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
    // The engine's default and candidates for the layer, timed as it runs them.
    LayerTrial trial(bytes, index, options.threads);
    const Conv2DKernel* fallback = find_float_kernel(trial.default_schedule().kernel);
    result.default_kernel = fallback->name;
    std::vector<const Conv2DKernel*> space;
    for (const LayerSchedule& s : trial.candidates()) space.push_back(find_float_kernel(s.kernel));
    std::stable_sort(space.begin(), space.end(), [&](const Conv2DKernel* a, const Conv2DKernel* b) {
      return predict_float(*a, g) < predict_float(*b, g);
    });
    result.candidates = static_cast<int>(space.size());
    const bench::TimingBudget budget{5, 0.15};
    const double default_ms = time_schedule(trial, {fallback->name}, budget);
    double best_ms = default_ms;
    best = fallback;
    const size_t to_time = options.exhaustive ? space.size() : std::min<size_t>(space.size(), options.timed_per_layer);
    for (size_t i = 0; i < to_time; ++i) {
      if (options.budget_seconds > 0 && elapsed() > options.budget_seconds) break;
      const double ms = time_schedule(trial, {space[i]->name}, budget);
      ++result.timed;
      if (ms >= 0 && ms < best_ms * (1 - options.min_gain)) best_ms = ms, best = space[i];
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

std::vector<LayerResult> tune_model(fb::ModelT& model, const std::vector<uint8_t>& bytes, const TuneOptions& options) {
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
      tune_float_layer(model, bytes, static_cast<int>(convs[n]), n, convs.size(), options, elapsed, say, float_done,
                       results);
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
    // What the layer's epilogue does matters too: a residual read, a
    // Quantize of the output that the engine may fuse into it.
    const bool residual = l.transform && l.transform->residual >= 0;
    const fb::LayerT* next = convs[n] + 1 < model.layers.size() ? model.layers[convs[n] + 1].get() : nullptr;
    const fb::QuantizeT* quantize = next ? next->options.AsQuantize() : nullptr;
    // The engine fuses a one-bit Quantize of a float output (engine/model.cc).
    const bool quantized =
        c.out_bits == 0 && quantize && quantize->input == l.output && model.tensors.at(quantize->output)->bits == 1;
    c.fused_quantize = quantized;
    const std::string key = shape_text(c) + geometry + " g" + std::to_string(c.geometry.groups) +
                            (c.pad_value == PadValue::kMinusOne ? " pad-1" : "") +
                            (c.weight_encoding == Encoding::kBipolar ? " wb" : " wu") +
                            (c.act_encoding == Encoding::kBipolar ? " ab" : " au") + (residual ? " residual" : "") +
                            (quantized ? " quantized" : "");
    const double eta = n ? elapsed() / n * (convs.size() - n) : 0;
    char line[256];
    std::snprintf(line, sizeof line, "[%zu/%zu] %s (%s), %.0f s so far, about %.0f s left", n + 1, convs.size(),
                  layer.name.c_str(), shape_text(c).c_str(), elapsed(), eta);
    say(line);

    LayerResult result;
    Candidate best;
    if (auto it = done.find(key); it != done.end()) {
      best = it->second.first;
      result = it->second.second;
      result.shared = true;
    } else {
      // The engine's default and candidates for the layer, timed as it runs them.
      LayerTrial trial(bytes, static_cast<int>(convs[n]), options.threads);
      const Candidate def_shape = candidate_of(trial.default_schedule(), trial);
      result.default_kernel = def_shape.kernel->name;
      std::vector<Candidate> space;
      for (const LayerSchedule& s : trial.candidates()) space.push_back(candidate_of(s, trial));
      for (Candidate& cand : space) cand.predicted = predict(cand, c, peak, options.threads);
      rank(space);
      result.candidates = static_cast<int>(space.size());
      Candidate def = def_shape;
      def.measured_ms = time_schedule(trial, def.schedule, {});
      best = def;
      auto time_in_full = [&](Candidate& cand) {
        if (cand.measured_ms < 0) {
          cand.measured_ms = time_schedule(trial, cand.schedule, {});
          ++result.timed;
        }
        // Take a candidate only when it beats the best by more than the gap
        // between a layer timed alone and the same layer in the network.
        if (cand.measured_ms >= 0 && cand.measured_ms < best.measured_ms * (1 - options.min_gain)) best = cand;
      };
      auto out_of_time = [&] { return options.budget_seconds > 0 && elapsed() > options.budget_seconds; };
      // The guided search. The cost model cannot tell most outer tiles apart
      // (they differ by a few percent in cache behaviour): a short timing of
      // its best few dozen ranks them, then the best few are timed in full.
      const size_t to_screen = std::min<size_t>(space.size(), options.screened_per_layer);
      for (size_t i = 0; i < to_screen && !out_of_time(); ++i) {
        const double ms = time_schedule(trial, space[i].schedule, {3, 0.02});
        space[i].screened_ms = ms >= 0 ? ms : std::numeric_limits<double>::infinity();
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
        result.guided_schedule = to_string(best.schedule);
        Candidate fastest = def;
        for (Candidate& cand : space) {
          if (out_of_time()) break;
          time_in_full(cand);
          if (cand.measured_ms >= 0 && cand.measured_ms < fastest.measured_ms) fastest = cand;
        }
        result.fastest_ms = fastest.measured_ms;
        best = fastest.measured_ms < def.measured_ms * (1 - options.min_gain) ? fastest : def;
      }
      result.default_ms = def.measured_ms;
      result.tuned_ms = best.measured_ms;
      result.shape = shape_text(c);
      result.schedule = to_string(best.schedule);
      done[key] = {best, result};
    }
    result.layer = layer.name;
    result.index = static_cast<int>(convs[n]);
    const LayerSchedule& chosen = best.schedule;
    result.changed = !(chosen.kernel == result.default_kernel && chosen.tile_pixels == 0 && chosen.tile_oc == 0 &&
                       !chosen.channels_outer && chosen.split == LayerSchedule::Split::kDefault);
    results.push_back(result);

    // Bake it: the kernel (its name carries the register tile and the depth
    // unroll), the outer tiles, the loop order, the parallel split (DEFAULT
    // unless another measured faster: the engine then chooses again for the
    // thread count the model runs with), and the machine it was measured on.
    layer.schedule = make_schedule(best.kernel->name, best.kernel->isa, options.threads);
    layer.schedule->tile_oc = chosen.tile_oc;
    layer.schedule->tile_pixels = chosen.tile_pixels;
    layer.schedule->unroll = best.kernel->tile_words;
    layer.schedule->loop_order = chosen.channels_outer ? fb::LoopOrder::CHANNELS_OUTER : fb::LoopOrder::PIXELS_OUTER;
    layer.schedule->parallel_axis = chosen.split == LayerSchedule::Split::kRows       ? fb::ParallelAxis::ROWS
                                    : chosen.split == LayerSchedule::Split::kChannels ? fb::ParallelAxis::CHANNELS
                                                                                      : fb::ParallelAxis::DEFAULT;
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
  *results = tune_model(builder.raw(), bytes, options);
  if (options.progress) options.progress("checking the changed layers inside the whole network (tuned and untuned alternated)");
  keep_in_network_gains(builder, *results, options);
  return builder.finish();
}

}  // namespace bnn::tune
