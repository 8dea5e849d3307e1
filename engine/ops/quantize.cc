// SPDX-License-Identifier: Apache-2.0
#include "engine/bind.h"
#include "engine/parallel.h"
#include "kernels/bitpack.h"

namespace bnn {
namespace {

class QuantizeOp : public Op {
 public:
  bool describe_quantize(QuantizeFusion* f) const override {
    if (bits_ != 1) return false;
    f->params.scale = scale_;
    f->params.bias = bias_;
    f->params.thresholds = thresholds_;
    f->kernel = kernel_;
    f->input = input_;
    f->output = output;
    return true;
  }
  void skip_as_fused() override { fused_ = true; }

  void run(const RunContext& ctx) const override {
    if (fused_) return;  // the layer before wrote the bits
    const float* x = ctx.data<const float>(input_);
    uint64_t* packed = ctx.data<uint64_t>(output);
    const int64_t words = packed_row_words(channels_, bits_);
    if (rows_ > INT32_MAX) {  // more pixels than ranges can count: one thread
      kernel_->run(x, rows_, channels_, scale_, bias_, thresholds_, bits_, packed);
      return;
    }
    parallel_ranges(*ctx.pool, static_cast<int>(rows_), [&](int, int begin, int end) {
      kernel_->run(x + int64_t{begin} * channels_, end - begin, channels_, scale_, bias_, thresholds_, bits_,
                   packed + int64_t{begin} * words);
    });
  }

  const QuantizeKernel* kernel_ = nullptr;
  int input_ = -1;
  int64_t rows_ = 0;
  int channels_ = 0, bits_ = 1;
  bool fused_ = false;
  const float *scale_ = nullptr, *bias_ = nullptr, *thresholds_ = nullptr;
};

}  // namespace

std::unique_ptr<Op> make_quantize_op(const fb::Quantize& l, const BindContext& ctx) {
  auto op = std::make_unique<QuantizeOp>();
  const TensorInfo& in = ctx.info(l.input());
  op->input_ = l.input();
  op->channels_ = in.shape.back();
  op->rows_ = in.element_count() / op->channels_;
  op->bits_ = ctx.info(l.output()).bits;
  op->scale_ = ctx.constant<float>(l.scale());
  op->bias_ = ctx.constant<float>(l.bias());
  op->thresholds_ = ctx.constant<float>(l.thresholds());
  op->inputs = {l.input()};
  op->output = l.output();
  op->kernel_ = ctx.choose(quantize_kernels());
  op->kernel = op->kernel_->name;
  return op;
}

}  // namespace bnn
