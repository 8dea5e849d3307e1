// SPDX-License-Identifier: Apache-2.0
// Full-precision, int8 and bitserial convolutions: rows split over threads,
// or output channels where a bitserial layer's schedule says so, or where
// split_axis finds them cheaper (engine/parallel.h).
#include <algorithm>
#include <optional>

#include "engine/bind.h"
#include "engine/parallel.h"

namespace bnn {
namespace {

class Conv2DOp : public Op {
 public:
  Conv2DOp(const Conv2DLayer& layer, const Conv2DKernel* k, int input, int residual)
      : layer_(layer), kernel_(k), packed_(k->prepare(layer)), input_(input), residual_(residual) {}

  void run(const RunContext& ctx) const override {
    Conv2DLayer layer = layer_;
    layer.input = ctx.data<const float>(input_);
    layer.residual = residual_ >= 0 ? ctx.data<const float>(residual_) : nullptr;
    layer.output = ctx.data<float>(output);
    run_conv2d(*ctx.pool, *kernel_, layer, packed_.data(), [&](int t) { return ctx.scratch_for(t); });
  }

 private:
  Conv2DLayer layer_;  // constants bound; activation pointers filled per run
  const Conv2DKernel* kernel_;
  std::vector<float> packed_;  // the kernel's weight layout
  int input_, residual_;
};

class Int8Conv2DOp : public Op {
 public:
  Int8Conv2DOp(const Int8ConvLayer& layer, const Int8ConvKernel* k, int input, int residual)
      : layer_(layer), kernel_(k), plan_(int8_conv_prepare(*k, layer)), input_(input), residual_(residual) {}
  size_t kernel_scratch_bytes() const { return int8_conv_scratch_bytes(*kernel_, plan_.get(), layer_.geometry); }

  void run(const RunContext& ctx) const override {
    Int8ConvLayer layer = layer_;
    layer.input = ctx.data<const float>(input_);
    layer.residual = residual_ >= 0 ? ctx.data<const float>(residual_) : nullptr;
    layer.output = ctx.data<float>(output);
    parallel_ranges(*ctx.pool, layer.geometry.out_h, [&](int t, int begin, int end) {
      int8_conv_run(*kernel_, plan_.get(), layer, begin, end, ctx.scratch_for(t));
    });
  }

 private:
  Int8ConvLayer layer_;
  const Int8ConvKernel* kernel_;
  std::shared_ptr<const Int8ConvPlan> plan_;  // the kernel's weight layout (null: the reference)
  int input_, residual_;
};

class BitserialConv2DOp : public Op {
 public:
  BitserialConv2DOp(const BitserialConvLayer& layer, const BitserialConvKernel* k, GemmLoopSchedule loop,
                    std::optional<SplitAxis> axis, int input, int residual, bool packed)
      : layer_(layer), kernel_(k), plan_(bitserial_conv_prepare(*k, layer, loop)), axis_(axis), input_(input),
        residual_(residual), packed_(packed), channel_step_(bitserial_conv_channel_step(*k, packed)) {}
  size_t kernel_scratch_bytes() const {
    return bitserial_conv_scratch_bytes(*kernel_, plan_.get(), layer_.conv.geometry, layer_.conv.act_bits);
  }

  void run(const RunContext& ctx) const override {
    BitserialConvLayer layer = layer_;
    layer.conv.input = ctx.data<const uint64_t>(input_);
    layer.residual = residual_ >= 0 ? ctx.data<const float>(residual_) : nullptr;
    if (packed_) {
      layer.out_packed = ctx.data<uint64_t>(output);
    } else {
      layer.out_float = ctx.data<float>(output);
      if (quantize_output_ >= 0) layer.quantize.packed = ctx.data<uint64_t>(quantize_output_);
    }
    const ConvGeometry& g = layer.conv.geometry;
    // The split depends on the session's thread count, which the model's
    // ops do not know when they are bound: decided here, in a few compares.
    const SplitAxis axis = bitserial_split_axis(ctx.pool->size(), layer.conv, channel_step_, axis_);
    parallel_blocks(*ctx.pool, g.out_h, g.out_c, axis, channel_step_, [&](int t, const OutputBlock& block) {
      bitserial_conv_run(*kernel_, plan_.get(), layer, block, ctx.scratch_for(t));
    });
  }

 private:
  // A float output's one-bit quantize for the next layer, in the epilogue.
  bool take_quantize(const QuantizeFusion& f) override {
    if (packed_ || f.input != output) return false;
    layer_.quantize = f.params;
    quantize_output_ = f.output;
    // Channel splits now also cut packed words: whole words per block.
    channel_step_ = bitserial_conv_channel_step(*kernel_, true);
    return true;
  }

  BitserialConvLayer layer_;
  const BitserialConvKernel* kernel_;
  std::shared_ptr<const BitserialGemmPlan> plan_;  // packed weights and border corrections
  std::optional<SplitAxis> axis_;  // the schedule's; none: bitserial_split_axis decides
  int input_, residual_;
  bool packed_;
  int channel_step_;  // granule of a channel split (0: whole pixels only)
  int quantize_output_ = -1;
};

int64_t conv_macs(const ConvGeometry& g) {
  return int64_t{g.out_h} * g.out_w * g.out_c * g.kernel_h * g.kernel_w * g.in_c_per_group();
}

}  // namespace

std::unique_ptr<Op> make_conv2d_op(const fb::Conv2D& l, const BindContext& ctx) {
  Conv2DLayer layer;
  layer.geometry = ctx.geometry(*l.window(), l.input(), l.output(), l.groups());
  layer.weights = ctx.constant<float>(l.weights());
  layer.transform = ctx.float_transform(l.transform());
  const int residual = l.transform() ? l.transform()->residual() : -1;
  const Conv2DKernel* kernel =
      ctx.choose(conv2d_kernels(), [&](const Conv2DKernel& k) { return conv2d_kernel_fits(k, layer.geometry); });
  auto op = std::make_unique<Conv2DOp>(layer, kernel, l.input(), residual);
  op->inputs = {l.input()};
  if (residual >= 0) op->inputs.push_back(residual);
  op->output = l.output();
  op->kernel = kernel->name;
  op->scratch_bytes = kernel->scratch_bytes(layer.geometry);
  op->macs = conv_macs(layer.geometry);
  return op;
}

std::unique_ptr<Op> make_int8_conv2d_op(const fb::Int8Conv2D& l, const BindContext& ctx) {
  Int8ConvLayer layer;
  layer.geometry = ctx.geometry(*l.window(), l.input(), l.output(), 1);
  layer.weights = ctx.constant<int8_t>(l.weights());
  layer.input_multiplier = 1.0f / l.input_scale();
  layer.input_zero_point = l.input_zero_point();
  layer.transform = ctx.float_transform(l.transform());
  const int residual = l.transform() ? l.transform()->residual() : -1;
  const Int8ConvKernel* kernel = ctx.choose(int8_conv_kernels());
  auto op = std::make_unique<Int8Conv2DOp>(layer, kernel, l.input(), residual);
  op->inputs = {l.input()};
  if (residual >= 0) op->inputs.push_back(residual);
  op->output = l.output();
  op->kernel = kernel->name;
  op->scratch_bytes = op->kernel_scratch_bytes();
  op->macs = conv_macs(layer.geometry);
  return op;
}

BitserialConvArgs bitserial_conv_args(const fb::BitserialConv2D& l, const BindContext& ctx) {
  BitserialConvArgs conv;
  conv.geometry = ctx.geometry(*l.window(), l.input(), l.output(), l.groups());
  conv.act_bits = ctx.info(l.input()).bits;
  conv.act_encoding = ctx.encoding(l.input());
  conv.weights = ctx.constant<uint64_t>(l.weights());
  conv.weight_bits = ctx.info(l.weights()).bits;
  conv.weight_encoding = ctx.encoding(l.weights());
  conv.pad_value = l.pad_value() == fb::PadValue::MINUS_ONE ? PadValue::kMinusOne : PadValue::kZero;
  return conv;
}

std::unique_ptr<Op> make_bitserial_conv2d_op(const fb::BitserialConv2D& l, const BindContext& ctx) {
  BitserialConvLayer layer;
  layer.conv = bitserial_conv_args(l, ctx);
  const BitserialConvArgs& conv = layer.conv;
  const bool packed = ctx.info(l.output()).type == ElementType::kPacked;
  int residual = -1;
  if (packed) {
    layer.to_bits.thresholds = ctx.constant<int32_t>(l.transform()->thresholds());
    layer.to_bits.direction = ctx.constant<int8_t>(l.transform()->direction());
    layer.to_bits.bits = ctx.info(l.output()).bits;
  } else {
    layer.to_float = ctx.float_transform(l.transform());
    residual = l.transform() ? l.transform()->residual() : -1;
  }
  const BitserialConvKernel* kernel =
      ctx.choose(bitserial_conv_kernels(), [&](const BitserialConvKernel& k) { return bitserial_conv_supports(k, conv); },
                 default_bitserial_conv_kernel(conv));
  // The schedule's outer tiles, loop order and parallel axis, when the
  // schedule itself is followed (tuned for this CPU).
  GemmLoopSchedule loop;
  std::optional<SplitAxis> axis;
  if (ctx.schedule && ctx.schedule_note->empty()) {
    // Knobs are validated to [0, kMaxScheduleKnob]; rows x width is clamped to
    // the layer (the plan rounds and caps it again).
    const int64_t pixels = int64_t{conv.geometry.out_h} * conv.geometry.out_w;
    const int64_t rows_px = std::min<int64_t>(int64_t{ctx.schedule->tile_rows()} * conv.geometry.out_w, pixels);
    loop.outer_oc = ctx.schedule->tile_oc();
    loop.outer_px = static_cast<int>(ctx.schedule->tile_pixels() > 0 ? std::min<int64_t>(ctx.schedule->tile_pixels(), pixels) : rows_px);
    loop.channels_outer = ctx.schedule->loop_order() == fb::LoopOrder::CHANNELS_OUTER;
    if (ctx.schedule->parallel_axis() == fb::ParallelAxis::CHANNELS) axis = SplitAxis::kChannels;
    if (ctx.schedule->parallel_axis() == fb::ParallelAxis::ROWS) axis = SplitAxis::kRows;
  }
  auto op = std::make_unique<BitserialConv2DOp>(layer, kernel, loop, axis, l.input(), residual, packed);
  op->inputs = {l.input()};
  if (residual >= 0) op->inputs.push_back(residual);
  op->output = l.output();
  op->kernel = kernel->name;
  // Every bitserial driver reads a pixel's residual channels before it writes
  // the same output channels (transform_to_float, the direct epilogue).
  op->in_place_input = residual;
  op->scratch_bytes = op->kernel_scratch_bytes();
  op->macs = conv_macs(conv.geometry);
  return op;
}

}  // namespace bnn
