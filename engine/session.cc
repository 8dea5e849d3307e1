// SPDX-License-Identifier: Apache-2.0
// Running a model: one arena planned at load, filled and read in place.
#include <algorithm>
#include <cmath>
#include <string>
#include <system_error>

#include "engine/layout.h"
#include "engine/model_impl.h"
#include "engine/parallel.h"
#include "engine/thread_pool.h"

namespace bnn {

struct Session::Impl {
  std::shared_ptr<const Model> model;
  AlignedBuffer arena;
  AlignedBuffer scratch;
  size_t scratch_stride = 0;
  std::unique_ptr<ThreadPool> pool;
};

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
  if (!model) throw Error("Session: null model");
  if (options.threads < 1 || options.threads > kMaxThreads) {
    throw Error("Session: threads must be 1 to " + std::to_string(kMaxThreads));
  }
  const Model::Impl& m = *model->impl_;
  impl_->model = std::move(model);
  impl_->scratch_stride = static_cast<size_t>(align_up(static_cast<int64_t>(m.scratch_bytes)));
  try {
    impl_->arena = AlignedBuffer(static_cast<size_t>(m.arena_bytes));
    impl_->scratch = AlignedBuffer(impl_->scratch_stride * options.threads);
  } catch (const std::bad_alloc&) {
    throw Error("Session: cannot allocate " + std::to_string(m.arena_bytes) + " bytes of activation memory");
  }
  try {
    impl_->pool = std::make_unique<ThreadPool>(options.threads);
  } catch (const std::system_error& e) {
    throw Error("Session: cannot start " + std::to_string(options.threads - 1) + " worker thread(s): " + e.what());
  }
}

Session::~Session() = default;

const Model& Session::model() const { return *impl_->model; }
int Session::threads() const { return impl_->pool->size(); }

namespace {

// Why an output is not finite, as far as the input tells.
std::string non_finite_output(const float* input, int64_t input_count, int64_t at) {
  std::string message = "the model's output is not finite (NaN or infinity) at element " + std::to_string(at);
  for (int64_t i = 0; i < input_count; ++i) {
    if (!std::isfinite(input[i])) return message + ": the input holds a non-finite value at element " + std::to_string(i);
  }
  return message + ": a float layer overflowed (inputs far outside the range the model was trained on?)";
}

}  // namespace

void Session::run(const float* input_chw, float* output, const LayerObserver& observer) {
  const Model::Impl& m = *impl_->model->impl_;
  RunContext ctx;
  ctx.tensors = m.tensors.data();
  ctx.arena = impl_->arena.data();
  ctx.scratch = impl_->scratch.data();
  ctx.scratch_stride = impl_->scratch_stride;
  ctx.pool = impl_->pool.get();

  const std::vector<int>& in_shape = m.tensor_infos[m.input].shape;
  if (in_shape.size() == 3) {
    parallel_ranges(*ctx.pool, in_shape[0], [&](int, int y0, int y1) {
      chw_to_hwc_rows(input_chw, in_shape[0], in_shape[1], in_shape[2], y0, y1, ctx.data<float>(m.input));
    });
  } else {
    chw_to_hwc(input_chw, in_shape, ctx.data<float>(m.input));
  }
  for (size_t i = 0; i < m.ops.size(); ++i) {
    const Op& op = *m.ops[i];
    op.run(ctx);
    if (observer) observer(static_cast<int>(i), TensorView{&m.tensor_infos[op.output], ctx.data<const void>(op.output)});
  }
  hwc_to_chw(ctx.data<const float>(m.output), m.tensor_infos[m.output].shape, output);
  const int64_t count = m.tensor_infos[m.output].element_count();
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(output[i])) throw Error(non_finite_output(input_chw, m.tensor_infos[m.input].element_count(), i));
  }
}

}  // namespace bnn
