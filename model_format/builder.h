// SPDX-License-Identifier: Apache-2.0
// ModelBuilder: create a model in code. The converter, the tests and the
// examples build every model through it, so shapes are computed, weights are
// packed with the one packing function (kernels/bitpack.h) and the result is
// validated in one place.
//
//   bnn::ModelBuilder b;
//   int x = b.input("image", 32, 32, 3);
//   x = b.conv2d("conv1", x, 64, bnn::WindowSpec::square(3, 1, 1), weights, {scale, bias});
//   x = b.quantize("sign1", x, 1, bnn::Encoding::kBipolar, thresholds);
//   ...
//   b.set_output(b.softmax("prob", logits));
//   std::vector<uint8_t> file = b.finish();
//
// Every method returns the index of the tensor it creates and throws
// std::invalid_argument on arguments that cannot make a valid layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/types.h"
#include "model_format/schema.h"

namespace bnn {

struct WindowSpec {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;

  static WindowSpec square(int kernel, int stride = 1, int pad = 0, int dilation = 1) {
    return {kernel, kernel, stride, stride, pad, pad, pad, pad, dilation, dilation};
  }
};

struct ActivationSpec {
  ActivationKind kind = ActivationKind::kNone;
  std::vector<float> slope;      // [C]: PReLU, RPReLU
  std::vector<float> shift_in;   // [C]: RPReLU
  std::vector<float> shift_out;  // [C]: RPReLU
  float min_value = -1.0f, max_value = 1.0f;
};

// Float output: y = act(acc * scale + bias (+ residual)); empty vectors are absent.
struct FloatTransformSpec {
  std::vector<float> scale;
  std::vector<float> bias;
  int residual = -1;  // tensor index, or -1
  bool residual_after_activation = false;
  ActivationSpec activation;
};

// Packed output of a bitserial convolution: q = #{ l : dir * acc >= dir * T[c][l] }.
struct ThresholdSpec {
  int bits = 1;
  Encoding encoding = Encoding::kBipolar;
  std::vector<int32_t> thresholds;  // [C][2^bits - 1]
  std::vector<int8_t> direction;    // [C] of +1/-1, or empty for all +1
};

// Low-bit weights as codes (one byte each, < 2^bits), OHWI order.
struct CodeWeights {
  int bits = 1;
  Encoding encoding = Encoding::kBipolar;
  std::vector<uint8_t> codes;
};

class ModelBuilder {
 public:
  ModelBuilder();
  // Continues from an existing model file (validated first; throws
  // std::invalid_argument naming the problem): bnn-tune edits schedules so.
  static ModelBuilder from_bytes(const uint8_t* data, size_t size);

  int input(const std::string& name, int height, int width, int channels);

  int conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
             const std::vector<float>& weights_ohwi, const FloatTransformSpec& transform = {}, int groups = 1);

  // A float convolution run in 8-bit integers (Int8Conv2D, bnn.fbs): weights
  // int8 OHWI in [-127, 127], the input quantized to uint8 with `input`'s
  // scale and zero point; transform.scale must already hold the input scale x
  // each channel's weight scale.
  struct InputQuantization {
    float scale = 0.0f;
    int zero_point = 0;
  };
  int int8_conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                  const std::vector<int8_t>& weights_ohwi, InputQuantization quantization,
                  const FloatTransformSpec& transform);
  // Replaces Conv2D layer `layer` (groups 1) by an Int8Conv2D with the same
  // input, output, window, bias, residual and activation: its weight tensor
  // becomes `weights_ohwi` (INT8, in place) and its transform scale `scale`.
  void convert_to_int8(int layer, const std::vector<int8_t>& weights_ohwi, InputQuantization quantization,
                       const std::vector<float>& scale);

  // Float output. The input may be a vector (a 1x1 image, model_format/image_shape.h);
  // `vector_output` writes a 1x1 output as a vector [O] (a binarized dense layer).
  int bitserial_conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                       const CodeWeights& weights, const FloatTransformSpec& transform, int groups = 1,
                       PadValue pad_value = PadValue::kZero, bool vector_output = false);
  // Packed output through thresholds.
  int bitserial_conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                       const CodeWeights& weights, const ThresholdSpec& thresholds, int groups = 1,
                       PadValue pad_value = PadValue::kZero, bool vector_output = false);

  int quantize(const std::string& name, int input, int bits, Encoding encoding, const std::vector<float>& thresholds,
               const std::vector<float>& scale = {}, const std::vector<float>& bias = {});
  int batchnorm(const std::string& name, int input, const std::vector<float>& scale, const std::vector<float>& bias);
  int add(const std::string& name, int a, int b, const ActivationSpec& activation = {});
  int activation(const std::string& name, int input, const ActivationSpec& activation);
  int max_pool(const std::string& name, int input, const WindowSpec& window, bool ceil_mode = false);
  int avg_pool(const std::string& name, int input, const WindowSpec& window, bool count_include_pad = true,
               bool ceil_mode = false);
  int global_avg_pool(const std::string& name, int input);
  int dense(const std::string& name, int input, int out_features, const std::vector<float>& weights,
            const FloatTransformSpec& transform = {});
  int softmax(const std::string& name, int input, bool log = false);
  // Float tensors of one H x W (or vectors) along channels, with zero channels around them.
  int concat(const std::string& name, const std::vector<int>& inputs, int zeros_before = 0, int zeros_after = 0);

  void set_output(int tensor);
  void set_labels(const std::vector<std::string>& labels);
  void set_input_info(const fb::InputInfoT& info);
  void set_input_info(fb::ColorOrder color, const std::vector<float>& mean, const std::vector<float>& std);
  void set_description(const std::string& description);
  // The schedule of the layer that wrote `tensor` (tuning writes these).
  void set_schedule(int tensor, const fb::ScheduleT& schedule);

  // Folds "+ residual, then activation" into the float output transform of
  // the convolution that wrote `tensor`, so no separate Add pass runs. Only
  // when that layer is a Conv2D or BitserialConv2D with a float output and no
  // residual or activation yet, and `residual` is written before it. Returns
  // false, changing nothing, otherwise.
  bool fuse_residual(int tensor, int residual, const ActivationSpec& activation);

  const std::vector<int>& shape(int tensor) const;
  int layer_count() const { return static_cast<int>(model_.layers.size()); }

  // The model file with its constants checksum, validated; throws
  // std::invalid_argument if it is not valid.
  std::vector<uint8_t> finish();

  // The unpacked model, for tests that need to break it on purpose.
  fb::ModelT& raw() { return model_; }
  const fb::ModelT& model() const { return model_; }

 private:
  int add_tensor(const std::string& name, const std::vector<int>& shape, fb::ElementType type, int bits = 0,
                 Encoding encoding = Encoding::kBipolar);
  int add_constant(const std::string& name, const std::vector<int>& shape, fb::ElementType type,
                   const void* data, size_t bytes, int bits = 0, Encoding encoding = Encoding::kBipolar);
  int add_floats(const std::string& name, const std::vector<int>& shape, const std::vector<float>& values);
  int optional_floats(const std::string& name, int channels, const std::vector<float>& values);
  int add_code_weights(const std::string& name, const std::vector<int>& ohwi, const CodeWeights& weights);
  std::unique_ptr<fb::ActivationT> make_activation(const std::string& name, int channels, const ActivationSpec& a);
  std::unique_ptr<fb::OutputTransformT> make_float_transform(const std::string& name, int channels,
                                                             const FloatTransformSpec& t);
  std::vector<int> window_output(const std::string& name, int input, int out_channels, const WindowSpec& w,
                                 bool ceil_mode) const;
  fb::BitserialConv2DT bitserial_conv2d_base(const std::string& name, int input, int out_channels,
                                             const WindowSpec& window, const CodeWeights& weights, int groups,
                                             PadValue pad_value);
  std::vector<int> bitserial_output(const std::string& name, int input, int out_channels, const WindowSpec& w,
                                    bool vector_output) const;
  template <typename Options>
  int add_layer(const std::string& name, Options options, int output);

  fb::ModelT model_;
  std::vector<int> producer_of_;  // tensor -> layer index, or -1
};

}  // namespace bnn
