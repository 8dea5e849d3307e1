// SPDX-License-Identifier: Apache-2.0
#include "model_format/builder.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernels/bitpack.h"
#include "kernels/conv_geometry.h"
#include "model_format/checksum.h"
#include "model_format/image_shape.h"
#include "model_format/limits.h"
#include "model_format/validate.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bnn model buffers are little-endian; this builder copies host memory"
#endif

namespace bnn {
namespace {

[[noreturn]] void invalid(const std::string& layer, const std::string& message) {
  throw std::invalid_argument(layer + ": " + message);
}

fb::Encoding to_fb(Encoding e) { return e == Encoding::kBipolar ? fb::Encoding::BIPOLAR : fb::Encoding::UNIPOLAR; }

fb::ActivationKind to_fb(ActivationKind k) {
  switch (k) {
    case ActivationKind::kNone: return fb::ActivationKind::NONE;
    case ActivationKind::kRelu: return fb::ActivationKind::RELU;
    case ActivationKind::kPrelu: return fb::ActivationKind::PRELU;
    case ActivationKind::kRprelu: return fb::ActivationKind::RPRELU;
    case ActivationKind::kHardtanh: return fb::ActivationKind::HARDTANH;
  }
  return fb::ActivationKind::NONE;
}

std::unique_ptr<fb::WindowT> make_window(const WindowSpec& w) {
  auto t = std::make_unique<fb::WindowT>();
  t->kernel_h = w.kernel_h;
  t->kernel_w = w.kernel_w;
  t->stride_h = w.stride_h;
  t->stride_w = w.stride_w;
  t->pad_top = w.pad_top;
  t->pad_left = w.pad_left;
  t->pad_bottom = w.pad_bottom;
  t->pad_right = w.pad_right;
  t->dilation_h = w.dilation_h;
  t->dilation_w = w.dilation_w;
  return t;
}

}  // namespace

ModelBuilder::ModelBuilder() {
  model_.schema_version = kSchemaVersion;
  model_.producer = "bnn-engine model builder";
}

int ModelBuilder::add_tensor(const std::string& name, const std::vector<int>& shape, fb::ElementType type, int bits,
                             Encoding encoding) {
  auto t = std::make_unique<fb::TensorT>();
  t->name = name;
  t->shape = shape;
  t->type = type;
  t->bits = static_cast<uint8_t>(bits);
  t->encoding = to_fb(encoding);
  model_.tensors.push_back(std::move(t));
  producer_of_.push_back(-1);
  return static_cast<int>(model_.tensors.size()) - 1;
}

int ModelBuilder::add_constant(const std::string& name, const std::vector<int>& shape, fb::ElementType type,
                               const void* data, size_t bytes, int bits, Encoding encoding) {
  const int index = add_tensor(name, shape, type, bits, encoding);
  auto buffer = std::make_unique<fb::BufferT>();
  buffer->data.resize(bytes);
  if (bytes) std::memcpy(buffer->data.data(), data, bytes);
  model_.buffers.push_back(std::move(buffer));
  model_.tensors[index]->buffer = static_cast<int>(model_.buffers.size()) - 1;
  return index;
}

int ModelBuilder::add_floats(const std::string& name, const std::vector<int>& shape, const std::vector<float>& values) {
  int64_t count = 1;
  for (int d : shape) count *= d;
  if (static_cast<int64_t>(values.size()) != count) {
    invalid(name, "expected " + std::to_string(count) + " values, got " + std::to_string(values.size()));
  }
  return add_constant(name, shape, fb::ElementType::FLOAT32, values.data(), values.size() * sizeof(float));
}

int ModelBuilder::optional_floats(const std::string& name, int channels, const std::vector<float>& values) {
  return values.empty() ? -1 : add_floats(name, {channels}, values);
}

int ModelBuilder::add_code_weights(const std::string& name, const std::vector<int>& ohwi, const CodeWeights& w) {
  const int64_t rows = int64_t{ohwi[0]} * ohwi[1] * ohwi[2];
  const int channels = ohwi[3];
  if (w.bits < 1 || w.bits > kMaxBits) invalid(name, "weight bits must be 1 to " + std::to_string(kMaxBits));
  if (static_cast<int64_t>(w.codes.size()) != rows * channels) {
    invalid(name, "expected " + std::to_string(rows * channels) + " weight codes, got " + std::to_string(w.codes.size()));
  }
  for (uint8_t q : w.codes) {
    if (q >> w.bits) invalid(name, "weight code " + std::to_string(q) + " does not fit " + std::to_string(w.bits) + " bits");
  }
  std::vector<uint64_t> packed(rows * packed_row_words(channels, w.bits));
  pack_codes(w.codes.data(), rows, channels, w.bits, packed.data());
  return add_constant(name, ohwi, fb::ElementType::PACKED, packed.data(), packed.size() * sizeof(uint64_t), w.bits,
                      w.encoding);
}

std::unique_ptr<fb::ActivationT> ModelBuilder::make_activation(const std::string& name, int channels,
                                                               const ActivationSpec& a) {
  auto t = std::make_unique<fb::ActivationT>();
  t->kind = to_fb(a.kind);
  t->slope = optional_floats(name + ".slope", channels, a.slope);
  t->shift_in = optional_floats(name + ".shift_in", channels, a.shift_in);
  t->shift_out = optional_floats(name + ".shift_out", channels, a.shift_out);
  t->min_value = a.min_value;
  t->max_value = a.max_value;
  return t;
}

std::unique_ptr<fb::OutputTransformT> ModelBuilder::make_float_transform(const std::string& name, int channels,
                                                                         const FloatTransformSpec& s) {
  auto t = std::make_unique<fb::OutputTransformT>();
  t->scale = optional_floats(name + ".scale", channels, s.scale);
  t->bias = optional_floats(name + ".bias", channels, s.bias);
  t->residual = s.residual;
  t->residual_position =
      s.residual_after_activation ? fb::ResidualPosition::AFTER_ACTIVATION : fb::ResidualPosition::BEFORE_ACTIVATION;
  t->activation = make_activation(name, channels, s.activation);
  return t;
}

std::vector<int> ModelBuilder::window_output(const std::string& name, int input, int out_channels,
                                             const WindowSpec& w, bool ceil_mode) const {
  const std::vector<int>& in = shape(input);
  if (in.size() != 3) invalid(name, "input must be [H, W, C]");
  std::vector<int> out = {
      static_cast<int>(pool_output_extent(in[0], w.pad_top, w.pad_bottom, w.kernel_h, w.stride_h, w.dilation_h, ceil_mode)),
      static_cast<int>(pool_output_extent(in[1], w.pad_left, w.pad_right, w.kernel_w, w.stride_w, w.dilation_w, ceil_mode)),
      out_channels};
  if (out[0] < 1 || out[1] < 1) invalid(name, "the window does not fit the input");
  return out;
}

template <typename Options>
int ModelBuilder::add_layer(const std::string& name, Options options, int output) {
  auto layer = std::make_unique<fb::LayerT>();
  layer->name = name;
  layer->options.Set(std::move(options));
  model_.layers.push_back(std::move(layer));
  producer_of_[output] = static_cast<int>(model_.layers.size()) - 1;
  return output;
}

int ModelBuilder::input(const std::string& name, int height, int width, int channels) {
  const int index = add_tensor(name, {height, width, channels}, fb::ElementType::FLOAT32);
  model_.inputs = {index};
  return index;
}

int ModelBuilder::conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                         const std::vector<float>& weights, const FloatTransformSpec& transform, int groups) {
  const int in_c = shape(input).at(2);
  if (groups < 1 || in_c % groups != 0) invalid(name, "groups must divide the input channels");
  fb::Conv2DT l;
  l.input = input;
  l.weights = add_floats(name + ".weights", {out_channels, window.kernel_h, window.kernel_w, in_c / groups}, weights);
  l.window = make_window(window);
  l.groups = groups;
  l.transform = make_float_transform(name, out_channels, transform);
  l.output = add_tensor(name, window_output(name, input, out_channels, window, false), fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::int8_conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                              const std::vector<int8_t>& weights, InputQuantization quantization,
                              const FloatTransformSpec& transform) {
  const int in_c = shape(input).at(2);
  const std::vector<int> ohwi = {out_channels, window.kernel_h, window.kernel_w, in_c};
  const int64_t count = int64_t{out_channels} * window.kernel_h * window.kernel_w * in_c;
  if (static_cast<int64_t>(weights.size()) != count) {
    invalid(name, "expected " + std::to_string(count) + " int8 weights, got " + std::to_string(weights.size()));
  }
  fb::Int8Conv2DT l;
  l.input = input;
  l.weights = add_constant(name + ".weights", ohwi, fb::ElementType::INT8, weights.data(), weights.size());
  l.window = make_window(window);
  l.input_scale = quantization.scale;
  l.input_zero_point = quantization.zero_point;
  l.transform = make_float_transform(name, out_channels, transform);
  l.output = add_tensor(name, window_output(name, input, out_channels, window, false), fb::ElementType::FLOAT32);
  model_.schema_version = kSchemaVersion;
  return add_layer(name, std::move(l), l.output);
}

void ModelBuilder::convert_to_int8(int layer, const std::vector<int8_t>& weights, InputQuantization quantization,
                                   const std::vector<float>& scale) {
  if (layer < 0 || layer >= layer_count() || !model_.layers[layer]->options.AsConv2D()) {
    throw std::invalid_argument("convert_to_int8: layer " + std::to_string(layer) + " is not a Conv2D");
  }
  fb::LayerT& l = *model_.layers[layer];
  fb::Conv2DT& conv = *l.options.AsConv2D();
  if (conv.groups != 1) invalid(l.name, "an int8 convolution has groups 1");
  fb::TensorT& w = *model_.tensors.at(conv.weights);
  int64_t count = 1;
  for (int d : w.shape) count *= d;
  if (static_cast<int64_t>(weights.size()) != count) {
    invalid(l.name, "expected " + std::to_string(count) + " int8 weights, got " + std::to_string(weights.size()));
  }
  const int channels = w.shape.at(0);
  if (static_cast<int>(scale.size()) != channels) invalid(l.name, "expected a scale per output channel");
  w.type = fb::ElementType::INT8;
  model_.buffers.at(w.buffer)->data.assign(reinterpret_cast<const uint8_t*>(weights.data()),
                                           reinterpret_cast<const uint8_t*>(weights.data()) + weights.size());
  fb::Int8Conv2DT q;
  q.input = conv.input;
  q.weights = conv.weights;
  q.output = conv.output;
  q.window = std::move(conv.window);
  q.input_scale = quantization.scale;
  q.input_zero_point = quantization.zero_point;
  q.transform = conv.transform ? std::move(conv.transform) : std::make_unique<fb::OutputTransformT>();
  if (q.transform->scale >= 0) {
    model_.buffers.at(model_.tensors.at(q.transform->scale)->buffer)
        ->data.assign(reinterpret_cast<const uint8_t*>(scale.data()),
                      reinterpret_cast<const uint8_t*>(scale.data()) + scale.size() * sizeof(float));
  } else {
    q.transform->scale = add_floats(l.name + ".scale", {channels}, scale);
  }
  l.options.Set(std::move(q));
  model_.schema_version = kSchemaVersion;
}

std::vector<int> ModelBuilder::bitserial_output(const std::string& name, int input, int out_channels,
                                                const WindowSpec& w, bool vector_output) const {
  const ImageDims in = image_dims(shape(input));
  if (in.c == 0) invalid(name, "input must be [H, W, C] or a vector [C]");
  const std::vector<int> out = {
      static_cast<int>(pool_output_extent(in.h, w.pad_top, w.pad_bottom, w.kernel_h, w.stride_h, w.dilation_h, false)),
      static_cast<int>(pool_output_extent(in.w, w.pad_left, w.pad_right, w.kernel_w, w.stride_w, w.dilation_w, false)),
      out_channels};
  if (out[0] < 1 || out[1] < 1) invalid(name, "the window does not fit the input");
  if (!vector_output) return out;
  if (out[0] != 1 || out[1] != 1) invalid(name, "a vector output needs a 1x1 output");
  return {out_channels};
}

fb::BitserialConv2DT ModelBuilder::bitserial_conv2d_base(const std::string& name, int input, int out_channels,
                                                        const WindowSpec& window, const CodeWeights& weights,
                                                        int groups, PadValue pad_value) {
  const int in_c = shape(input).back();
  if (groups < 1 || in_c % groups != 0) invalid(name, "groups must divide the input channels");
  fb::BitserialConv2DT l;
  l.input = input;
  l.weights = add_code_weights(name + ".weights", {out_channels, window.kernel_h, window.kernel_w, in_c / groups}, weights);
  l.window = make_window(window);
  l.groups = groups;
  l.pad_value = pad_value == PadValue::kZero ? fb::PadValue::ZERO : fb::PadValue::MINUS_ONE;
  return l;
}

int ModelBuilder::bitserial_conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                                   const CodeWeights& weights, const FloatTransformSpec& transform, int groups,
                                   PadValue pad_value, bool vector_output) {
  fb::BitserialConv2DT l = bitserial_conv2d_base(name, input, out_channels, window, weights, groups, pad_value);
  l.transform = make_float_transform(name, out_channels, transform);
  l.output = add_tensor(name, bitserial_output(name, input, out_channels, window, vector_output), fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::bitserial_conv2d(const std::string& name, int input, int out_channels, const WindowSpec& window,
                                   const CodeWeights& weights, const ThresholdSpec& thresholds, int groups,
                                   PadValue pad_value, bool vector_output) {
  const int levels = (1 << thresholds.bits) - 1;
  if (static_cast<int64_t>(thresholds.thresholds.size()) != int64_t{out_channels} * levels) {
    invalid(name, "expected " + std::to_string(out_channels * levels) + " thresholds");
  }
  fb::BitserialConv2DT l = bitserial_conv2d_base(name, input, out_channels, window, weights, groups, pad_value);
  l.transform = std::make_unique<fb::OutputTransformT>();
  l.transform->thresholds = add_constant(name + ".thresholds", {out_channels, levels}, fb::ElementType::INT32,
                                         thresholds.thresholds.data(), thresholds.thresholds.size() * 4);
  if (!thresholds.direction.empty()) {
    if (static_cast<int>(thresholds.direction.size()) != out_channels) invalid(name, "expected one direction per channel");
    l.transform->direction = add_constant(name + ".direction", {out_channels}, fb::ElementType::INT8,
                                          thresholds.direction.data(), thresholds.direction.size());
  }
  l.output = add_tensor(name, bitserial_output(name, input, out_channels, window, vector_output),
                        fb::ElementType::PACKED, thresholds.bits, thresholds.encoding);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::quantize(const std::string& name, int input, int bits, Encoding encoding,
                           const std::vector<float>& thresholds, const std::vector<float>& scale,
                           const std::vector<float>& bias) {
  const std::vector<int> in = shape(input);
  const int channels = in.back();
  if (bits < 1 || bits > kMaxBits) invalid(name, "bits must be 1 to " + std::to_string(kMaxBits));
  fb::QuantizeT l;
  l.input = input;
  l.thresholds = add_floats(name + ".thresholds", {channels, (1 << bits) - 1}, thresholds);
  l.scale = optional_floats(name + ".scale", channels, scale);
  l.bias = optional_floats(name + ".bias", channels, bias);
  l.output = add_tensor(name, in, fb::ElementType::PACKED, bits, encoding);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::batchnorm(const std::string& name, int input, const std::vector<float>& scale,
                            const std::vector<float>& bias) {
  const std::vector<int> in = shape(input);
  fb::BatchNormT l;
  l.input = input;
  l.scale = add_floats(name + ".scale", {in.back()}, scale);
  l.bias = add_floats(name + ".bias", {in.back()}, bias);
  l.output = add_tensor(name, in, fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::add(const std::string& name, int a, int b, const ActivationSpec& activation) {
  const std::vector<int> in = shape(a);
  if (shape(b) != in) invalid(name, "inputs must have the same shape");
  fb::AddT l;
  l.a = a;
  l.b = b;
  l.activation = make_activation(name, in.back(), activation);
  l.output = add_tensor(name, in, fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::activation(const std::string& name, int input, const ActivationSpec& activation) {
  const std::vector<int> in = shape(input);
  fb::ActivationLayerT l;
  l.input = input;
  l.activation = make_activation(name, in.back(), activation);
  l.output = add_tensor(name, in, fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::max_pool(const std::string& name, int input, const WindowSpec& window, bool ceil_mode) {
  const fb::TensorT& in = *model_.tensors.at(input);
  fb::Pool2DT l;
  l.input = input;
  l.kind = fb::PoolKind::MAXIMUM;
  l.window = make_window(window);
  l.output = add_tensor(name, window_output(name, input, in.shape.at(2), window, ceil_mode), in.type, in.bits,
                        in.encoding == fb::Encoding::BIPOLAR ? Encoding::kBipolar : Encoding::kUnipolar);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::avg_pool(const std::string& name, int input, const WindowSpec& window, bool count_include_pad,
                           bool ceil_mode) {
  fb::Pool2DT l;
  l.input = input;
  l.kind = fb::PoolKind::AVERAGE;
  l.window = make_window(window);
  l.count_include_pad = count_include_pad;
  l.output = add_tensor(name, window_output(name, input, shape(input).at(2), window, ceil_mode), fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::global_avg_pool(const std::string& name, int input) {
  fb::GlobalAvgPoolT l;
  l.input = input;
  l.output = add_tensor(name, {shape(input).at(2)}, fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::dense(const std::string& name, int input, int out_features, const std::vector<float>& weights,
                        const FloatTransformSpec& transform) {
  int in_features = 1;
  for (int d : shape(input)) in_features *= d;
  fb::DenseT l;
  l.input = input;
  l.weights = add_floats(name + ".weights", {out_features, in_features}, weights);
  l.transform = make_float_transform(name, out_features, transform);
  l.output = add_tensor(name, {out_features}, fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::softmax(const std::string& name, int input, bool log) {
  fb::SoftmaxT l;
  l.input = input;
  l.log = log;
  l.output = add_tensor(name, shape(input), fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

int ModelBuilder::concat(const std::string& name, const std::vector<int>& inputs, int zeros_before, int zeros_after) {
  if (inputs.empty() || inputs.size() > 256) invalid(name, "concat needs 1 to 256 inputs");
  std::vector<int> out = shape(inputs[0]);
  int64_t channels = int64_t{zeros_before} + zeros_after;
  for (int input : inputs) {
    const std::vector<int>& s = shape(input);
    if (s.size() != out.size() || !std::equal(s.begin(), s.end() - 1, out.begin())) {
      invalid(name, "concat inputs must share every dimension but channels");
    }
    if (model_.tensors.at(input)->type != fb::ElementType::FLOAT32) invalid(name, "concat inputs must be float");
    channels += s.back();
  }
  if (zeros_before < 0 || zeros_after < 0 || channels > limits::kMaxChannels) invalid(name, "bad channel count");
  out.back() = static_cast<int>(channels);
  fb::ConcatT l;
  l.inputs = inputs;
  l.zeros_before = zeros_before;
  l.zeros_after = zeros_after;
  l.output = add_tensor(name, out, fb::ElementType::FLOAT32);
  return add_layer(name, std::move(l), l.output);
}

void ModelBuilder::set_output(int tensor) {
  shape(tensor);
  model_.outputs = {tensor};
}

void ModelBuilder::set_labels(const std::vector<std::string>& labels) { model_.labels = labels; }

void ModelBuilder::set_input_info(const fb::InputInfoT& info) {
  model_.input_info = std::make_unique<fb::InputInfoT>(info);
}

void ModelBuilder::set_input_info(fb::ColorOrder color, const std::vector<float>& mean, const std::vector<float>& std) {
  fb::InputInfoT info;
  info.color = color;
  info.mean = mean;
  info.std = std;
  set_input_info(info);
}

void ModelBuilder::set_description(const std::string& description) { model_.description = description; }

void ModelBuilder::set_schedule(int tensor, const fb::ScheduleT& schedule) {
  const int layer = producer_of_.at(tensor);
  if (layer < 0) throw std::invalid_argument("set_schedule: no layer writes tensor " + std::to_string(tensor));
  model_.layers[layer]->schedule = std::make_unique<fb::ScheduleT>(schedule);
}

bool ModelBuilder::fuse_residual(int tensor, int residual, const ActivationSpec& activation) {
  shape(tensor);
  shape(residual);
  const int layer = producer_of_[tensor];
  if (layer < 0 || producer_of_[residual] >= layer || model_.tensors[residual]->buffer != -1) return false;
  if (model_.tensors[tensor]->type != fb::ElementType::FLOAT32 || shape(tensor) != shape(residual)) return false;
  fb::LayerT& l = *model_.layers[layer];
  std::unique_ptr<fb::OutputTransformT>* transform = nullptr;
  if (auto* conv = l.options.AsConv2D()) transform = &conv->transform;
  if (auto* conv = l.options.AsBitserialConv2D()) transform = &conv->transform;
  if (!transform) return false;
  if (!*transform) *transform = std::make_unique<fb::OutputTransformT>();
  fb::OutputTransformT& t = **transform;
  if (t.residual != -1 || (t.activation && t.activation->kind != fb::ActivationKind::NONE)) return false;
  t.residual = residual;
  t.residual_position = fb::ResidualPosition::BEFORE_ACTIVATION;
  t.activation = make_activation(l.name + ".residual_act", shape(tensor).back(), activation);
  return true;
}

const std::vector<int>& ModelBuilder::shape(int tensor) const {
  if (tensor < 0 || tensor >= static_cast<int>(model_.tensors.size())) {
    throw std::invalid_argument("no tensor " + std::to_string(tensor));
  }
  return model_.tensors[tensor]->shape;
}

ModelBuilder ModelBuilder::from_bytes(const uint8_t* data, size_t size) {
  const std::string error = validate_model_bytes(data, size);
  if (!error.empty()) throw std::invalid_argument(error);
  // finish() writes a fresh checksum: a damaged file must not come out with
  // one that passes.
  const fb::Model* model = fb::GetModel(data);
  if (model->constants_checksum() == 0) throw std::invalid_argument("the model has no constants checksum");
  if (constants_checksum(*model) != model->constants_checksum()) {
    throw std::invalid_argument("the constant data does not match the file's checksum: the file is damaged");
  }
  ModelBuilder b;
  model->UnPackTo(&b.model_);
  // Tensor indices stay aligned; layers read from a file are not tracked as producers.
  b.producer_of_.assign(b.model_.tensors.size(), -1);
  return b;
}

std::vector<uint8_t> ModelBuilder::finish() {
  model_.constants_checksum = constants_checksum(model_);
  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, &model_));
  std::vector<uint8_t> bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  const std::string error = validate_model_bytes(bytes.data(), bytes.size());
  if (!error.empty()) throw std::invalid_argument("the built model is not valid: " + error);
  return bytes;
}

}  // namespace bnn
