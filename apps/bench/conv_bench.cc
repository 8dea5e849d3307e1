// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/conv_bench.h"

#include <random>

#include "bnn/layer_trial.h"
#include "kernels/bitpack.h"
#include "model_format/builder.h"

namespace bnn::bench {

ConvGeometry ConvShape::geometry() const {
  ConvGeometry g;
  g.in_h = in_h, g.in_w = in_w, g.in_c = in_c, g.out_c = out_c;
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = g.stride_w = stride;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = pad;
  g.out_h = static_cast<int>(conv_output_extent(in_h, pad, pad, kernel, stride, 1));
  g.out_w = static_cast<int>(conv_output_extent(in_w, pad, pad, kernel, stride, 1));
  return g;
}

int64_t ConvShape::macs() const {
  const ConvGeometry g = geometry();
  return int64_t{g.out_h} * g.out_w * out_c * kernel * kernel * in_c;
}

std::vector<ConvShape> resnet18_layers() {
  return {{"C2", 56, 56, 64, 64, 3, 1, 1},     {"C3", 56, 56, 64, 64, 1, 1, 0},    {"C4", 56, 56, 64, 128, 3, 2, 1},
          {"C5", 56, 56, 64, 128, 1, 2, 0},    {"C6", 28, 28, 128, 128, 3, 1, 1},  {"C7", 28, 28, 128, 256, 3, 2, 1},
          {"C8", 28, 28, 128, 256, 1, 2, 0},   {"C9", 14, 14, 256, 256, 3, 1, 1},  {"C10", 14, 14, 256, 512, 3, 2, 1},
          {"C11", 14, 14, 256, 512, 1, 2, 0},  {"C12", 7, 7, 512, 512, 3, 1, 1}};
}

std::vector<ConvShape> resnet18_float_layers() {
  return {{"C1", 224, 224, 3, 64, 7, 2, 3}, {"S1", 28, 28, 64, 128, 1, 1, 0}, {"S2", 14, 14, 128, 256, 1, 1, 0},
          {"S3", 7, 7, 256, 512, 1, 1, 0}};
}

namespace {

std::vector<float> uniform_floats(std::mt19937_64& rng, size_t n) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

}  // namespace

// The stem or a shortcut: its weights and a batchnorm's scale and bias fused.
FloatConvBench::FloatConvBench(const ConvShape& shape, uint32_t seed) {
  std::mt19937_64 rng(seed);
  const ConvGeometry g = shape.geometry();
  ModelBuilder b;
  const int x = b.input("x", g.in_h, g.in_w, g.in_c);
  FloatTransformSpec t;
  t.scale = uniform_floats(rng, g.out_c);
  t.bias = uniform_floats(rng, g.out_c);
  b.set_output(b.conv2d(shape.name, x, g.out_c, WindowSpec::square(shape.kernel, shape.stride, shape.pad),
                        uniform_floats(rng, size_t{1} * g.out_c * g.kernel_h * g.kernel_w * g.in_c), t));
  model_ = b.finish();
}

namespace {

std::optional<Timing> time_layer(const std::vector<uint8_t>& model, int layer, const std::string& kernel, int threads,
                                 std::string* why) {
  LayerTrial trial(model, layer, threads);
  if (const std::string note = trial.use({kernel}); !note.empty()) {
    if (why) *why = note;
    return std::nullopt;
  }
  return measure([&] { trial.run(); });
}

}  // namespace

std::optional<Timing> FloatConvBench::time(const std::string& kernel, int threads, std::string* why) const {
  return time_layer(model_, 0, kernel, threads, why);
}

std::string FloatConvBench::default_kernel() const { return LayerTrial(model_, 0, 1).default_schedule().kernel; }

ConvBench::ConvBench(const ConvShape& shape, int weight_bits, int act_bits, uint32_t seed) {
  std::mt19937_64 rng(seed);
  const ConvGeometry g = shape.geometry();
  // A float input quantized to act_bits, then the convolution with a 1-bit
  // packed output (as between two binary layers); the trial times layer 1.
  ModelBuilder b;
  const int x = b.input("x", g.in_h, g.in_w, g.in_c);
  const int levels = (1 << act_bits) - 1;
  std::vector<float> steps(static_cast<size_t>(g.in_c) * levels);
  for (size_t i = 0; i < steps.size(); ++i) steps[i] = -0.5f + float(i % levels + 1) / float(levels + 1);
  const Encoding act_encoding = act_bits == 1 ? Encoding::kBipolar : Encoding::kUnipolar;
  const int q = b.quantize("q", x, act_bits, act_encoding, steps);
  CodeWeights w{weight_bits, Encoding::kBipolar, {}};
  w.codes.resize(size_t{1} * g.out_c * g.kernel_h * g.kernel_w * g.in_c);
  for (uint8_t& code : w.codes) code = static_cast<uint8_t>(rng() & ((1u << weight_bits) - 1));
  ThresholdSpec out;
  out.thresholds.assign(g.out_c, 0);
  const int y = b.bitserial_conv2d(shape.name, q, g.out_c, WindowSpec::square(shape.kernel, shape.stride, shape.pad),
                                   w, out);
  // A model's output is float: a one-channel 1x1 layer after it (not timed).
  const CodeWeights one{1, Encoding::kBipolar, std::vector<uint8_t>(g.out_c, 1)};
  b.set_output(b.bitserial_conv2d("float_output", y, 1, WindowSpec::square(1), one, FloatTransformSpec{}));
  model_ = b.finish();
}

std::optional<Timing> ConvBench::time(const std::string& kernel, int threads, std::string* why) const {
  return time_layer(model_, 1, kernel, threads, why);
}

std::string ConvBench::default_kernel() const { return LayerTrial(model_, 1, 1).default_schedule().kernel; }

// A direct microkernel on the same L1-resident depth, its tile stored as
// one-bit packed output (the epilogue is part of its every call).
double direct_peak_gmacs(const BitserialConvKernel& kernel) {
  const int taps = 9, words = 8;
  const int64_t stride = words;  // consecutive pixels, one word row each
  std::vector<uint64_t> rows(static_cast<size_t>(taps + kernel.tile_px) * words, 0x5555555555555555ull);
  std::vector<int64_t> offsets(taps);
  for (int t = 0; t < taps; ++t) offsets[t] = int64_t{t} * words;
  std::vector<uint64_t> w(static_cast<size_t>(taps) * words * kernel.tile_oc, 0x3333333333333333ull);
  std::vector<int32_t> zeros(kernel.tile_oc, 0);
  std::vector<uint8_t> down(kernel.tile_oc / 8, 0);
  std::vector<uint64_t> out(static_cast<size_t>(kernel.tile_px) * words_for(kernel.tile_oc));
  BconvDirectEpilogue e;
  e.mul = -2;
  e.out_c = e.oc_stride = kernel.tile_oc;
  e.channel_add = zeros.data();
  e.out_bits = 1;
  e.thresholds = e.sum_thresholds = zeros.data();
  e.down = e.sum_flip = down.data();
  e.out_packed = out.data();
  BconvDirectArgs args;
  args.a = rows.data();
  args.tap_offset = offsets.data();
  args.pixel_stride = stride;
  args.taps = taps;
  args.words = words;
  args.w = w.data();
  args.pixels = kernel.tile_px;
  args.e = &e;
  const int calls = 2000;
  const Timing t = measure([&] {
    for (int i = 0; i < calls; ++i) kernel.direct(args);
  });
  const double macs = double(calls) * kernel.tile_oc * kernel.tile_px * taps * words * 64;
  return macs / (t.median_ms * 1e-3) / 1e9;
}

double peak_gmacs(const BitserialConvKernel& kernel) {
  if (kernel.direct) return direct_peak_gmacs(kernel);
  if (!kernel.ukernel) return 0;
  // 9 taps of 8 words (512 channels), all rows in L1: only the microkernel runs.
  BgemmUkernelArgs args;
  args.taps = 9;
  args.words = 8;
  std::vector<uint64_t> rows(static_cast<size_t>(args.taps) * kernel.tile_px * args.words, 0x5555555555555555ull);
  std::vector<const uint64_t*> ptrs(static_cast<size_t>(args.taps) * kernel.tile_px);
  for (size_t i = 0; i < ptrs.size(); ++i) ptrs[i] = rows.data() + i * args.words;
  std::vector<uint64_t> w(static_cast<size_t>(args.taps) * args.words * kernel.tile_oc, 0x3333333333333333ull);
  std::vector<int32_t> s(static_cast<size_t>(kernel.tile_px) * kernel.tile_oc);
  args.a = ptrs.data();
  args.w = w.data();
  args.s = s.data();
  const int calls = 2000;
  const Timing t = measure([&] {
    for (int i = 0; i < calls; ++i) kernel.ukernel(args);
  });
  const double macs = double(calls) * kernel.tile_oc * kernel.tile_px * args.taps * args.words * 64;
  return macs / (t.median_ms * 1e-3) / 1e9;
}

}  // namespace bnn::bench
