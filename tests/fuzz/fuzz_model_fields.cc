// SPDX-License-Identifier: Apache-2.0
// libFuzzer, structure-aware: a valid model (a small binarized ResNet made with
// the builder) whose fields the input rewrites one by one: tensor shapes,
// types, bit widths, encodings, buffer indices and lengths, layer inputs,
// outputs, weights, windows, groups, transforms, schedules. The result is a
// well-formed FlatBuffer with wrong meaning, where engines break; loading must
// refuse it with bnn::Error or run it correctly.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "bnn/engine.h"
#include "fuzz_run.h"
#include "model_format/builder.h"

namespace {

std::vector<uint8_t> seed_model() {
  using namespace bnn;
  ModelBuilder b;
  int x = b.input("x", 6, 5, 3);
  FloatTransformSpec stem;
  stem.bias = std::vector<float>(8, 0.1f);
  stem.activation.kind = ActivationKind::kRelu;
  x = b.conv2d("stem", x, 8, WindowSpec::square(3, 1, 1), std::vector<float>(8 * 9 * 3, 0.2f), stem);
  const int q = b.quantize("sign", x, 1, Encoding::kBipolar, std::vector<float>(8, 0.5f));
  ThresholdSpec bits;
  bits.thresholds = std::vector<int32_t>(8, 1);
  bits.direction = std::vector<int8_t>(8, 1);
  const int p = b.bitserial_conv2d("b1", q, 8, WindowSpec::square(3, 1, 1),
                                   CodeWeights{1, Encoding::kBipolar, std::vector<uint8_t>(8 * 9 * 8, 1)}, bits);
  FloatTransformSpec t;
  t.scale = std::vector<float>(8, 0.5f);
  t.residual = x;
  int y = b.bitserial_conv2d("b2", p, 8, WindowSpec::square(3, 1, 1),
                             CodeWeights{1, Encoding::kBipolar, std::vector<uint8_t>(8 * 9 * 8, 0)}, t);
  y = b.max_pool("pool", y, WindowSpec::square(2, 2, 0));
  const int g = b.global_avg_pool("gap", y);
  b.set_output(b.softmax("prob", b.dense("fc", g, 4, std::vector<float>(32, 0.1f))));
  return b.finish();
}

template <typename T>
void set(FuzzedDataProvider& in, T* field) {
  *field = static_cast<T>(in.ConsumeIntegralInRange<int64_t>(-3, 70));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> seed = seed_model();
  bnn::fb::ModelT m;
  bnn::fb::GetModel(seed.data())->UnPackTo(&m);
  FuzzedDataProvider in(data, size);
  while (in.remaining_bytes() > 0) {
    const int what = in.ConsumeIntegralInRange(0, 13);
    auto& tensor = *m.tensors[in.ConsumeIntegralInRange<size_t>(0, m.tensors.size() - 1)];
    auto& layer = *m.layers[in.ConsumeIntegralInRange<size_t>(0, m.layers.size() - 1)];
    switch (what) {
      case 0:
        if (!tensor.shape.empty()) set(in, &tensor.shape[in.ConsumeIntegralInRange<size_t>(0, tensor.shape.size() - 1)]);
        break;
      case 1: tensor.shape.push_back(in.ConsumeIntegralInRange(1, 4)); break;
      case 2: set(in, &tensor.type); break;
      case 3: set(in, &tensor.bits); break;
      case 4: set(in, &tensor.encoding); break;
      case 5: set(in, &tensor.buffer); break;
      case 6:
        if (!m.buffers.empty()) {
          auto& buffer = *m.buffers[in.ConsumeIntegralInRange<size_t>(0, m.buffers.size() - 1)];
          buffer.data.resize(in.ConsumeIntegralInRange<size_t>(0, buffer.data.size() + 64), 0xFF);
        }
        break;
      case 7:
        if (auto* c = layer.options.AsBitserialConv2D()) {
          set(in, in.ConsumeBool() ? &c->input : (in.ConsumeBool() ? &c->output : &c->weights));
          if (c->window) set(in, in.ConsumeBool() ? &c->window->pad_top : &c->window->stride_w);
          set(in, &c->groups);
          if (c->transform) set(in, in.ConsumeBool() ? &c->transform->residual : &c->transform->thresholds);
        }
        break;
      case 8:
        if (auto* c = layer.options.AsConv2D()) {
          set(in, in.ConsumeBool() ? &c->input : &c->weights);
          if (c->window) set(in, in.ConsumeBool() ? &c->window->kernel_h : &c->window->dilation_w);
        }
        break;
      case 9:
        if (auto* q = layer.options.AsQuantize()) set(in, in.ConsumeBool() ? &q->thresholds : &q->input);
        if (auto* p = layer.options.AsPool2D()) {
          set(in, &p->kind);
          if (p->window) set(in, &p->window->pad_right);
        }
        break;
      case 10:
        if (auto* d = layer.options.AsDense()) set(in, in.ConsumeBool() ? &d->weights : &d->output);
        break;
      case 11: {
        auto schedule = std::make_unique<bnn::fb::ScheduleT>();
        schedule->kernel = in.ConsumeRandomLengthString(40);
        set(in, &schedule->tile_oc);
        layer.schedule = std::move(schedule);
        break;
      }
      case 12:  // execution order (a union's type tag is not rewritten: the generated code would free the wrong type)
        std::swap(m.layers[in.ConsumeIntegralInRange<size_t>(0, m.layers.size() - 1)],
                  m.layers[in.ConsumeIntegralInRange<size_t>(0, m.layers.size() - 1)]);
        break;
      case 13: m.outputs = {in.ConsumeIntegralInRange<int>(-1, static_cast<int>(m.tensors.size()))}; break;
    }
  }
  flatbuffers::FlatBufferBuilder fbb;
  bnn::fb::FinishModelBuffer(fbb, bnn::fb::Model::Pack(fbb, &m));
  bnn::LoadOptions options;
  options.verify_checksum = false;
  try {
    bnn::fuzz::run_if_small(bnn::Model::load_buffer(fbb.GetBufferPointer(), fbb.GetSize(), options));
  } catch (const bnn::Error&) {
  }
  return 0;
}
