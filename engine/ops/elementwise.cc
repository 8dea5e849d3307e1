// SPDX-License-Identifier: Apache-2.0
// Per-channel float layers: batchnorm, add, activation, channel concat.
#include <array>

#include "engine/bind.h"
#include "kernels/ref/elementwise.h"

namespace bnn {
namespace {

struct Rows {
  int64_t rows = 0;
  int channels = 0;
};

Rows rows_of(const TensorInfo& t) { return {t.element_count() / t.shape.back(), t.shape.back()}; }

class BatchNormOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    batchnorm_ref(ctx.data<const float>(inputs[0]), shape_.rows, shape_.channels, scale_, bias_, ctx.data<float>(output));
  }
  Rows shape_;
  const float *scale_ = nullptr, *bias_ = nullptr;
};

class AddOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    add_ref(ctx.data<const float>(inputs[0]), ctx.data<const float>(inputs[1]), shape_.rows, shape_.channels,
            activation_, ctx.data<float>(output));
  }
  Rows shape_;
  ActivationParams activation_;
};

class ActivationOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    activation_ref(ctx.data<const float>(inputs[0]), shape_.rows, shape_.channels, activation_, ctx.data<float>(output));
  }
  Rows shape_;
  ActivationParams activation_;
};

class ConcatOp : public Op {
 public:
  static constexpr int kMaxInputs = 256;  // the validator's limit
  void run(const RunContext& ctx) const override {
    std::array<const float*, kMaxInputs> sources;
    for (size_t i = 0; i < inputs.size(); ++i) sources[i] = ctx.data<const float>(inputs[i]);
    concat_channels_ref(sources.data(), channels_.data(), static_cast<int>(inputs.size()), rows_, zeros_before_,
                        zeros_after_, ctx.data<float>(output));
  }
  std::vector<int> channels_;
  int64_t rows_ = 0;
  int zeros_before_ = 0, zeros_after_ = 0;
};

}  // namespace

std::unique_ptr<Op> make_concat_op(const fb::Concat& l, const BindContext& ctx) {
  auto op = std::make_unique<ConcatOp>();
  for (int input : *l.inputs()) {
    op->inputs.push_back(input);
    op->channels_.push_back(rows_of(ctx.info(input)).channels);
  }
  op->rows_ = rows_of(ctx.info(l.output())).rows;
  op->zeros_before_ = l.zeros_before();
  op->zeros_after_ = l.zeros_after();
  op->output = l.output();
  op->kernel = "concat_channels_ref";
  return op;
}

std::unique_ptr<Op> make_batchnorm_op(const fb::BatchNorm& l, const BindContext& ctx) {
  auto op = std::make_unique<BatchNormOp>();
  op->shape_ = rows_of(ctx.info(l.input()));
  op->scale_ = ctx.constant<float>(l.scale());
  op->bias_ = ctx.constant<float>(l.bias());
  op->inputs = {l.input()};
  op->output = l.output();
  op->kernel = "batchnorm_ref";
  return op;
}

std::unique_ptr<Op> make_add_op(const fb::Add& l, const BindContext& ctx) {
  auto op = std::make_unique<AddOp>();
  op->shape_ = rows_of(ctx.info(l.a()));
  op->activation_ = ctx.activation(l.activation());
  op->inputs = {l.a(), l.b()};
  op->output = l.output();
  op->kernel = "add_ref";
  return op;
}

std::unique_ptr<Op> make_activation_op(const fb::ActivationLayer& l, const BindContext& ctx) {
  auto op = std::make_unique<ActivationOp>();
  op->shape_ = rows_of(ctx.info(l.input()));
  op->activation_ = ctx.activation(l.activation());
  op->inputs = {l.input()};
  op->output = l.output();
  op->kernel = "activation_ref";
  return op;
}

}  // namespace bnn
