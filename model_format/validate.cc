// SPDX-License-Identifier: Apache-2.0
#include "model_format/validate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include "kernels/bitpack.h"
#include "kernels/conv_geometry.h"
#include "model_format/file_kind.h"
#include "model_format/printable_text.h"
#include "model_format/image_shape.h"

namespace bnn {
namespace {

// Thrown inside the validator, caught at its entry points.
struct Invalid {
  std::string message;
};

using Shape = std::vector<int64_t>;

std::string shape_string(const Shape& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

template <typename Enum>
bool enum_in_range(Enum value) {
  return static_cast<int64_t>(value) >= static_cast<int64_t>(Enum::MIN) &&
         static_cast<int64_t>(value) <= static_cast<int64_t>(Enum::MAX);
}

Shape shape_of(const fb::Tensor& t) {
  Shape shape;
  for (int d : *t.shape()) shape.push_back(d);
  return shape;
}

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // dims and count are bounded before this is used
  return n;
}

// Where a tensor's value comes from while the layers run in order.
enum class Origin { kNotYet, kConstant, kGraphInput, kLayer };

class Validator {
 public:
  explicit Validator(const fb::Model& model) : m_(model) {}

  void run() {
    if (m_.schema_version() < kOldestSchemaVersion || m_.schema_version() > kSchemaVersion) {
      fail("schema version " + std::to_string(m_.schema_version()) + " is not supported (this build reads " +
           std::to_string(kOldestSchemaVersion) + " to " + std::to_string(kSchemaVersion) + ")");
    }
    check_tensors();
    check_graph_io();
    check_layers();
    const int output = m_.outputs()->Get(0);
    if (origin_[output] != Origin::kLayer) fail("the graph output " + tensor_label(output) + " is never written");
    check_metadata();
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Invalid{layer_ < 0 ? message : layer_label_ + ": " + message};
  }

  std::string tensor_label(int index) const {
    const fb::Tensor* t = m_.tensors()->Get(index);
    return "tensor " + std::to_string(index) + " '" + (t->name() ? t->name()->str() : std::string()) + "'";
  }

  // ---- tensors

  void check_tensors() {
    if (!m_.tensors() || m_.tensors()->size() == 0) fail("the model has no tensors");
    if (m_.tensors()->size() > static_cast<uint32_t>(kMaxTensors)) fail("the model has more than 65536 tensors (limit kMaxTensors)");
    const int64_t buffer_count = m_.buffers() ? m_.buffers()->size() : 0;
    // Each buffer backs at most one tensor: the engine copies each constant
    // once, so sharing would let a small file claim memory in proportion to the
    // number of tensors times the buffer (the builder never shares).
    std::vector<uint8_t> buffer_used(static_cast<size_t>(buffer_count), 0);
    int64_t activation_bytes = 0;
    for (int i = 0; i < static_cast<int>(m_.tensors()->size()); ++i) {
      const fb::Tensor* t = m_.tensors()->Get(i);
      if (!t) fail("tensor " + std::to_string(i) + " is missing");
      const std::string label = tensor_label(i);
      if (!t->shape() || t->shape()->size() == 0 || t->shape()->size() > kMaxRank) {
        fail(label + " must have rank 1 to " + std::to_string(kMaxRank));
      }
      int64_t count = 1;
      for (int d : *t->shape()) {
        if (d < 1) fail(label + " has a dimension " + std::to_string(d) + " (dimensions must be >= 1)");
        count *= d;
        if (count > kMaxTensorElements) {
          fail(label + " has more than " + std::to_string(kMaxTensorElements) + " elements (the limit)");
        }
      }
      if (!enum_in_range(t->type())) fail(label + " has an unknown element type");
      if (t->type() == fb::ElementType::PACKED) {
        if (t->bits() < 1 || t->bits() > kMaxBits) {
          fail(label + " is packed with " + std::to_string(t->bits()) + " bits (1 to " + std::to_string(kMaxBits) +
               " are supported)");
        }
        if (!enum_in_range(t->encoding())) fail(label + " has an unknown encoding");
      } else if (t->bits() != 0) {
        fail(label + " sets bits but is not packed");
      }
      const int64_t bytes = tensor_byte_size(*t);
      if (bytes > kMaxTensorBytes) fail(label + " needs " + std::to_string(bytes) + " bytes, over the limit of 1 GiB");
      if (t->buffer() == -1) {
        activation_bytes += bytes;
        if (activation_bytes > kMaxActivationBytes) fail("the activations need more than 1 GiB together (the limit)");
        origin_.push_back(Origin::kNotYet);
        continue;
      }
      if (t->buffer() < 0 || t->buffer() >= buffer_count) {
        fail(label + " refers to buffer " + std::to_string(t->buffer()) + ", but the model has " +
             std::to_string(buffer_count));
      }
      if (buffer_used[t->buffer()]++) fail(label + " shares buffer " + std::to_string(t->buffer()) + " with another tensor");
      const fb::Buffer* b = m_.buffers()->Get(t->buffer());
      const int64_t have = b && b->data() ? b->data()->size() : 0;
      if (have != bytes) {
        fail(label + " of shape " + shape_string(shape_of(*t)) + " needs " + std::to_string(bytes) +
             " bytes, but buffer " + std::to_string(t->buffer()) + " holds " + std::to_string(have));
      }
      if (t->type() == fb::ElementType::PACKED) check_tail_bits(*t, b->data()->data(), label);
      origin_.push_back(Origin::kConstant);
    }
  }

  // Kernels rely on the bits past C in each plane's last word being 0: a set
  // bit there would count as a channel in every popcount.
  void check_tail_bits(const fb::Tensor& t, const uint8_t* data, const std::string& label) const {
    const int64_t channels = t.shape()->Get(t.shape()->size() - 1);
    if (channels % kWordBits == 0) return;
    const int64_t words = words_for(channels);
    const uint64_t tail_mask = ~uint64_t{0} << (channels % kWordBits);
    const int64_t planes = tensor_byte_size(t) / 8 / words;
    for (int64_t p = 0; p < planes; ++p) {
      uint64_t last;
      std::memcpy(&last, data + ((p + 1) * words - 1) * 8, 8);
      if (last & tail_mask) {
        fail(label + " has bits set past its " + std::to_string(channels) + " channels (plane " + std::to_string(p) +
             "); they must be 0");
      }
    }
  }

  const fb::Tensor& tensor(int index) const { return *m_.tensors()->Get(index); }

  void check_index(int index, const std::string& role) const {
    if (index < 0 || index >= static_cast<int>(m_.tensors()->size())) {
      fail(role + " refers to tensor " + std::to_string(index) + ", but the model has " +
           std::to_string(m_.tensors()->size()));
    }
  }

  void check_graph_io() {
    if (!m_.inputs() || m_.inputs()->size() != 1) fail("the model must have exactly one input");
    if (!m_.outputs() || m_.outputs()->size() != 1) fail("the model must have exactly one output");
    const int input = m_.inputs()->Get(0);
    check_index(input, "the graph input");
    const fb::Tensor& in = tensor(input);
    if (origin_[input] == Origin::kConstant) fail("the graph input " + tensor_label(input) + " is a constant");
    if (in.type() != fb::ElementType::FLOAT32 || in.shape()->size() != 3) {
      fail("the graph input " + tensor_label(input) + " must be float32 [H, W, C]");
    }
    origin_[input] = Origin::kGraphInput;
    const int output = m_.outputs()->Get(0);
    check_index(output, "the graph output");
    if (origin_[output] == Origin::kConstant) fail("the graph output " + tensor_label(output) + " is a constant");
    if (tensor(output).type() != fb::ElementType::FLOAT32) {
      fail("the graph output " + tensor_label(output) + " must be float32");
    }
  }

  void check_metadata() {
    const int output = m_.outputs()->Get(0);
    if (m_.labels() && m_.labels()->size() != 0 &&
        static_cast<int64_t>(m_.labels()->size()) != element_count(shape_of(tensor(output)))) {
      fail("the model has " + std::to_string(m_.labels()->size()) + " labels for " +
           std::to_string(element_count(shape_of(tensor(output)))) + " outputs");
    }
    const fb::InputInfo* info = m_.input_info();
    if (!info) return;
    if (!enum_in_range(info->color())) fail("input_info has an unknown color order");
    const int64_t channels = tensor(m_.inputs()->Get(0)).shape()->Get(2);
    for (const auto* values : {info->mean(), info->std()}) {
      if (values && values->size() != 0 && static_cast<int64_t>(values->size()) != channels) {
        fail("input_info mean and std need one value per input channel (" + std::to_string(channels) + ")");
      }
      if (!values) continue;
      for (float v : *values) {
        if (!std::isfinite(v)) fail("input_info mean and std must be finite");
      }
    }
    if (info->std()) {
      for (float v : *info->std()) {
        if (!(v > 0)) fail("input_info std must be positive");
      }
    }
    if (!enum_in_range(info->resize())) fail("input_info has an unknown resize mode");
    if (!(info->crop_fraction() > 0 && info->crop_fraction() <= 1)) {
      fail("input_info crop_fraction must be in (0, 1]");
    }
  }

  // ---- layers

  // An activation the layer reads: in range, not a constant, already written.
  const fb::Tensor& read(int index, const std::string& role, fb::ElementType type) const {
    check_index(index, role);
    if (origin_[index] == Origin::kConstant) fail(role + " " + tensor_label(index) + " must not be a constant");
    if (origin_[index] == Origin::kNotYet) {
      fail(role + " " + tensor_label(index) + " is read before any layer writes it");
    }
    if (tensor(index).type() != type) {
      fail(role + " " + tensor_label(index) + " must be " + fb::EnumNameElementType(type));
    }
    return tensor(index);
  }

  // A constant the layer reads, of the given type and shape. Each constant
  // belongs to one layer: layers prepare (repack) their constants, so a shared
  // one would be copied once per reader.
  const fb::Tensor& constant(int index, const std::string& role, fb::ElementType type, const Shape& shape) const {
    check_index(index, role);
    if (origin_[index] != Origin::kConstant) fail(role + " " + tensor_label(index) + " must be a constant");
    const int owner = constant_owner_.emplace(index, layer_).first->second;
    if (owner != layer_) fail(role + " " + tensor_label(index) + " is already read by layer " + std::to_string(owner));
    const fb::Tensor& t = tensor(index);
    if (t.type() != type) fail(role + " " + tensor_label(index) + " must be " + fb::EnumNameElementType(type));
    if (shape_of(t) != shape) {
      fail(role + " " + tensor_label(index) + " has shape " + shape_string(shape_of(t)) + ", expected " +
           shape_string(shape));
    }
    // Weights, scales, biases and slopes must be finite: a NaN or infinity
    // there makes every output non-finite. Float thresholds use NaN ("never
    // reached") and -infinity ("always") on purpose.
    if (type == fb::ElementType::FLOAT32 && role != "thresholds") check_finite(t, role, index);
    return t;
  }

  void check_finite(const fb::Tensor& t, const std::string& role, int index) const {
    const uint8_t* data = m_.buffers()->Get(t.buffer())->data()->data();
    const int64_t count = element_count(shape_of(t));
    for (int64_t i = 0; i < count; ++i) {
      float v;
      std::memcpy(&v, data + i * 4, 4);
      if (!std::isfinite(v)) {
        fail(role + " " + tensor_label(index) + " holds " + (std::isnan(v) ? "NaN" : "an infinity") + " at element " +
             std::to_string(i) + " (every output would be non-finite: check the trained weights)");
      }
    }
  }

  void optional_constant(int index, const std::string& role, fb::ElementType type, const Shape& shape) const {
    if (index != -1) constant(index, role, type, shape);
  }

  // The tensor the layer writes: an activation nothing has written yet.
  const fb::Tensor& write(int index, const Shape& expected_shape) {
    check_index(index, "output");
    const std::string label = tensor_label(index);
    if (origin_[index] == Origin::kConstant) fail("output " + label + " is a constant");
    if (origin_[index] == Origin::kGraphInput) fail("output " + label + " is the graph input");
    if (origin_[index] == Origin::kLayer) fail("output " + label + " is already written by an earlier layer");
    if (shape_of(tensor(index)) != expected_shape) {
      fail("output " + label + " has shape " + shape_string(shape_of(tensor(index))) + ", expected " +
           shape_string(expected_shape));
    }
    origin_[index] = Origin::kLayer;
    return tensor(index);
  }

  const fb::Tensor& read_image(int index, const std::string& role, fb::ElementType type) const {
    const fb::Tensor& t = read(index, role, type);
    if (t.shape()->size() != 3) fail(role + " " + tensor_label(index) + " must have shape [H, W, C]");
    return t;
  }

  // Window fields in range and the output extent the input gives. `pool`
  // limits pads to half the window, as PyTorch does, and also accepts the
  // ceil-mode extent.
  Shape window_output(const fb::Window* w, const Shape& in, int64_t out_c, bool pool, const Shape& out_shape) const {
    if (!w) fail("the window is missing");
    for (int v : {w->kernel_h(), w->kernel_w(), w->stride_h(), w->stride_w(), w->dilation_h(), w->dilation_w()}) {
      if (v < 1 || v > kMaxWindow) fail("window kernel, stride and dilation must be 1 to " + std::to_string(kMaxWindow));
    }
    for (int v : {w->pad_top(), w->pad_left(), w->pad_bottom(), w->pad_right()}) {
      if (v < 0 || v > kMaxWindow) fail("window pads must be 0 to " + std::to_string(kMaxWindow));
    }
    const int64_t extent_h = int64_t{w->dilation_h()} * (w->kernel_h() - 1) + 1;
    const int64_t extent_w = int64_t{w->dilation_w()} * (w->kernel_w() - 1) + 1;
    if (pool && (2 * std::max(w->pad_top(), w->pad_bottom()) > extent_h ||
                 2 * std::max(w->pad_left(), w->pad_right()) > extent_w)) {
      fail("pooling pads must be at most half the window");
    }
    auto extent = [&](bool ceil_mode) {
      return Shape{pool_output_extent(in[0], w->pad_top(), w->pad_bottom(), w->kernel_h(), w->stride_h(),
                                      w->dilation_h(), ceil_mode),
                   pool_output_extent(in[1], w->pad_left(), w->pad_right(), w->kernel_w(), w->stride_w(),
                                      w->dilation_w(), ceil_mode),
                   out_c};
    };
    const Shape out = extent(false);
    if (out[0] < 1 || out[1] < 1) fail("the window does not fit the input " + shape_string(in));
    if (pool && out_shape != out && out_shape == extent(true)) return out_shape;
    return out;
  }

  void check_activation(const fb::Activation* a, int64_t channels) const {
    if (!a) return;
    if (!enum_in_range(a->kind())) fail("unknown activation kind");
    const Shape per_channel = {channels};
    const fb::ActivationKind kind = a->kind();
    const bool slope = kind == fb::ActivationKind::PRELU || kind == fb::ActivationKind::RPRELU;
    const bool shifts = kind == fb::ActivationKind::RPRELU;
    for (auto [index, needed, role] : {std::tuple{a->slope(), slope, "activation slope"},
                                       std::tuple{a->shift_in(), shifts, "activation shift_in"},
                                       std::tuple{a->shift_out(), shifts, "activation shift_out"}}) {
      if (needed) {
        constant(index, role, fb::ElementType::FLOAT32, per_channel);
      } else if (index != -1) {
        fail(std::string(role) + " is set but " + fb::EnumNameActivationKind(kind) + " does not use it");
      }
    }
    if (kind == fb::ActivationKind::HARDTANH && !(a->min_value() <= a->max_value())) {
      fail("hardtanh needs min_value <= max_value");
    }
  }

  // A residual is read before the layer's output is marked written, so a layer
  // cannot add its own output.
  void check_residual_source(const fb::OutputTransform* t) const {
    if (t && t->residual() != -1) read(t->residual(), "residual", fb::ElementType::FLOAT32);
  }

  // The transform of a layer whose output tensor `out` has `channels` channels.
  void check_transform(const fb::OutputTransform* t, const fb::Tensor& out, int64_t channels, bool integer_acc) {
    const Shape per_channel = {channels};
    if (out.type() == fb::ElementType::PACKED) {
      if (!integer_acc) fail("only a bitserial convolution can write packed bits directly");
      if (!t || t->thresholds() == -1) fail("a packed output needs transform thresholds");
      if (t->scale() != -1 || t->bias() != -1 || t->residual() != -1 ||
          (t->activation() && t->activation()->kind() != fb::ActivationKind::NONE)) {
        fail("a packed output takes thresholds only (no scale, bias, residual or activation)");
      }
      constant(t->thresholds(), "thresholds", fb::ElementType::INT32, {channels, (int64_t{1} << out.bits()) - 1});
      if (t->direction() != -1) {
        const fb::Tensor& d = constant(t->direction(), "direction", fb::ElementType::INT8, per_channel);
        const auto* data = m_.buffers()->Get(d.buffer())->data();
        for (uint8_t v : *data) {
          if (v != 1 && v != 0xFF) fail("direction values must be +1 or -1");
        }
      }
      return;
    }
    if (!t) return;
    if (t->thresholds() != -1 || t->direction() != -1) fail("thresholds need a packed output");
    optional_constant(t->scale(), "scale", fb::ElementType::FLOAT32, per_channel);
    optional_constant(t->bias(), "bias", fb::ElementType::FLOAT32, per_channel);
    if (!enum_in_range(t->residual_position())) fail("unknown residual position");
    if (t->residual() != -1) {
      const fb::Tensor& r = tensor(t->residual());  // its source was checked before the output was written
      if (shape_of(r) != shape_of(out)) {
        fail("residual " + tensor_label(t->residual()) + " has shape " + shape_string(shape_of(r)) +
             ", expected the output's " + shape_string(shape_of(out)));
      }
    }
    check_activation(t->activation(), channels);
  }

  void check_groups(int groups, int64_t in_c, int64_t out_c) const {
    if (groups < 1 || in_c % groups != 0 || out_c % groups != 0) {
      fail("groups " + std::to_string(groups) + " must divide the input channels (" + std::to_string(in_c) +
           ") and output channels (" + std::to_string(out_c) + ")");
    }
  }

  void check_conv2d(const fb::Conv2D& l) {
    const Shape in = shape_of(read_image(l.input(), "input", fb::ElementType::FLOAT32));
    check_index(l.weights(), "weights");
    const Shape w = shape_of(tensor(l.weights()));
    if (w.size() != 4) fail("weights must be OHWI [O, KH, KW, I / groups]");
    check_groups(l.groups(), in[2], w[0]);
    const fb::Window* win = l.window();
    if (!win) fail("the window is missing");
    constant(l.weights(), "weights", fb::ElementType::FLOAT32, {w[0], win->kernel_h(), win->kernel_w(), in[2] / l.groups()});
    check_residual_source(l.transform());
    const fb::Tensor& out = write(l.output(), window_output(win, in, w[0], false, {}));
    if (out.type() != fb::ElementType::FLOAT32) fail("output " + tensor_label(l.output()) + " must be FLOAT32");
    check_transform(l.transform(), out, w[0], false);
  }

  void check_int8_conv2d(const fb::Int8Conv2D& l) {
    const Shape in = shape_of(read_image(l.input(), "input", fb::ElementType::FLOAT32));
    check_index(l.weights(), "weights");
    const Shape w = shape_of(tensor(l.weights()));
    if (w.size() != 4) fail("weights must be OHWI [O, KH, KW, I]");
    const fb::Window* win = l.window();
    if (!win) fail("the window is missing");
    const fb::Tensor& weights =
        constant(l.weights(), "weights", fb::ElementType::INT8, {w[0], win->kernel_h(), win->kernel_w(), in[2]});
    for (uint8_t v : *m_.buffers()->Get(weights.buffer())->data()) {
      if (v == 0x80) fail("int8 weights must be -127 to 127 (symmetric quantization)");
    }
    if (!(l.input_scale() > 0.0f) || !std::isfinite(l.input_scale())) {
      fail("input_scale must be positive and finite");
    }
    if (l.input_zero_point() < 0 || l.input_zero_point() > 255) fail("input_zero_point must be 0 to 255");
    // The int32 sum is exact: |acc| <= taps x 255 x 127 (kernels/ref/conv2d_int8.h).
    const int64_t taps = static_cast<int64_t>(win->kernel_h()) * win->kernel_w() * in[2];
    if (taps * 255 * 127 > INT32_MAX) {
      fail("the window has " + std::to_string(taps) + " taps: more than 66311 could overflow the int32 sum");
    }
    check_residual_source(l.transform());
    const fb::Tensor& out = write(l.output(), window_output(win, in, w[0], false, {}));
    if (out.type() != fb::ElementType::FLOAT32) fail("output " + tensor_label(l.output()) + " must be FLOAT32");
    check_transform(l.transform(), out, w[0], false);
  }

  void check_bitserial_conv2d(const fb::BitserialConv2D& l) {
    // An image, or a vector read as a 1x1 image (model_format/image_shape.h).
    const fb::Tensor& input = read(l.input(), "input", fb::ElementType::PACKED);
    const ImageDims dims = image_dims(shape_of(input));
    if (dims.c == 0) fail("input " + tensor_label(l.input()) + " must have shape [H, W, C] or [C]");
    const Shape in = {dims.h, dims.w, dims.c};
    check_index(l.weights(), "weights");
    const fb::Tensor& weights = tensor(l.weights());
    const Shape w = shape_of(weights);
    if (w.size() != 4) fail("weights must be OHWI [O, KH, KW, I / groups]");
    check_groups(l.groups(), in[2], w[0]);
    const fb::Window* win = l.window();
    if (!win) fail("the window is missing");
    constant(l.weights(), "weights", fb::ElementType::PACKED, {w[0], win->kernel_h(), win->kernel_w(), in[2] / l.groups()});
    if (!enum_in_range(l.pad_value())) fail("unknown pad value");
    if (l.pad_value() == fb::PadValue::MINUS_ONE && input.encoding() != fb::Encoding::BIPOLAR) {
      fail("MINUS_ONE padding needs a bipolar input (a unipolar code cannot be -1)");
    }
    // The accumulator must stay exact through int32 and through its float copy.
    const int64_t max_product = ((int64_t{1} << weights.bits()) - 1) * ((int64_t{1} << input.bits()) - 1);
    const int64_t taps = w[1] * w[2] * w[3];
    if (taps * max_product >= (int64_t{1} << 24)) {
      fail("the accumulator can reach " + std::to_string(taps * max_product) +
           ", beyond 2^24 where float copies stop being exact");
    }
    check_residual_source(l.transform());
    Shape out_shape = window_output(win, in, w[0], false, {});
    check_index(l.output(), "output");
    if (tensor(l.output()).shape() && tensor(l.output()).shape()->size() == 1 && out_shape[0] == 1 && out_shape[1] == 1) {
      out_shape = {w[0]};  // a 1x1 output written as a vector
    }
    const fb::Tensor& out = write(l.output(), out_shape);
    if (out.type() != fb::ElementType::FLOAT32 && out.type() != fb::ElementType::PACKED) {
      fail("output " + tensor_label(l.output()) + " must be FLOAT32 or PACKED");
    }
    check_transform(l.transform(), out, w[0], true);
  }

  void check_quantize(const fb::Quantize& l) {
    const fb::Tensor& in = read(l.input(), "input", fb::ElementType::FLOAT32);
    const Shape shape = shape_of(in);
    const int64_t channels = shape.back();
    const fb::Tensor& out = write(l.output(), shape);
    if (out.type() != fb::ElementType::PACKED) fail("output " + tensor_label(l.output()) + " must be PACKED");
    constant(l.thresholds(), "thresholds", fb::ElementType::FLOAT32, {channels, (int64_t{1} << out.bits()) - 1});
    optional_constant(l.scale(), "scale", fb::ElementType::FLOAT32, {channels});
    optional_constant(l.bias(), "bias", fb::ElementType::FLOAT32, {channels});
  }

  void check_batchnorm(const fb::BatchNorm& l) {
    const Shape shape = shape_of(read(l.input(), "input", fb::ElementType::FLOAT32));
    constant(l.scale(), "scale", fb::ElementType::FLOAT32, {shape.back()});
    constant(l.bias(), "bias", fb::ElementType::FLOAT32, {shape.back()});
    if (write(l.output(), shape).type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
  }

  void check_add(const fb::Add& l) {
    const Shape a = shape_of(read(l.a(), "input a", fb::ElementType::FLOAT32));
    const Shape b = shape_of(read(l.b(), "input b", fb::ElementType::FLOAT32));
    if (a != b) fail("inputs have shapes " + shape_string(a) + " and " + shape_string(b) + " (no broadcasting)");
    check_activation(l.activation(), a.back());
    if (write(l.output(), a).type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
  }

  void check_activation_layer(const fb::ActivationLayer& l) {
    const Shape shape = shape_of(read(l.input(), "input", fb::ElementType::FLOAT32));
    check_activation(l.activation(), shape.back());
    if (write(l.output(), shape).type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
  }

  void check_pool2d(const fb::Pool2D& l) {
    if (!enum_in_range(l.kind())) fail("unknown pooling kind");
    check_index(l.input(), "input");
    const fb::ElementType type = tensor(l.input()).type();
    if (l.kind() == fb::PoolKind::AVERAGE && type != fb::ElementType::FLOAT32) fail("average pooling needs FLOAT32 input");
    if (type != fb::ElementType::FLOAT32 && type != fb::ElementType::PACKED) fail("pooling needs FLOAT32 or PACKED input");
    const fb::Tensor& input = read_image(l.input(), "input", type);
    if (l.kind() == fb::PoolKind::AVERAGE && l.window() && (l.window()->dilation_h() != 1 || l.window()->dilation_w() != 1)) {
      fail("average pooling has no dilation");
    }
    check_index(l.output(), "output");
    const Shape in = shape_of(input);
    const Shape out_shape = window_output(l.window(), in, in[2], true, shape_of(tensor(l.output())));
    const fb::Tensor& out = write(l.output(), out_shape);
    if (out.type() != input.type() || out.bits() != input.bits() || out.encoding() != input.encoding()) {
      fail("output " + tensor_label(l.output()) + " must have the input's element type, bits and encoding");
    }
  }

  void check_global_avg_pool(const fb::GlobalAvgPool& l) {
    const Shape in = shape_of(read_image(l.input(), "input", fb::ElementType::FLOAT32));
    if (write(l.output(), {in[2]}).type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
  }

  void check_dense(const fb::Dense& l) {
    const int64_t in_features = element_count(shape_of(read(l.input(), "input", fb::ElementType::FLOAT32)));
    check_index(l.weights(), "weights");
    const Shape w = shape_of(tensor(l.weights()));
    if (w.size() != 2) fail("weights must be [out_features, in_features]");
    constant(l.weights(), "weights", fb::ElementType::FLOAT32, {w[0], in_features});
    const fb::Tensor& out = write(l.output(), {w[0]});
    if (out.type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
    if (l.transform() && l.transform()->residual() != -1) fail("dense takes no residual");
    check_transform(l.transform(), out, w[0], false);
  }

  void check_softmax(const fb::Softmax& l) {
    const Shape shape = shape_of(read(l.input(), "input", fb::ElementType::FLOAT32));
    if (shape.size() != 1) fail("softmax needs a vector input [N]");
    if (write(l.output(), shape).type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
  }

  void check_concat(const fb::Concat& l) {
    if (!l.inputs() || l.inputs()->size() == 0 || l.inputs()->size() > 256) fail("concat needs 1 to 256 inputs");
    constexpr int kMaxZeros = 1 << 20;
    if (l.zeros_before() < 0 || l.zeros_after() < 0 || l.zeros_before() > kMaxZeros || l.zeros_after() > kMaxZeros) {
      fail("concat zero channels must be 0 to " + std::to_string(kMaxZeros));
    }
    Shape out;
    int64_t channels = int64_t{l.zeros_before()} + l.zeros_after();
    for (int input : *l.inputs()) {
      const Shape in = shape_of(read(input, "input", fb::ElementType::FLOAT32));
      if (out.empty()) out = in;
      if (in.size() != out.size() || !std::equal(in.begin(), in.end() - 1, out.begin())) {
        fail("concat inputs must share every dimension but channels");
      }
      channels += in.back();
    }
    out.back() = channels;
    if (write(l.output(), out).type() != fb::ElementType::FLOAT32) fail("output must be FLOAT32");
  }

  void check_schedule(const fb::Schedule* s) const {
    if (!s) return;
    for (int v : {s->tile_oc(), s->tile_rows(), s->tile_pixels(), s->unroll(), s->threads()}) {
      if (v < 0 || v > kMaxScheduleKnob) {
        fail("schedule tiles, unroll and threads must be 0 to " + std::to_string(kMaxScheduleKnob));
      }
    }
    if (!enum_in_range(s->loop_order()) || !enum_in_range(s->parallel_axis())) fail("schedule has an unknown enum value");
  }

  void check_layers() {
    if (!m_.layers() || m_.layers()->size() == 0) fail("the model has no layers");
    if (m_.layers()->size() > static_cast<uint32_t>(kMaxLayers)) fail("the model has more than 16384 layers (limit kMaxLayers)");
    for (layer_ = 0; layer_ < static_cast<int>(m_.layers()->size()); ++layer_) {
      const fb::Layer* layer = m_.layers()->Get(layer_);
      layer_label_ = "layer " + std::to_string(layer_);
      if (!layer) fail("missing");
      if (layer->name()) layer_label_ += " '" + layer->name()->str() + "'";
      const fb::LayerOptions type = layer->options_type();
      if (!enum_in_range(type) || type == fb::LayerOptions::NONE || !layer->options()) fail("unknown layer type");
      layer_label_ += std::string(" (") + fb::EnumNameLayerOptions(type) + ")";
      check_schedule(layer->schedule());
      switch (type) {
        case fb::LayerOptions::Conv2D: check_conv2d(*layer->options_as_Conv2D()); break;
        case fb::LayerOptions::BitserialConv2D: check_bitserial_conv2d(*layer->options_as_BitserialConv2D()); break;
        case fb::LayerOptions::Quantize: check_quantize(*layer->options_as_Quantize()); break;
        case fb::LayerOptions::BatchNorm: check_batchnorm(*layer->options_as_BatchNorm()); break;
        case fb::LayerOptions::Add: check_add(*layer->options_as_Add()); break;
        case fb::LayerOptions::ActivationLayer: check_activation_layer(*layer->options_as_ActivationLayer()); break;
        case fb::LayerOptions::Pool2D: check_pool2d(*layer->options_as_Pool2D()); break;
        case fb::LayerOptions::GlobalAvgPool: check_global_avg_pool(*layer->options_as_GlobalAvgPool()); break;
        case fb::LayerOptions::Dense: check_dense(*layer->options_as_Dense()); break;
        case fb::LayerOptions::Softmax: check_softmax(*layer->options_as_Softmax()); break;
        case fb::LayerOptions::Concat: check_concat(*layer->options_as_Concat()); break;
        case fb::LayerOptions::Int8Conv2D: check_int8_conv2d(*layer->options_as_Int8Conv2D()); break;
        case fb::LayerOptions::NONE: break;
      }
    }
    layer_ = -1;
  }

  const fb::Model& m_;
  std::vector<Origin> origin_;
  mutable std::map<int, int> constant_owner_;  // constant tensor -> the first layer that reads it
  int layer_ = -1;
  std::string layer_label_;
};

}  // namespace

int64_t tensor_byte_size(const fb::Tensor& t) {
  if (!t.shape() || t.shape()->size() == 0 || t.shape()->size() > kMaxRank) return -1;
  int64_t count = 1;
  for (int d : *t.shape()) {
    if (d < 1) return -1;
    count *= d;
    if (count > kMaxTensorElements) return -1;
  }
  switch (t.type()) {
    case fb::ElementType::FLOAT32:
    case fb::ElementType::INT32: return count * 4;
    case fb::ElementType::INT8: return count;
    case fb::ElementType::PACKED: {
      if (t.bits() < 1 || t.bits() > kMaxBits) return -1;
      const int64_t channels = t.shape()->Get(t.shape()->size() - 1);
      const int64_t rows = count / channels;
      return rows * packed_row_words(channels, t.bits()) * 8;
    }
  }
  return -1;
}

std::string validate_model(const fb::Model& model) {
  try {
    Validator(model).run();
  } catch (const Invalid& e) {
    return e.message;
  }
  return "";
}

std::string validate_model_bytes(const uint8_t* data, size_t size) {
  if (size < 8) return "the file is too short to be a model (" + std::to_string(size) + " bytes)";
  if (!fb::ModelBufferHasIdentifier(data)) {
    const std::string kind = describe_non_model_file(data, size);
    if (!kind.empty()) return "not a bnn model: " + kind;
    return "not a bnn model: its bytes 4 to 7 are '" + printable(std::string(reinterpret_cast<const char*>(data) + 4, 4)) +
           "', a model's are '" + fb::ModelIdentifier() + "'";
  }
  flatbuffers::Verifier verifier(data, size, limits::kMaxFlatbufferDepth, limits::kMaxFlatbufferTables);
  if (!fb::VerifyModelBuffer(verifier)) {
    return "the model file is damaged or truncated (the FlatBuffers verifier rejected it)";
  }
  return validate_model(*fb::GetModel(data));
}

}  // namespace bnn
