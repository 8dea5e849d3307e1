// SPDX-License-Identifier: Apache-2.0
// Each reference kernel against a naive computation on decoded values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "kernels/bitpack.h"
#include "kernels/output_transform.h"
#include "kernels/ref/bitserial_conv.h"
#include "kernels/ref/conv2d.h"
#include "kernels/ref/conv2d_int8.h"
#include "kernels/ref/dense.h"
#include "kernels/ref/elementwise.h"
#include "kernels/ref/pool.h"
#include "kernels/ref/quantize.h"
#include "kernels/registry.h"
#include "support/bitserial_conv_tester.h"
#include "support/naive.h"
#include "support/random.h"

namespace bnn {
namespace {

using test::make_geometry;

// The descriptors of a table whose ISA this CPU can run; the rest are skipped,
// and the first test case says which ran.
template <typename Kernel>
std::vector<const Kernel*> runnable(KernelTable<Kernel> table) {
  std::vector<const Kernel*> kernels;
  for (const Kernel& k : table) {
    if (isa_available(k.isa)) kernels.push_back(&k);
  }
  return kernels;
}

TEST_CASE("kernel tables: which descriptors run on this CPU") {
  std::string ran, skipped;
  auto note = [&](const char* name, Isa isa) {
    (isa_available(isa) ? ran : skipped) += std::string(" ") + name + " (" + isa_name(isa) + ")";
  };
  for (const auto& k : bitserial_conv_kernels()) note(k.name, k.isa);
  for (const auto& k : conv2d_kernels()) note(k.name, k.isa);
  for (const auto& k : int8_conv_kernels()) note(k.name, k.isa);
  for (const auto& k : quantize_kernels()) note(k.name, k.isa);
  for (const auto& k : dense_kernels()) note(k.name, k.isa);
  MESSAGE("kernels tested:" << ran << (skipped.empty() ? "" : "; skipped (ISA absent):" + skipped));
  CHECK(!ran.empty());
}

TEST_CASE("bitserial conv kernels: channels 1 3 63 65 100 x kernels 1 3 7 x strides 1 2 x pads 0 1 3 (W1A1)") {
  uint32_t seed = 100;
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    for (int channels : {1, 3, 63, 65, 100})
      for (int kernel : {1, 3, 7})
        for (int stride : {1, 2})
          for (int pad : {0, 1, 3}) {
            test::BitserialConvTester t;
            t.input(9, 8, channels).output_channels(5).kernel(kernel, kernel).stride(stride, stride);
            t.pads(pad, pad, pad, pad).seed(seed++);
            SUBCASE(t.name().c_str()) { t.test(*k); }
          }
  }
}

TEST_CASE("bitserial conv kernels: bit widths - encodings - -1 padding - groups - dilation - asymmetric windows") {
  const Encoding B = Encoding::kBipolar, U = Encoding::kUnipolar;
  std::vector<test::BitserialConvTester> cases;
  auto add = [&]() -> test::BitserialConvTester& { return cases.emplace_back().seed(200 + cases.size()); };
  add().input(8, 8, 64).output_channels(64).kernel(3, 3).pads(1, 1, 1, 1);                     // ResNet 3x3, one word
  add().input(9, 7, 65).output_channels(16).kernel(3, 3).stride(2, 2).pads(1, 1, 1, 1);        // a word and a bit
  add().input(6, 6, 128).output_channels(8).kernel(1, 1).stride(2, 2);                         // 1x1 downsample
  add().input(5, 5, 3).output_channels(4).kernel(7, 7).stride(2, 2).pads(3, 3, 3, 3);          // all border
  add().input(8, 8, 64).output_channels(16).kernel(3, 3).pads(1, 1, 1, 1).pad_value(PadValue::kMinusOne);
  add().input(7, 7, 100).output_channels(12).kernel(3, 3).pads(1, 1, 1, 1).bits(1, 2).encodings(B, U);  // DoReFa W1A2
  add().input(7, 7, 100).output_channels(12).kernel(3, 3).pads(1, 1, 1, 1).bits(2, 2).encodings(U, U);
  add().input(7, 7, 100).output_channels(12).kernel(3, 3).pads(1, 1, 1, 1).bits(2, 2).pad_value(PadValue::kMinusOne);
  add().input(6, 5, 130).output_channels(6).kernel(3, 3).pads(2, 2, 2, 2).dilation(2, 2).bits(4, 4).encodings(U, B);
  add().input(6, 6, 64).output_channels(8).kernel(3, 3).pads(1, 1, 1, 1).groups(2);            // 32 per group
  add().input(6, 6, 100).output_channels(10).kernel(3, 3).pads(1, 1, 1, 1).groups(5).bits(1, 2).encodings(B, U);
  add().input(7, 9, 33).output_channels(7).kernel(3, 1).stride(2, 1).pads(0, 1, 2, 0);         // ONNX-style asymmetric
  add().input(8, 6, 70).output_channels(3).kernel(1, 5).stride(1, 3).pads(1, 2, 0, 1).bits(3, 2).encodings(B, B);
  add().input(5, 9, 17).output_channels(9).kernel(2, 4).stride(3, 2).pads(0, 0, 1, 3).dilation(1, 2);
  add().input(1, 1, 200).output_channels(10).kernel(1, 1).bits(1, 1);                          // a binary dense layer
  // ResNet depths (2, 4, 8 words) at strides 1 and 2: the microkernels' constant-depth paths.
  add().input(6, 5, 128).output_channels(24).kernel(3, 3).stride(2, 2).pads(1, 1, 1, 1);
  add().input(6, 7, 256).output_channels(40).kernel(3, 3).pads(1, 1, 1, 1);
  add().input(7, 6, 256).output_channels(16).kernel(1, 1).stride(2, 2);
  add().input(5, 5, 512).output_channels(24).kernel(3, 3).pads(1, 1, 1, 1);
  add().input(5, 6, 512).output_channels(72).kernel(3, 3).stride(2, 2).pads(1, 1, 1, 1);
  // Rows wide enough for span calls (several full tiles clear of the side
  // borders, for every tile width), channel splits of a wide tile, and the
  // thresholds-on-S path of AND layers (mul 1 and 2) and multi-bit XOR.
  add().input(4, 75, 64).output_channels(40).kernel(3, 3).pads(1, 1, 1, 1);
  add().input(5, 150, 256).output_channels(72).kernel(3, 3).stride(2, 2).pads(1, 1, 1, 1);
  add().input(6, 56, 64).output_channels(64).kernel(3, 3).pads(1, 1, 1, 1).bits(2, 2);
  add().input(3, 50, 100).output_channels(12).kernel(1, 1).bits(2, 2).encodings(U, U);
  add().input(3, 50, 100).output_channels(20).kernel(1, 1).bits(2, 3).encodings(U, B);
  add().input(5, 52, 70).output_channels(33).kernel(3, 3).bits(3, 2).encodings(B, B);
  add().input(3, 50, 100).output_channels(20).kernel(1, 1).bits(1, 2).encodings(B, U);  // code sums: no spans
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    for (const test::BitserialConvTester& t : cases) {
      SUBCASE(t.name().c_str()) { t.test(*k); }
    }
  }
}

// Random cases over the whole parameter space, asymmetric windows included.
std::vector<test::BitserialConvTester> sample_cases(int count, uint32_t seed) {
  test::Random rng(seed);
  const int channels[] = {1, 2, 3, 7, 31, 63, 64, 65, 100, 127, 130};
  const int bit_combos[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 4}, {3, 2}, {4, 4}, {2, 3}};
  std::vector<test::BitserialConvTester> cases;
  while (static_cast<int>(cases.size()) < count) {
    test::BitserialConvTester t;
    const int in_c = channels[rng.uniform_int(0, 10)];
    int out_c = rng.uniform_int(1, 17);
    int groups = 1;
    if (rng.uniform_int(0, 4) == 0) {
      groups = in_c % 3 == 0 ? 3 : (in_c % 2 == 0 ? 2 : 1);
      out_c = groups * rng.uniform_int(1, 5);
    }
    const auto& bits = bit_combos[rng.uniform_int(0, 7)];
    const Encoding aenc = rng.uniform_int(0, 1) ? Encoding::kBipolar : Encoding::kUnipolar;
    t.input(rng.uniform_int(1, 10), rng.uniform_int(1, 10), in_c).output_channels(out_c).groups(groups);
    t.kernel(rng.uniform_int(1, 7), rng.uniform_int(1, 7)).stride(rng.uniform_int(1, 3), rng.uniform_int(1, 3));
    t.pads(rng.uniform_int(0, 3), rng.uniform_int(0, 3), rng.uniform_int(0, 3), rng.uniform_int(0, 3));
    t.dilation(rng.uniform_int(0, 3) ? 1 : 2, rng.uniform_int(0, 3) ? 1 : 2).bits(bits[0], bits[1]);
    t.encodings(rng.uniform_int(0, 1) ? Encoding::kBipolar : Encoding::kUnipolar, aenc);
    t.pad_value(aenc == Encoding::kBipolar && rng.uniform_int(0, 2) == 0 ? PadValue::kMinusOne : PadValue::kZero);
    t.seed(seed * 100000 + static_cast<uint32_t>(cases.size()));
    if (t.valid()) cases.push_back(t);
  }
  return cases;
}

TEST_CASE("bitserial conv kernels: sampled shape grid (fast tier)") {
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    for (const test::BitserialConvTester& t : sample_cases(100, 7)) {
      SUBCASE(t.name().c_str()) { t.test(*k); }
    }
  }
}

TEST_CASE("bitserial conv kernels: every loop schedule gives the same bits (outer tiles and loop order)") {
  // Outer tiles of one register tile, a few, more than the layer; channel
  // tiles of one block, two, all; on shapes with several row and channel blocks.
  const GemmLoopSchedule loops[] = {{0, 0},       {1, 1},        {24, 8},     {64, 16},       {1000, 0},
                                     {5, 24},      {24, 8, true}, {64, 0, true}, {1000, 16, true}};
  std::vector<test::BitserialConvTester> shapes = sample_cases(12, 11);
  shapes.push_back(test::BitserialConvTester().input(9, 11, 70).output_channels(40).kernel(3, 3).pads(1, 1, 1, 1));
  shapes.push_back(test::BitserialConvTester().input(4, 75, 64).output_channels(40).kernel(3, 3).pads(1, 1, 1, 1));
  shapes.push_back(test::BitserialConvTester().input(7, 7, 130).output_channels(72).kernel(3, 3).stride(2, 2)
                       .pads(1, 1, 1, 1).bits(2, 2));
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    if (k->reference()) continue;  // the reference has no loop schedule
    for (const test::BitserialConvTester& shape : shapes) {
      for (const GemmLoopSchedule& loop : loops) {
        test::BitserialConvTester t = shape;
        t.loop(loop);
        SUBCASE(t.name().c_str()) { t.test(*k); }
      }
    }
  }
}

TEST_CASE("bitserial microkernels: deep sums at the narrow-lane limits") {
  // Every count at its maximum (XOR of all-ones weights with zero
  // activations: 64 per word), over depths around the points where NEON's
  // byte (31 steps) and 16-bit (4080 steps; 4096 would overflow) lanes are
  // widened, one and four plane pairs, against the exact sum.
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    if (!k->ukernel) continue;
    for (const int depth : {30, 31, 32, 4079, 4080, 4081, 4095, 4096, 4097, 8200}) {
      for (const int bits : {1, 2}) {
        INFO(k->name << ", " << depth << " words, W" << bits << "A" << bits);
        BgemmUkernelArgs args;
        args.taps = depth % 2 == 0 ? 2 : 1;
        args.words = depth / args.taps;
        args.weight_bits = args.act_bits = bits;
        const std::vector<uint64_t> rows(static_cast<size_t>(bits) * args.words, 0);
        std::vector<const uint64_t*> ptrs(static_cast<size_t>(args.taps) * k->tile_px, rows.data());
        std::vector<uint64_t> w(static_cast<size_t>(args.taps) * bits * args.words * k->tile_oc, ~uint64_t{0});
        args.a = ptrs.data();
        args.w = w.data();
        std::vector<int32_t> got(static_cast<size_t>(k->tile_px) * k->tile_oc);
        int64_t expect = 0;
        for (int i = 0; i < bits; ++i) {
          for (int j = 0; j < bits; ++j) expect += (int64_t{64} * args.taps * args.words) << (i + j);
        }
        args.s = got.data();
        k->ukernel(args);
        for (int32_t v : got) REQUIRE(v == expect);
      }
    }
  }
}

TEST_CASE("direct microkernels: deep sums at the narrow-lane limits") {
  // As above, through the direct contract: every tap and pixel reads the
  // same zero words, and a float output with mul 1 and nothing added is S.
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    if (!k->direct) continue;
    for (const int depth : {30, 31, 32, 4079, 4080, 4081, 4095, 4096, 4097, 8200}) {
      for (const int bits : {1, 2}) {
        INFO(k->name << ", " << depth << " words, W" << bits << "A" << bits);
        BconvDirectArgs args;
        args.taps = depth % 2 == 0 ? 2 : 1;
        args.words = depth / args.taps;
        args.weight_bits = args.act_bits = bits;
        const std::vector<uint64_t> zeros(static_cast<size_t>(bits) * args.words, 0);
        const std::vector<int64_t> tap_offset(args.taps, 0);
        std::vector<uint64_t> w(static_cast<size_t>(args.taps) * bits * args.words * k->tile_oc, ~uint64_t{0});
        const std::vector<int32_t> channel_add(k->tile_oc, 0);
        std::vector<float> got(static_cast<size_t>(k->tile_px) * k->tile_oc, -1.0f);
        BconvDirectEpilogue e;
        e.mul = 1;
        e.out_c = e.oc_stride = k->tile_oc;
        e.channel_add = channel_add.data();
        e.pixels = k->tile_px;
        e.out_float = got.data();
        args.a = zeros.data();
        args.tap_offset = tap_offset.data();
        args.w = w.data();
        args.pixels = k->tile_px;
        args.e = &e;
        int64_t expect = 0;
        for (int i = 0; i < bits; ++i) {
          for (int j = 0; j < bits; ++j) expect += (int64_t{64} * args.taps * args.words) << (i + j);
        }
        k->direct(args);
        for (float v : got) REQUIRE(v == static_cast<float>(expect));
      }
    }
  }
}

TEST_CASE("bitserial conv kernels: sampled shape grid (full tier)" * doctest::test_suite("slow")) {
  // 2000 cases in 20 named chunks; each failure names its case.
  const std::vector<test::BitserialConvTester> cases = sample_cases(2000, 8);
  for (const BitserialConvKernel* k : runnable(bitserial_conv_kernels())) {
    for (size_t chunk = 0; chunk < cases.size(); chunk += 100) {
      SUBCASE(("cases " + std::to_string(chunk) + "-" + std::to_string(chunk + 99)).c_str()) {
        for (size_t i = chunk; i < chunk + 100; ++i) cases[i].test(*k);
      }
    }
  }
}

TEST_CASE("bitserial_conv2d_ref: fused float output (scale - bias - residual - activations)") {
  test::Random rng(22);
  const ConvGeometry g = make_geometry(5, 6, 40, 24, 3, 1, 1);
  const std::vector<uint8_t> x_codes = rng.codes(5 * 6 * 40, 2);
  const std::vector<uint8_t> w_codes = rng.codes(24 * 9 * 40, 1);
  std::vector<uint64_t> x(30 * packed_row_words(40, 2)), w(24 * 9 * packed_row_words(40, 1));
  pack_codes(x_codes.data(), 30, 40, 2, x.data());
  pack_codes(w_codes.data(), 24 * 9, 40, 1, w.data());
  const auto acc = test::naive_conv_hwc<int, int64_t>(g, test::code_values(x_codes, 2, Encoding::kUnipolar),
                                                       test::code_values(w_codes, 1, Encoding::kBipolar), 0);
  const std::vector<float> scale = rng.normals(24, 0.1f, 0.05f), bias = rng.normals(24);
  const std::vector<float> slope = rng.uniforms(24, 0.0f, 0.5f), shift_in = rng.normals(24), shift_out = rng.normals(24);
  const std::vector<float> residual = rng.normals(30 * 24);

  for (ActivationKind kind : {ActivationKind::kNone, ActivationKind::kRelu, ActivationKind::kPrelu,
                              ActivationKind::kRprelu, ActivationKind::kHardtanh}) {
    for (bool after : {false, true}) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(after);
      BitserialConvLayer layer;
      layer.conv.geometry = g;
      layer.conv.input = x.data();
      layer.conv.act_bits = 2;
      layer.conv.act_encoding = Encoding::kUnipolar;
      layer.conv.weights = w.data();
      layer.to_float.scale = scale.data();
      layer.to_float.bias = bias.data();
      layer.to_float.residual_after_activation = after;
      layer.to_float.activation = {kind, slope.data(), shift_in.data(), shift_out.data(), -0.5f, 0.75f};
      layer.residual = residual.data();
      std::vector<float> out(30 * 24);
      layer.out_float = out.data();
      std::vector<uint8_t> scratch(bitserial_conv2d_ref_scratch_bytes(g, 2));
      bitserial_conv2d_ref(layer, 0, g.out_h, scratch.data());
      for (size_t i = 0; i < out.size(); ++i) {
        const int c = static_cast<int>(i % 24);
        double y = double(acc[i]) * scale[c] + bias[c];
        auto act = [&](double v) {
          switch (kind) {
            case ActivationKind::kNone: return v;
            case ActivationKind::kRelu: return std::max(v, 0.0);
            case ActivationKind::kPrelu: return v >= 0 ? v : slope[c] * v;
            case ActivationKind::kRprelu: {
              const double s = v - shift_in[c];
              return (s >= 0 ? s : slope[c] * s) + shift_out[c];
            }
            case ActivationKind::kHardtanh: return std::min(std::max(v, -0.5), 0.75);
          }
          return v;
        };
        y = after ? act(y) + residual[i] : act(y + residual[i]);
        REQUIRE(out[i] == doctest::Approx(y).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("float conv kernels match a double-precision convolution - give the reference's bits (their rounding) - any row or channel split too") {
  struct Case { int h, w, c, o, kh, kw, sh, sw, pt, pl, pb, pr, d, groups; };
  const Case cases[] = {{9, 9, 3, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1},  {8, 7, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
                        {6, 6, 65, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1},  {7, 5, 6, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2, 3},
                        {5, 5, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 8},   {9, 6, 3, 2, 5, 5, 3, 3, 0, 0, 0, 0, 1, 1},
                        {7, 8, 5, 6, 3, 2, 2, 1, 0, 1, 2, 0, 1, 1},   {23, 29, 3, 20, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1},
                        // Channel counts past one, two and four 16-wide chunks, with tails.
                        {12, 19, 5, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {10, 21, 3, 70, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1},
                        {6, 17, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
                        // Pointwise: pixel blocks run on across row ends.
                        {5, 7, 33, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1}, {3, 9, 16, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
                        // Channel splits past every block width, with a tail.
                        {4, 7, 24, 136, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1}, {6, 5, 7, 100, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
                        {3, 4, 9, 200, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
                        // Dilated, ungrouped: every block skips taps pixel by pixel.
                        {9, 11, 5, 40, 3, 3, 1, 2, 2, 2, 2, 2, 2, 1}, {12, 13, 3, 20, 3, 3, 2, 1, 1, 3, 0, 2, 3, 1}};
  const std::vector<const Conv2DKernel*> kernels = runnable(conv2d_kernels());
  for (const Conv2DKernel* k : kernels) {
    test::Random rng(31);  // the same data for every kernel
    for (const Case& c : cases) {
      if (c.groups != 1 && !k->grouped) continue;
      ConvGeometry g;
      g.in_h = c.h, g.in_w = c.w, g.in_c = c.c, g.out_c = c.o, g.kernel_h = c.kh, g.kernel_w = c.kw;
      g.stride_h = c.sh, g.stride_w = c.sw, g.pad_top = c.pt, g.pad_left = c.pl, g.pad_bottom = c.pb, g.pad_right = c.pr;
      g.dilation_h = g.dilation_w = c.d, g.groups = c.groups;
      g.out_h = test::naive_extent(c.h, c.pt, c.pb, c.kh, c.sh, c.d);
      g.out_w = test::naive_extent(c.w, c.pl, c.pr, c.kw, c.sw, c.d);
      REQUIRE(g.out_h >= 1);
      REQUIRE(g.out_w >= 1);
      INFO(k->name << " " << c.h << "x" << c.w << "x" << c.c << "->" << c.o << " k" << c.kh << "x" << c.kw << " g" << c.groups);
      const std::vector<float> x = rng.normals(size_t(c.h) * c.w * c.c);
      const std::vector<float> w = rng.normals(size_t(c.o) * c.kh * c.kw * (c.c / c.groups));
      const std::vector<float> bias = rng.normals(c.o);
      const auto want = test::naive_conv_hwc<float, double>(g, x, w, 0.0f);
      std::vector<float> whole(size_t(g.out_h) * g.out_w * c.o), split(whole.size());
      Conv2DLayer layer;
      layer.geometry = g;
      layer.input = x.data();
      layer.weights = w.data();
      layer.transform.bias = bias.data();
      const std::vector<float> packed = k->prepare(layer);
      std::vector<uint8_t> scratch(std::max(k->scratch_bytes(g), kernels[0]->scratch_bytes(g)));
      // Whole, and split in halves by rows or in three at the kernel's
      // channel step (a middle block has channels on both sides).
      const int step = conv2d_channel_step(*k);
      std::vector<int> cuts = {0};
      if (step > 0) {
        for (int at = step; at < c.o && cuts.size() < 3; at += step * ((c.o / step + 2) / 3)) cuts.push_back(at);
      }
      cuts.push_back(c.o);
      auto run_split = [&](const Conv2DLayer& l, bool by_channels) {
        if (by_channels && cuts.size() > 2) {
          for (size_t b = 0; b + 1 < cuts.size(); ++b) {
            k->run(l, packed.data(), OutputBlock{0, g.out_h, cuts[b], cuts[b + 1]}, scratch.data());
          }
          return;
        }
        k->run(l, packed.data(), OutputBlock{0, g.out_h / 2, 0, c.o}, scratch.data());
        k->run(l, packed.data(), OutputBlock{g.out_h / 2, g.out_h, 0, c.o}, scratch.data());
      };
      layer.output = whole.data();
      k->run(layer, packed.data(), OutputBlock{0, g.out_h, 0, c.o}, scratch.data());
      for (bool by_channels : {false, true}) {
        std::fill(split.begin(), split.end(), -1.0f);
        layer.output = split.data();
        run_split(layer, by_channels);
        CHECK(std::memcmp(whole.data(), split.data(), whole.size() * sizeof(float)) == 0);
      }
      // Each block alone writes its own channels and no others (threads
      // write side by side): the rest keep their -1.
      for (size_t b = 0; cuts.size() > 2 && b + 1 < cuts.size(); ++b) {
        std::fill(split.begin(), split.end(), -1.0f);
        layer.output = split.data();
        k->run(layer, packed.data(), OutputBlock{0, g.out_h, cuts[b], cuts[b + 1]}, scratch.data());
        const float untouched = -1.0f;
        int wrong = 0;
        for (size_t i = 0; i < split.size(); ++i) {
          const int channel = static_cast<int>(i % c.o);
          const float& want_here = channel >= cuts[b] && channel < cuts[b + 1] ? whole[i] : untouched;
          wrong += std::memcmp(&split[i], &want_here, sizeof(float)) != 0;
        }
        INFO("block " << cuts[b] << ".." << cuts[b + 1]);
        CHECK(wrong == 0);
      }
      // One reduction order for every variant: the reference's exact bits,
      // with the variant's rounding (fused multiply-adds or not).
      INFO("rounding " << (k->rounding == FloatRounding::kFused ? "fused" : "separate"));
      std::vector<float> reference(whole.size());
      layer.output = reference.data();
      conv2d_ref(layer, 0, g.out_h, scratch.data(), k->rounding);
      CHECK(std::memcmp(whole.data(), reference.data(), whole.size() * sizeof(float)) == 0);
      for (size_t i = 0; i < whole.size(); ++i) {
        REQUIRE(whole[i] == doctest::Approx(want[i] + bias[i % c.o]).epsilon(1e-4).scale(1.0));
      }
      // The fused transform in every form the kernels treat apart: scale,
      // residual before or after the activation, ReLU in registers, PReLU
      // through the scalar path. The reference's bits, whole or split.
      const std::vector<float> scale = rng.normals(c.o), slope = rng.normals(c.o);
      const std::vector<float> residual = rng.normals(whole.size());
      for (int form = 0; form < 3; ++form) {
        INFO("transform form " << form);
        Conv2DLayer fused = layer;
        fused.transform.scale = form != 2 ? scale.data() : nullptr;
        fused.transform.bias = form != 1 ? bias.data() : nullptr;
        fused.residual = residual.data();
        fused.transform.residual_after_activation = form != 0;
        fused.transform.activation.kind = form == 1 ? ActivationKind::kPrelu : ActivationKind::kRelu;
        fused.transform.activation.slope = slope.data();
        fused.output = whole.data();
        k->run(fused, packed.data(), OutputBlock{0, g.out_h, 0, c.o}, scratch.data());
        fused.output = split.data();
        run_split(fused, form == 1);
        fused.output = reference.data();
        conv2d_ref(fused, 0, g.out_h, scratch.data(), k->rounding);
        CHECK(std::memcmp(whole.data(), reference.data(), whole.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(split.data(), reference.data(), whole.size() * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("quantize_ref: thresholds count - x >= 0 is +1 - -0 is +1 - NaN is code 0") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {-1.0f, -0.0f, 0.0f, 1e-30f, -1e-30f, nan, 5.0f};
  const std::vector<float> zero = {0.0f};
  std::vector<float> thresholds(1, 0.0f);
  for (const QuantizeKernel* k : runnable(quantize_kernels())) {
    INFO(k->name);
    std::vector<uint64_t> packed(x.size());
    k->run(x.data(), static_cast<int64_t>(x.size()), 1, nullptr, nullptr, thresholds.data(), 1, packed.data());
    const uint64_t want[] = {0, 1, 1, 1, 0, 0, 1};
    for (size_t i = 0; i < x.size(); ++i) CHECK(packed[i] == want[i]);
  }

  // Two bits with scale and bias: q = #{l : x * s + b >= t_l}.
  test::Random rng(41);
  const int channels = 67, rows = 5;
  const std::vector<float> data = rng.normals(rows * channels, 0.0f, 2.0f);
  const std::vector<float> scale = rng.normals(channels), bias = rng.normals(channels);
  std::vector<float> t(channels * 3);
  for (int c = 0; c < channels; ++c) {
    std::vector<float> three = rng.normals(3);
    std::sort(three.begin(), three.end());
    std::copy(three.begin(), three.end(), t.begin() + c * 3);
  }
  for (const QuantizeKernel* k : runnable(quantize_kernels())) {
    INFO(k->name);
    std::vector<uint64_t> out(rows * packed_row_words(channels, 2));
    k->run(data.data(), rows, channels, scale.data(), bias.data(), t.data(), 2, out.data());
    std::vector<uint8_t> codes(rows * channels);
    unpack_codes(out.data(), rows, channels, 2, codes.data());
    for (int i = 0; i < rows * channels; ++i) {
      const int c = i % channels;
      const float y = data[i] * scale[c] + bias[c];
      CHECK(codes[i] == (y >= t[c * 3]) + (y >= t[c * 3 + 1]) + (y >= t[c * 3 + 2]));
    }
  }
}

TEST_CASE("every quantize kernel gives the reference's bits - 1 and 2 bits - channel tails - scale and bias - NaN") {
  test::Random rng(43);
  for (int channels : {1, 7, 8, 16, 64, 67, 130}) {
    const int rows = 9;
    std::vector<float> data = rng.normals(rows * channels, 0.0f, 2.0f);
    data[3 % data.size()] = NAN;
    data[5 % data.size()] = -0.0f;
    const std::vector<float> scale = rng.normals(channels), bias = rng.normals(channels);
    std::vector<float> t = rng.normals(channels * 3);
    // One-bit thresholds that make the edge cases count: data[5] (-0) meets a
    // threshold of +0 (-0 >= 0 holds), and one channel's threshold is NaN.
    t[5 % channels] = 0.0f;
    if (channels > 5) t[1] = NAN;
    for (int bits : {1, 2}) {
      for (bool affine : {false, true}) {
        const float* s = affine ? scale.data() : nullptr;
        const float* b = affine ? bias.data() : nullptr;
        std::vector<uint64_t> want(rows * packed_row_words(channels, bits), ~0ull);
        quantize_ref(data.data(), rows, channels, s, b, t.data(), bits, want.data());
        for (const QuantizeKernel* k : runnable(quantize_kernels())) {
          INFO(k->name << " " << channels << " channels, " << bits << " bits, affine " << affine);
          std::vector<uint64_t> out(want.size(), ~0ull);  // every word must be written
          k->run(data.data(), rows, channels, s, b, t.data(), bits, out.data());
          CHECK(out == want);
        }
      }
    }
  }
}

TEST_CASE("max and average pooling match naive windows - padding and ceil-mode extents included") {
  test::Random rng(51);
  struct Case { int h, w, c, k, s, p; bool extra; };
  // `extra`: one more output row/column than the floor rule (PyTorch's ceil mode).
  for (const Case& pc : {Case{8, 8, 5, 2, 2, 0, false}, Case{9, 7, 3, 3, 2, 1, false}, Case{8, 8, 4, 3, 2, 0, true}, Case{8, 8, 3, 3, 2, 1, true},
                         Case{5, 6, 65, 3, 1, 1, false}, Case{6, 6, 2, 2, 2, 1, false}}) {
    ConvGeometry g = make_geometry(pc.h, pc.w, pc.c, pc.c, pc.k, pc.s, pc.p);
    if (pc.extra) {
      g.out_h += 1;
      g.out_w += 1;
    }
    const std::vector<float> x = rng.normals(size_t(pc.h) * pc.w * pc.c);
    std::vector<float> max_out(size_t(g.out_h) * g.out_w * pc.c), avg_in(max_out.size()), avg_ex(max_out.size());
    max_pool_float_ref(g, x.data(), max_out.data(), 0, g.out_h);
    avg_pool_float_ref(g, true, x.data(), avg_in.data(), 0, g.out_h);
    avg_pool_float_ref(g, false, x.data(), avg_ex.data(), 0, g.out_h);
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < pc.c; ++c) {
          float best = -INFINITY;
          double sum = 0;
          int valid = 0, padded = 0;
          for (int ky = 0; ky < pc.k; ++ky)
            for (int kx = 0; kx < pc.k; ++kx) {
              const int iy = oy * pc.s - pc.p + ky, ix = ox * pc.s - pc.p + kx;
              if (iy < pc.h + pc.p && ix < pc.w + pc.p) ++padded;  // inside the padded input
              if (iy < 0 || iy >= pc.h || ix < 0 || ix >= pc.w) continue;
              const float v = x[(size_t(iy) * pc.w + ix) * pc.c + c];
              best = std::max(best, v);
              sum += v;
              ++valid;
            }
          const size_t i = (size_t(oy) * g.out_w + ox) * pc.c + c;
          REQUIRE(max_out[i] == best);
          REQUIRE(avg_in[i] == doctest::Approx(sum / padded).epsilon(1e-5));
          REQUIRE(avg_ex[i] == doctest::Approx(sum / valid).epsilon(1e-5));
        }
  }
}

TEST_CASE("every float pooling kernel gives the reference's bits - channel tails - NaN - pads - dilation") {
  test::Random rng(57);
  struct Case { int h, w, c, k, s, p, d; bool extra; };
  const Case cases[] = {{8, 8, 5, 2, 2, 0, 1, false},   {9, 7, 64, 3, 2, 1, 1, false}, {8, 8, 17, 3, 2, 1, 1, true},
                        {7, 9, 67, 3, 1, 1, 1, false},  {6, 6, 1, 2, 2, 1, 1, false},  {9, 8, 33, 3, 2, 0, 2, false},
                        {12, 11, 128, 3, 2, 1, 1, true}, {10, 9, 70, 3, 1, 1, 2, false}};
  for (const Case& pc : cases) {
    ConvGeometry g = make_geometry(pc.h, pc.w, pc.c, pc.c, pc.k, pc.s, pc.p, pc.d);
    if (pc.d > 1) g.pad_top = 2, g.pad_right = 2;  // asymmetric
    g.out_h = test::naive_extent(pc.h, g.pad_top, g.pad_bottom, pc.k, pc.s, pc.d) + pc.extra;
    g.out_w = test::naive_extent(pc.w, g.pad_left, g.pad_right, pc.k, pc.s, pc.d) + pc.extra;
    std::vector<float> x = rng.normals(size_t(pc.h) * pc.w * pc.c);
    for (size_t i = 7; i < x.size(); i += 97) x[i] = NAN;  // NaN wins a max, spoils a sum
    for (size_t i = 3; i < x.size(); i += 29) x[i] = i % 2 ? 0.0f : -0.0f;  // equal maxima: the first tap's sign stays
    const size_t out_size = size_t(g.out_h) * g.out_w * pc.c;
    std::vector<float> want_max(out_size), want_in(out_size), want_ex(out_size), want_global(pc.c);
    max_pool_float_ref(g, x.data(), want_max.data(), 0, g.out_h);
    avg_pool_float_ref(g, true, x.data(), want_in.data(), 0, g.out_h);
    avg_pool_float_ref(g, false, x.data(), want_ex.data(), 0, g.out_h);
    global_avg_pool_ref(x.data(), int64_t{pc.h} * pc.w, pc.c, want_global.data());
    for (const PoolKernel* k : runnable(pool_kernels())) {
      INFO(k->name << " " << pc.h << "x" << pc.w << "x" << pc.c << " k" << pc.k << " s" << pc.s << " d" << pc.d);
      std::vector<float> max_out(out_size), avg_in(out_size), avg_ex(out_size), global(pc.c);
      // In two row ranges, as two threads run them.
      for (const auto& [begin, end] : {std::pair{0, g.out_h / 2}, std::pair{g.out_h / 2, g.out_h}}) {
        k->max_pool(g, x.data(), max_out.data(), begin, end);
        k->avg_pool(g, true, x.data(), avg_in.data(), begin, end);
        k->avg_pool(g, false, x.data(), avg_ex.data(), begin, end);
      }
      k->global_avg_pool(x.data(), int64_t{pc.h} * pc.w, pc.c, global.data());
      CHECK(std::memcmp(max_out.data(), want_max.data(), out_size * sizeof(float)) == 0);
      CHECK(std::memcmp(avg_in.data(), want_in.data(), out_size * sizeof(float)) == 0);
      CHECK(std::memcmp(avg_ex.data(), want_ex.data(), out_size * sizeof(float)) == 0);
      CHECK(std::memcmp(global.data(), want_global.data(), pc.c * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("max pooling with dilation and asymmetric pads matches naive windows") {
  test::Random rng(53);
  ConvGeometry g = make_geometry(9, 8, 3, 3, 3, 2, 0, 2);
  g.pad_top = 2, g.pad_left = 1, g.pad_bottom = 0, g.pad_right = 2;
  g.out_h = test::naive_extent(9, 2, 0, 3, 2, 2);
  g.out_w = test::naive_extent(8, 1, 2, 3, 2, 2);
  const std::vector<float> x = rng.normals(9 * 8 * 3);
  std::vector<float> out(size_t(g.out_h) * g.out_w * 3);
  max_pool_float_ref(g, x.data(), out.data(), 0, g.out_h);
  for (int oy = 0; oy < g.out_h; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int c = 0; c < 3; ++c) {
        float best = -INFINITY;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = oy * 2 - 2 + 2 * ky, ix = ox * 2 - 1 + 2 * kx;
            if (iy >= 0 && iy < 9 && ix >= 0 && ix < 8) best = std::max(best, x[(iy * 8 + ix) * 3 + c]);
          }
        REQUIRE(out[(oy * g.out_w + ox) * 3 + c] == best);
      }
}

TEST_CASE("max_pool_packed_ref takes the max code (OR for one bit) - ceil-mode extents included") {
  test::Random rng(52);
  for (int bits : {1, 2, 4}) {
    ConvGeometry g = make_geometry(7, 6, 70, 70, 3, 2, 1);
    g.out_w += 1;  // ceil mode: the last window starts at column 5, inside the input
    const std::vector<uint8_t> codes = rng.codes(7 * 6 * 70, bits);
    std::vector<uint64_t> in(42 * packed_row_words(70, bits)), out(g.out_h * g.out_w * packed_row_words(70, bits));
    pack_codes(codes.data(), 42, 70, bits, in.data());
    std::vector<uint8_t> scratch(max_pool_packed_ref_scratch_bytes(g));
    max_pool_packed_ref(g, bits, in.data(), out.data(), scratch.data());
    std::vector<uint8_t> got(g.out_h * g.out_w * 70);
    unpack_codes(out.data(), g.out_h * g.out_w, 70, bits, got.data());
    if (bits == 1) {  // the word-wise OR gives the same bits
      std::vector<uint64_t> ored(out.size(), ~uint64_t{0});
      max_pool_1bit_or(g, in.data(), ored.data());
      CHECK(ored == out);
    }
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < 70; ++c) {
          int best = 0;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
              if (iy >= 0 && iy < 7 && ix >= 0 && ix < 6) best = std::max<int>(best, codes[(iy * 6 + ix) * 70 + c]);
            }
          REQUIRE(got[(oy * g.out_w + ox) * 70 + c] == best);
        }
  }
}

TEST_CASE("global average pool - dense - softmax and the elementwise layers match double-precision math") {
  test::Random rng(61);
  const std::vector<float> x = rng.normals(7 * 5 * 33);
  std::vector<float> gap(33);
  global_avg_pool_ref(x.data(), 35, 33, gap.data());
  for (int c = 0; c < 33; ++c) {
    double sum = 0;
    for (int p = 0; p < 35; ++p) sum += x[p * 33 + c];
    CHECK(gap[c] == doctest::Approx(sum / 35).epsilon(1e-5));
  }

  const std::vector<float> w = rng.normals(10 * 33), bias = rng.normals(10);
  FloatTransform t;
  t.bias = bias.data();
  std::vector<float> logits(10), scratch(10), prob(10), other(10);
  const std::vector<const DenseKernel*> dense = runnable(dense_kernels());
  dense.front()->run(gap.data(), 33, w.data(), 10, t, logits.data(), scratch.data());
  for (const DenseKernel* k : dense) {  // one reduction order: every variant gives the same bits
    k->run(gap.data(), 33, w.data(), 10, t, other.data(), scratch.data());
    CHECK(std::memcmp(other.data(), logits.data(), sizeof(float) * 10) == 0);
  }
  double total = 0;
  for (int o = 0; o < 10; ++o) {
    double sum = bias[o];
    for (int i = 0; i < 33; ++i) sum += double(gap[i]) * w[o * 33 + i];
    CHECK(logits[o] == doctest::Approx(sum).epsilon(1e-5));
  }
  softmax_ref(logits.data(), 10, prob.data());
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  for (int o = 0; o < 10; ++o) total += std::exp(double(logits[o]) - max_logit);
  for (int o = 0; o < 10; ++o) CHECK(prob[o] == doctest::Approx(std::exp(double(logits[o]) - max_logit) / total).epsilon(1e-5));
  log_softmax_ref(logits.data(), 10, prob.data());
  for (int o = 0; o < 10; ++o) {
    CHECK(prob[o] == doctest::Approx(double(logits[o]) - max_logit - std::log(total)).epsilon(1e-5));
  }

  const std::vector<float> a = rng.normals(4 * 6), b = rng.normals(4 * 6), scale = rng.normals(6), shift = rng.normals(6);
  std::vector<float> y(24);
  batchnorm_ref(a.data(), 4, 6, scale.data(), shift.data(), y.data());
  for (int i = 0; i < 24; ++i) CHECK(y[i] == doctest::Approx(double(a[i]) * scale[i % 6] + shift[i % 6]));
  ActivationParams relu;
  relu.kind = ActivationKind::kRelu;
  add_ref(a.data(), b.data(), 4, 6, relu, y.data());
  for (int i = 0; i < 24; ++i) CHECK(y[i] == doctest::Approx(std::max(0.0, double(a[i]) + b[i])));
  ActivationParams hardtanh;
  hardtanh.kind = ActivationKind::kHardtanh;
  activation_ref(a.data(), 4, 6, hardtanh, y.data());
  for (int i = 0; i < 24; ++i) CHECK(y[i] == std::min(1.0f, std::max(-1.0f, a[i])));
}

TEST_CASE("concat_channels_ref: inputs side by side per row, zero channels around them") {
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8, 9, 10};  // 2 rows: 2 and 3 channels
  const float* inputs[] = {a.data(), b.data()};
  const int channels[] = {2, 3};
  std::vector<float> y(2 * 8, -1.0f);
  concat_channels_ref(inputs, channels, 2, 2, 1, 2, y.data());
  CHECK(y == std::vector<float>{0, 1, 2, 5, 6, 7, 0, 0, 0, 3, 4, 8, 9, 10, 0, 0});
}

}  // namespace
}  // namespace bnn

namespace bnn {
namespace {

TEST_CASE("int8 input quantization: round half to even, clamp to the uint8 codes, NaN is 0") {
  const float inf = std::numeric_limits<float>::infinity();
  const std::pair<float, int> cases[] = {{0.5f, 0},    {1.5f, 2},     {2.5f, 2},      {-0.5f, 0},      {-1.5f, -2},
                                         {-2.5f, -2},  {126.5f, 126}, {127.4f, 127},  {200.0f, 127},   {-200.0f, -128},
                                         {inf, 127},   {-inf, -128},  {0.49999997f, 0}, {-0.0f, 0},    {-127.5f, -128}};
  for (const auto& c : cases) {  // not a structured binding: clang 14 cannot capture one in INFO
    INFO(c.first);
    CHECK(quantize_input(c.first, 1.0f, 128) == c.second);
  }
  CHECK(quantize_input(std::numeric_limits<float>::quiet_NaN(), 1.0f, 128) == 0);
  CHECK(quantize_input(0.3f, 10.0f, 0) == 3);
  CHECK(quantize_input(-0.3f, 10.0f, 0) == 0);   // zero point 0: nothing below 0
  CHECK(quantize_input(300.0f, 1.0f, 0) == 255);
  CHECK(quantize_input(-300.0f, 1.0f, 255) == -255);
  test::Random rng(5);
  for (int zero_point : {0, 37, 128, 255}) {
    for (float x : rng.normals(10000)) {
      const float v = std::min(std::max(x * 90.0f, float(-zero_point)), float(255 - zero_point));
      REQUIRE(quantize_input(x, 90.0f, zero_point) == static_cast<int>(std::nearbyint(v)));
    }
  }
}

// Every int8 kernel against the reference (the same bits, whole or split by
// rows), and the reference against an exact integer sum.
TEST_CASE("int8 conv kernels give the reference's bits on odd shapes - borders - strides - channel tails") {
  struct Case { int h, w, c, o, kh, kw, sh, sw, pt, pl, pb, pr, d; };
  const Case cases[] = {{9, 9, 3, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1},     {8, 7, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                        {6, 6, 65, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1},    {7, 5, 6, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2},
                        {9, 6, 3, 2, 5, 5, 3, 3, 0, 0, 0, 0, 1},     {7, 8, 5, 6, 3, 2, 2, 1, 0, 1, 2, 0, 1},
                        {23, 29, 3, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1},  {10, 21, 3, 70, 7, 7, 2, 2, 3, 3, 3, 3, 1},
                        {12, 19, 5, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1},  {6, 17, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                        {5, 13, 2, 17, 3, 3, 1, 1, 0, 4, 0, 5, 1},   {3, 3, 7, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1},
                        {31, 33, 3, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},  {14, 14, 1, 24, 5, 5, 1, 1, 2, 2, 2, 2, 1}};
  const std::vector<const Int8ConvKernel*> kernels = runnable(int8_conv_kernels());
  for (const Int8ConvKernel* k : kernels) {
    test::Random rng(41);  // the same data for every kernel
    for (const Case& c : cases) {
      ConvGeometry g;
      g.in_h = c.h, g.in_w = c.w, g.in_c = c.c, g.out_c = c.o, g.kernel_h = c.kh, g.kernel_w = c.kw;
      g.stride_h = c.sh, g.stride_w = c.sw, g.pad_top = c.pt, g.pad_left = c.pl, g.pad_bottom = c.pb, g.pad_right = c.pr;
      g.dilation_h = g.dilation_w = c.d;
      g.out_h = test::naive_extent(c.h, c.pt, c.pb, c.kh, c.sh, c.d);
      g.out_w = test::naive_extent(c.w, c.pl, c.pr, c.kw, c.sw, c.d);
      REQUIRE(g.out_h >= 1);
      REQUIRE(g.out_w >= 1);
      INFO(k->name << " " << c.h << "x" << c.w << "x" << c.c << "->" << c.o << " k" << c.kh << "x" << c.kw << " s"
                   << c.sh << "x" << c.sw << " d" << c.d);
      std::vector<float> x = rng.normals(size_t(c.h) * c.w * c.c);
      x[0] = std::numeric_limits<float>::quiet_NaN();  // code 0
      x[x.size() / 2] = 1e30f;                          // clamped to 127
      if (x.size() > 2) x[1] = -std::numeric_limits<float>::infinity();
      std::vector<int8_t> w(size_t(c.o) * c.kh * c.kw * c.c);
      for (auto& v : w) v = static_cast<int8_t>(rng.uniform_int(-127, 127));
      w[0] = 127, w[1 % w.size()] = -127;
      const std::vector<float> scale = rng.normals(c.o), bias = rng.normals(c.o), slope = rng.normals(c.o);
      Int8ConvLayer layer;
      layer.geometry = g;
      layer.input = x.data();
      layer.weights = w.data();
      layer.input_multiplier = 1.0f / 0.01f;
      const int zero_points[] = {0, 255, 128, 77};  // the ends of the range too
      layer.input_zero_point = zero_points[(&c - cases) % 4];
      layer.transform.bias = bias.data();
      const auto plan = int8_conv_prepare(*k, layer);
      std::vector<uint8_t> scratch(std::max(int8_conv_scratch_bytes(*k, plan.get(), g),
                                            int8_conv_scratch_bytes(*kernels[0], nullptr, g)));
      const size_t n = size_t(g.out_h) * g.out_w * c.o;
      std::vector<float> whole(n), split(n), reference(n);
      layer.output = whole.data();
      int8_conv_run(*k, plan.get(), layer, 0, g.out_h, scratch.data());
      layer.output = split.data();
      int8_conv_run(*k, plan.get(), layer, 0, g.out_h / 2, scratch.data());
      int8_conv_run(*k, plan.get(), layer, g.out_h / 2, g.out_h, scratch.data());
      layer.output = reference.data();
      conv2d_int8_ref(layer, 0, g.out_h, scratch.data());
      CHECK(std::memcmp(whole.data(), reference.data(), n * sizeof(float)) == 0);
      CHECK(std::memcmp(split.data(), reference.data(), n * sizeof(float)) == 0);
      // The reference: an exact integer sum over the taps inside the input.
      for (int oy = 0; oy < g.out_h; ++oy)
        for (int ox = 0; ox < g.out_w; ++ox)
          for (int oc = 0; oc < c.o; ++oc) {
            int64_t sum = 0;
            for (int kh = 0; kh < c.kh; ++kh)
              for (int kw = 0; kw < c.kw; ++kw) {
                const int iy = oy * c.sh - c.pt + kh * c.d, ix = ox * c.sw - c.pl + kw * c.d;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                for (int ic = 0; ic < c.c; ++ic) {
                  const float lo = float(-layer.input_zero_point), hi = float(255 - layer.input_zero_point);
                  float v = x[(size_t(iy) * c.w + ix) * c.c + ic] * layer.input_multiplier;
                  v = v != v ? 0.0f : std::min(std::max(v, lo), hi);
                  sum += int64_t(std::nearbyint(v)) * w[((size_t(oc) * c.kh + kh) * c.kw + kw) * c.c + ic];
                }
              }
            const size_t i = (size_t(oy) * g.out_w + ox) * c.o + oc;
            REQUIRE(reference[i] == static_cast<float>(sum) + bias[oc]);
          }
      // The transform in every form the kernels treat apart.
      const std::vector<float> residual = rng.normals(n);
      for (int form = 0; form < 3; ++form) {
        INFO("transform form " << form);
        Int8ConvLayer fused = layer;
        fused.transform.scale = form != 2 ? scale.data() : nullptr;
        fused.transform.bias = form != 1 ? bias.data() : nullptr;
        fused.residual = residual.data();
        fused.transform.residual_after_activation = form != 0;
        fused.transform.activation.kind = form == 1 ? ActivationKind::kPrelu : ActivationKind::kRelu;
        fused.transform.activation.slope = slope.data();
        fused.output = whole.data();
        int8_conv_run(*k, plan.get(), fused, 0, g.out_h, scratch.data());
        fused.output = split.data();
        int8_conv_run(*k, plan.get(), fused, 0, g.out_h / 3, scratch.data());
        int8_conv_run(*k, plan.get(), fused, g.out_h / 3, g.out_h, scratch.data());
        fused.output = reference.data();
        conv2d_int8_ref(fused, 0, g.out_h, scratch.data());
        CHECK(std::memcmp(whole.data(), reference.data(), n * sizeof(float)) == 0);
        CHECK(std::memcmp(split.data(), reference.data(), n * sizeof(float)) == 0);
      }
    }
  }
}

}  // namespace
}  // namespace bnn
