// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/conv_bench.h"

#include <random>

#include "engine/parallel.h"
#include "kernels/bitpack.h"

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

FloatConvBench::FloatConvBench(const ConvShape& shape, uint32_t seed) {
  const ConvGeometry g = shape.geometry();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  auto fill = [&](std::vector<float>* v, size_t n) {
    v->resize(n);
    for (float& x : *v) x = uniform(rng);
  };
  fill(&input_, size_t{1} * g.in_h * g.in_w * g.in_c);
  fill(&weights_, size_t{1} * g.out_c * g.kernel_h * g.kernel_w * g.in_c);
  fill(&scale_, g.out_c);
  fill(&bias_, g.out_c);
  output_.assign(size_t{1} * g.out_h * g.out_w * g.out_c, 0.0f);
  layer_.geometry = g;
  layer_.input = input_.data();
  layer_.weights = weights_.data();
  layer_.transform.scale = scale_.data();
  layer_.transform.bias = bias_.data();
  layer_.output = output_.data();
}

Timing FloatConvBench::time(const Conv2DKernel& kernel, int threads) const {
  const std::vector<float> packed = kernel.prepare(layer_);
  const size_t stride = (kernel.scratch_bytes(layer_.geometry) + 63) / 64 * 64;
  std::vector<uint64_t> scratch_words(stride * threads / 8 + 8);
  uint8_t* scratch = reinterpret_cast<uint8_t*>(scratch_words.data());
  ThreadPool pool(threads);
  return measure([&] {
    run_conv2d(pool, kernel, layer_, packed.data(), [&](int t) { return scratch + t * stride; });
  });
}

ConvBench::ConvBench(const ConvShape& shape, int weight_bits, int act_bits, uint32_t seed)
    : ConvBench(ConvCase{shape.geometry(), weight_bits, act_bits, Encoding::kBipolar,
                         act_bits == 1 ? Encoding::kBipolar : Encoding::kUnipolar, 1, PadValue::kZero},
                seed) {}

ConvBench::ConvBench(const ConvCase& c, uint32_t seed) {
  const ConvGeometry& g = c.geometry;
  std::mt19937_64 rng(seed);
  const int weight_bits = c.weight_bits, act_bits = c.act_bits;
  auto random_codes = [&](int64_t rows, int channels, int bits, std::vector<uint64_t>* packed) {
    std::vector<uint8_t> codes(static_cast<size_t>(rows) * channels);
    for (uint8_t& q : codes) q = static_cast<uint8_t>(rng() & ((1u << bits) - 1));
    packed->assign(static_cast<size_t>(rows * packed_row_words(channels, bits)), 0);
    pack_codes(codes.data(), rows, channels, bits, packed->data());
  };
  random_codes(int64_t{g.in_h} * g.in_w, g.in_c, act_bits, &input_);
  random_codes(int64_t{g.out_c} * g.kernel_h * g.kernel_w, g.in_c / g.groups, weight_bits, &weights_);
  layer_.conv = {g, input_.data(), act_bits, c.act_encoding, weights_.data(), weight_bits, c.weight_encoding, c.pad_value};
  if (c.out_bits > 0) {
    thresholds_.assign(static_cast<size_t>(g.out_c) * ((1 << c.out_bits) - 1), 0);
    output_.assign(static_cast<size_t>(int64_t{g.out_h} * g.out_w * packed_row_words(g.out_c, c.out_bits)), 0);
    layer_.to_bits = {thresholds_.data(), nullptr, c.out_bits};
    layer_.out_packed = output_.data();
  } else {
    float_output_.assign(static_cast<size_t>(int64_t{g.out_h} * g.out_w * g.out_c), 0.0f);
    layer_.out_float = float_output_.data();
  }
}

Timing ConvBench::time(const BitserialConvKernel& kernel, int threads, GemmLoopSchedule loop,
                       std::optional<SplitAxis> axis, TimingBudget budget) const {
  const auto plan = bitserial_conv_prepare(kernel, layer_, loop);
  // Per-thread scratch slices aligned like the engine's (pointers live there).
  const size_t stride =
      (bitserial_conv_scratch_bytes(kernel, plan.get(), layer_.conv.geometry, layer_.conv.act_bits) + 63) / 64 * 64;
  std::vector<uint64_t> scratch_words(stride * threads / 8 + 8);
  uint8_t* scratch = reinterpret_cast<uint8_t*>(scratch_words.data());
  const ConvGeometry& g = layer_.conv.geometry;
  const int step = bitserial_conv_channel_step(kernel, layer_.out_packed != nullptr);
  ThreadPool pool(threads);
  return measure([&] {
    parallel_blocks(pool, g.out_h, g.out_c, bitserial_split_axis(threads, layer_.conv, step, axis), step, [&](int t, const OutputBlock& block) {
      bitserial_conv_run(kernel, plan.get(), layer_, block, scratch + t * stride);
    });
  }, budget.min_runs, budget.min_seconds);
}

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
