#include "engine/bind.h"

namespace bnn {
namespace {

class QuantizeOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    kernel_->run(ctx.data<const float>(input_), rows_, channels_, scale_, bias_, thresholds_, bits_,
                 ctx.data<uint64_t>(output));
  }

  const QuantizeKernel* kernel_ = nullptr;
  int input_ = -1;
  int64_t rows_ = 0;
  int channels_ = 0, bits_ = 1;
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
