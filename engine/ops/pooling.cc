// SPDX-License-Identifier: Apache-2.0
// Window pooling (max on float or packed, average on float) and global average pooling.
#include "engine/bind.h"
#include "engine/parallel.h"
#include "kernels/bitpack.h"
#include "kernels/ref/pool.h"

namespace bnn {
namespace {

class Pool2DOp : public Op {
 public:
  enum class Mode { kMaxFloat, kAvgFloat, kMaxPacked, kMaxOneBit };

  void run(const RunContext& ctx) const override {
    switch (mode_) {
      case Mode::kMaxFloat:
      case Mode::kAvgFloat:
        parallel_ranges(*ctx.pool, g_.out_h, [&](int, int begin, int end) {
          float* out = ctx.data<float>(output);
          if (mode_ == Mode::kMaxFloat) {
            kernel_->max_pool(g_, ctx.data<const float>(inputs[0]), out, begin, end);
          } else {
            kernel_->avg_pool(g_, count_include_pad_, ctx.data<const float>(inputs[0]), out, begin, end);
          }
          if (quantize_output_ < 0) return;
          // The fused quantize of these rows while they are in this core's cache.
          const int64_t first = int64_t{begin} * g_.out_w, pixels = int64_t{end - begin} * g_.out_w;
          quantize_.kernel->run(out + first * g_.out_c, pixels, g_.out_c, quantize_.params.scale,
                                quantize_.params.bias, quantize_.params.thresholds, 1,
                                ctx.data<uint64_t>(quantize_output_) + first * words_for(g_.out_c));
        });
        break;
      case Mode::kMaxOneBit:
        max_pool_1bit_or(g_, ctx.data<const uint64_t>(inputs[0]), ctx.data<uint64_t>(output));
        break;
      case Mode::kMaxPacked:
        max_pool_packed_ref(g_, bits_, ctx.data<const uint64_t>(inputs[0]), ctx.data<uint64_t>(output),
                            ctx.scratch_for(0));
        break;
    }
  }

  // A float pooling's one-bit quantize for the next layer, row range by row range.
  bool take_quantize(const QuantizeFusion& f) override {
    if ((mode_ != Mode::kMaxFloat && mode_ != Mode::kAvgFloat) || f.input != output || !f.kernel) return false;
    quantize_ = f;
    quantize_output_ = f.output;
    return true;
  }

  const PoolKernel* kernel_ = nullptr;
  QuantizeFusion quantize_;
  int quantize_output_ = -1;
  ConvGeometry g_;
  Mode mode_ = Mode::kMaxFloat;
  bool count_include_pad_ = true;
  int bits_ = 0;
};

class GlobalAvgPoolOp : public Op {
 public:
  void run(const RunContext& ctx) const override {
    kernel_->global_avg_pool(ctx.data<const float>(inputs[0]), pixels_, channels_, ctx.data<float>(output));
  }
  const PoolKernel* kernel_ = nullptr;
  int64_t pixels_ = 0;
  int channels_ = 0;
};

}  // namespace

std::unique_ptr<Op> make_pool2d_op(const fb::Pool2D& l, const BindContext& ctx) {
  auto op = std::make_unique<Pool2DOp>();
  op->kernel_ = ctx.choose(pool_kernels());
  op->g_ = ctx.geometry(*l.window(), l.input(), l.output(), 1);
  const TensorInfo& in = ctx.info(l.input());
  if (l.kind() == fb::PoolKind::AVERAGE) {
    op->mode_ = Pool2DOp::Mode::kAvgFloat;
    op->count_include_pad_ = l.count_include_pad();
    op->kernel = std::string("avg_pool_f32__") + op->kernel_->name;
  } else if (in.type == ElementType::kPacked && in.bits == 1) {
    op->mode_ = Pool2DOp::Mode::kMaxOneBit;
    op->kernel = "max_pool_1bit_or";
  } else if (in.type == ElementType::kPacked) {
    op->mode_ = Pool2DOp::Mode::kMaxPacked;
    op->bits_ = in.bits;
    op->scratch_bytes = max_pool_packed_ref_scratch_bytes(op->g_);
    op->kernel = "max_pool_packed_ref";
  } else {
    op->kernel = std::string("max_pool_f32__") + op->kernel_->name;
  }
  op->inputs = {l.input()};
  op->output = l.output();
  return op;
}

std::unique_ptr<Op> make_global_avg_pool_op(const fb::GlobalAvgPool& l, const BindContext& ctx) {
  auto op = std::make_unique<GlobalAvgPoolOp>();
  const TensorInfo& in = ctx.info(l.input());
  op->channels_ = in.shape[2];
  op->pixels_ = int64_t{in.shape[0]} * in.shape[1];
  op->inputs = {l.input()};
  op->output = l.output();
  op->kernel_ = ctx.choose(pool_kernels());
  op->kernel = std::string("global_avg_pool_f32__") + op->kernel_->name;
  return op;
}

}  // namespace bnn
