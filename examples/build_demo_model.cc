// SPDX-License-Identifier: Apache-2.0
// Builds a small binarized ResNet with the C++ model builder and random
// weights, writes it as a .bnn file and a random input image as .npy:
//
//   build-demo-model demo.bnn demo_input.npy
//   bnn-run --info demo.bnn
//   bnn-run --model demo.bnn --input demo_input.npy --output demo_output.npy
//
// The network is in the Bi-Real-Net idiom: a full-precision first conv, then
// binary 3x3 convs (1-bit weights and activations) with real-valued shortcuts,
// a 2-bit stage, global pooling and a dense head.
#include <cstdio>
#include <random>
#include <vector>

#include "apps/common/npy.h"
#include "model_format/builder.h"
#include "model_format/output_file.h"

namespace {

std::mt19937 rng(2026);

std::vector<float> normal(size_t n, float stddev, float mean = 0.0f) {
  std::normal_distribution<float> d(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

bnn::CodeWeights random_codes(size_t n, int bits) {
  std::uniform_int_distribution<int> d(0, (1 << bits) - 1);
  bnn::CodeWeights w;
  w.bits = bits;
  w.codes.resize(n);
  for (uint8_t& q : w.codes) q = static_cast<uint8_t>(d(rng));
  return w;
}

// sign(x) -> binary conv 3x3 -> per-channel scale/bias -> + x: one Bi-Real block.
int birealblock(bnn::ModelBuilder& b, const std::string& name, int x, int bits) {
  const int channels = b.shape(x)[2];
  const int levels = (1 << bits) - 1;
  std::vector<float> thresholds;
  for (int c = 0; c < channels; ++c)
    for (int l = 0; l < levels; ++l) thresholds.push_back(levels == 1 ? 0.0f : (l + 0.5f) / levels);
  const int q = b.quantize(name + ".sign", x, bits, bits == 1 ? bnn::Encoding::kBipolar : bnn::Encoding::kUnipolar,
                           thresholds);
  bnn::FloatTransformSpec t;
  t.scale = normal(channels, 0.01f, 0.05f);
  t.bias = normal(channels, 0.1f);
  t.residual = x;
  return b.bitserial_conv2d(name + ".conv", q, channels, bnn::WindowSpec::square(3, 1, 1),
                            random_codes(size_t(channels) * 9 * channels, bits), t);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: build-demo-model MODEL.bnn INPUT.npy\n");
    return 2;
  }
  bnn::ModelBuilder b;
  int x = b.input("image", 32, 32, 3);
  bnn::FloatTransformSpec stem;
  stem.scale = normal(32, 0.1f, 1.0f);
  stem.bias = normal(32, 0.1f);
  stem.activation.kind = bnn::ActivationKind::kRelu;
  x = b.conv2d("stem", x, 32, bnn::WindowSpec::square(3, 1, 1), normal(32 * 3 * 3 * 3, 0.3f), stem);
  x = b.max_pool("pool", x, bnn::WindowSpec::square(2, 2, 0));
  x = birealblock(b, "stage1.block1", x, 1);
  x = birealblock(b, "stage1.block2", x, 1);
  x = birealblock(b, "stage2.block1", x, 2);
  x = b.global_avg_pool("gap", x);
  bnn::FloatTransformSpec head;
  head.bias = normal(10, 0.1f);
  x = b.dense("fc", x, 10, normal(10 * 32, 0.3f), head);
  b.set_output(b.softmax("prob", x));
  b.set_labels({"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"});
  b.set_input_info(bnn::fb::ColorOrder::RGB, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f});
  b.set_description("demo: a small Bi-Real-style binarized ResNet with random weights (examples/build_demo_model.cc)");
  try {
    bnn::write_file(argv[1], b.finish());
    const std::vector<float> image = normal(3 * 32 * 32, 1.0f);
    bnn::write_npy(argv[2], {1, 3, 32, 32}, image.data());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "build-demo-model: error: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s and %s\n", argv[1], argv[2]);
  return 0;
}
