// SPDX-License-Identifier: Apache-2.0
#include "engine/bind.h"

#include "model_format/image_shape.h"

namespace bnn {

ConvGeometry BindContext::geometry(const fb::Window& w, int input, int output, int groups) const {
  // A vector is a 1x1 image (model_format/image_shape.h).
  const ImageDims in = image_dims(infos[input].shape), out = image_dims(infos[output].shape);
  ConvGeometry g;
  g.in_h = static_cast<int>(in.h);
  g.in_w = static_cast<int>(in.w);
  g.in_c = static_cast<int>(in.c);
  g.out_h = static_cast<int>(out.h);
  g.out_w = static_cast<int>(out.w);
  g.out_c = static_cast<int>(out.c);
  g.kernel_h = w.kernel_h();
  g.kernel_w = w.kernel_w();
  g.stride_h = w.stride_h();
  g.stride_w = w.stride_w();
  g.pad_top = w.pad_top();
  g.pad_left = w.pad_left();
  g.pad_bottom = w.pad_bottom();
  g.pad_right = w.pad_right();
  g.dilation_h = w.dilation_h();
  g.dilation_w = w.dilation_w();
  g.groups = groups;
  return g;
}

ActivationParams BindContext::activation(const fb::Activation* a) const {
  ActivationParams p;
  if (!a) return p;
  switch (a->kind()) {
    case fb::ActivationKind::NONE: p.kind = ActivationKind::kNone; break;
    case fb::ActivationKind::RELU: p.kind = ActivationKind::kRelu; break;
    case fb::ActivationKind::PRELU: p.kind = ActivationKind::kPrelu; break;
    case fb::ActivationKind::RPRELU: p.kind = ActivationKind::kRprelu; break;
    case fb::ActivationKind::HARDTANH: p.kind = ActivationKind::kHardtanh; break;
  }
  p.slope = constant<float>(a->slope());
  p.shift_in = constant<float>(a->shift_in());
  p.shift_out = constant<float>(a->shift_out());
  p.min_value = a->min_value();
  p.max_value = a->max_value();
  return p;
}

FloatTransform BindContext::float_transform(const fb::OutputTransform* t) const {
  FloatTransform f;
  if (!t) return f;
  f.scale = constant<float>(t->scale());
  f.bias = constant<float>(t->bias());
  f.residual_after_activation = t->residual_position() == fb::ResidualPosition::AFTER_ACTIVATION;
  f.activation = activation(t->activation());
  return f;
}

std::unique_ptr<Op> bind_layer(const fb::Layer& layer, const BindContext& ctx) {
  switch (layer.options_type()) {
    case fb::LayerOptions::Conv2D: return make_conv2d_op(*layer.options_as_Conv2D(), ctx);
    case fb::LayerOptions::BitserialConv2D: return make_bitserial_conv2d_op(*layer.options_as_BitserialConv2D(), ctx);
    case fb::LayerOptions::Quantize: return make_quantize_op(*layer.options_as_Quantize(), ctx);
    case fb::LayerOptions::BatchNorm: return make_batchnorm_op(*layer.options_as_BatchNorm(), ctx);
    case fb::LayerOptions::Add: return make_add_op(*layer.options_as_Add(), ctx);
    case fb::LayerOptions::ActivationLayer: return make_activation_op(*layer.options_as_ActivationLayer(), ctx);
    case fb::LayerOptions::Pool2D: return make_pool2d_op(*layer.options_as_Pool2D(), ctx);
    case fb::LayerOptions::GlobalAvgPool: return make_global_avg_pool_op(*layer.options_as_GlobalAvgPool(), ctx);
    case fb::LayerOptions::Dense: return make_dense_op(*layer.options_as_Dense(), ctx);
    case fb::LayerOptions::Softmax: return make_softmax_op(*layer.options_as_Softmax(), ctx);
    case fb::LayerOptions::Concat: return make_concat_op(*layer.options_as_Concat(), ctx);
    case fb::LayerOptions::Int8Conv2D: return make_int8_conv2d_op(*layer.options_as_Int8Conv2D(), ctx);
    case fb::LayerOptions::NONE: break;
  }
  throw Error("unknown layer type");  // unreachable after validation
}

}  // namespace bnn
