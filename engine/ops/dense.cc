// SPDX-License-Identifier: Apache-2.0
// The classifier head: dense and (log-)softmax.
#include "engine/bind.h"
#include "kernels/ref/dense.h"

namespace bnn {
namespace {

class DenseOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    kernel_->run(ctx.data<const float>(inputs[0]), in_features_, weights_, out_features_, transform_,
                 ctx.data<float>(output), ctx.scratch_for(0));
  }
  const DenseKernel* kernel_ = nullptr;
  int in_features_ = 0, out_features_ = 0;
  const float* weights_ = nullptr;
  FloatTransform transform_;
};

class SoftmaxOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    (log_ ? log_softmax_ref : softmax_ref)(ctx.data<const float>(inputs[0]), n_, ctx.data<float>(output));
  }
  int n_ = 0;
  bool log_ = false;
};

}  // namespace

std::unique_ptr<Op> make_dense_op(const fb::Dense& l, const BindContext& ctx) {
  auto op = std::make_unique<DenseOp>();
  op->in_features_ = static_cast<int>(ctx.info(l.input()).element_count());
  op->out_features_ = ctx.info(l.output()).shape[0];
  op->weights_ = ctx.constant<float>(l.weights());
  op->transform_ = ctx.float_transform(l.transform());
  op->inputs = {l.input()};
  op->output = l.output();
  op->scratch_bytes = sizeof(float) * op->out_features_;
  op->kernel_ = ctx.choose(dense_kernels());
  op->kernel = op->kernel_->name;
  op->macs = int64_t{op->in_features_} * op->out_features_;
  return op;
}

std::unique_ptr<Op> make_softmax_op(const fb::Softmax& l, const BindContext& ctx) {
  auto op = std::make_unique<SoftmaxOp>();
  op->n_ = ctx.info(l.input()).shape[0];
  op->log_ = l.log();
  op->inputs = {l.input()};
  op->output = l.output();
  op->kernel = l.log() ? "log_softmax_ref" : "softmax_ref";
  return op;
}

}  // namespace bnn
