// SPDX-License-Identifier: Apache-2.0
// Loading: read, verify, validate, copy constants to aligned storage, bind
// every layer, plan activation memory.
#include <algorithm>
#include <cstring>
#include <limits>

#include "engine/bind.h"
#include "engine/memory_plan.h"
#include "engine/model_impl.h"
#include "kernels/cpu_features.h"
#include "model_format/checksum.h"
#include "model_format/input_file.h"
#include "model_format/validate.h"

namespace bnn {
namespace {

using limits::kMaxModelBytes;

TensorInfo tensor_info(const fb::Tensor& t) {
  TensorInfo info;
  info.name = t.name() ? t.name()->str() : "";
  info.shape.assign(t.shape()->begin(), t.shape()->end());
  switch (t.type()) {
    case fb::ElementType::FLOAT32: info.type = ElementType::kFloat32; break;
    case fb::ElementType::INT8: info.type = ElementType::kInt8; break;
    case fb::ElementType::INT32: info.type = ElementType::kInt32; break;
    case fb::ElementType::PACKED: info.type = ElementType::kPacked; break;
  }
  info.bits = t.bits();
  info.bipolar = t.encoding() == fb::Encoding::BIPOLAR;
  return info;
}

std::string precision_of(const fb::Layer& layer, const std::vector<TensorInfo>& infos) {
  auto bits = [&](int tensor) { return std::to_string(infos[tensor].bits); };
  switch (layer.options_type()) {
    case fb::LayerOptions::BitserialConv2D: {
      const fb::BitserialConv2D* l = layer.options_as_BitserialConv2D();
      std::string p = "W" + bits(l->weights()) + "A" + bits(l->input());
      if (infos[l->output()].type == ElementType::kPacked) p += "->A" + bits(l->output());
      return p;
    }
    case fb::LayerOptions::Quantize: return "f32->A" + bits(layer.options_as_Quantize()->output());
    case fb::LayerOptions::Int8Conv2D: return "int8";
    case fb::LayerOptions::Pool2D: {
      const int in = layer.options_as_Pool2D()->input();
      return infos[in].type == ElementType::kPacked ? "A" + bits(in) : "f32";
    }
    default: return "f32";
  }
}

std::string describe_schedule(const fb::Schedule* s) {
  if (!s) return "default";
  std::string d = s->kernel() && s->kernel()->size() ? s->kernel()->str() : "default kernel";
  d += " tiles oc" + std::to_string(s->tile_oc()) + " rows" + std::to_string(s->tile_rows()) + " pixels" +
       std::to_string(s->tile_pixels());
  d += std::string(" order ") + fb::EnumNameLoopOrder(s->loop_order()) + " parallel " +
       fb::EnumNameParallelAxis(s->parallel_axis());
  if (s->threads()) d += " threads " + std::to_string(s->threads());
  if (s->tuned_for()) {
    const fb::CpuIdentity* cpu = s->tuned_for();
    d += " tuned for " + (cpu->model_name() ? cpu->model_name()->str() : std::string("?"));
  }
  if (s->tuned_date()) d += " on " + s->tuned_date()->str();
  return d;
}

}  // namespace

std::unique_ptr<Model::Impl> bind_model(const fb::Model& m) {
  auto impl = std::make_unique<Model::Impl>();
  const int tensor_count = static_cast<int>(m.tensors()->size());

  // Constants: one aligned block, each tensor at an aligned offset.
  int64_t constant_total = 0;
  for (const fb::Tensor* t : *m.tensors()) {
    impl->tensor_infos.push_back(tensor_info(*t));
    TensorRecord r;
    r.bytes = tensor_byte_size(*t);
    if (t->buffer() >= 0) constant_total += align_up(r.bytes);
    impl->tensors.push_back(r);
  }
  impl->constants = AlignedBuffer(static_cast<size_t>(constant_total));
  int64_t offset = 0;
  for (int i = 0; i < tensor_count; ++i) {
    const fb::Tensor* t = m.tensors()->Get(i);
    if (t->buffer() < 0) continue;
    const auto* data = m.buffers()->Get(t->buffer())->data();
    uint8_t* dst = impl->constants.data() + offset;
    if (data->size()) std::memcpy(dst, data->data(), data->size());
    impl->tensors[i].constant = dst;
    offset += align_up(impl->tensors[i].bytes);
  }

  // Ops, in file order (the validator proved it is an execution order).
  for (int i = 0; i < static_cast<int>(m.layers()->size()); ++i) {
    const fb::Layer& layer = *m.layers()->Get(i);
    LayerInfo info;
    std::vector<int> constants_read;
    BindContext ctx{impl->tensor_infos, impl->tensors, layer.schedule(), &info.schedule_note, &constants_read};
    std::unique_ptr<Op> op = bind_layer(layer, ctx);
    std::sort(constants_read.begin(), constants_read.end());
    constants_read.erase(std::unique(constants_read.begin(), constants_read.end()), constants_read.end());
    for (int t : constants_read) info.weight_bytes += impl->tensors[t].bytes;
    info.name = layer.name() ? layer.name()->str() : "";
    info.kind = fb::EnumNameLayerOptions(layer.options_type());
    if (layer.options_as_Softmax() && layer.options_as_Softmax()->log()) info.kind = "LogSoftmax";
    info.precision = precision_of(layer, impl->tensor_infos);
    info.kernel = op->kernel;
    info.schedule = describe_schedule(layer.schedule());
    info.inputs = op->inputs;
    info.output = op->output;
    info.macs = op->macs;
    impl->scratch_bytes = std::max(impl->scratch_bytes, op->scratch_bytes);
    impl->layers.push_back(std::move(info));
    impl->ops.push_back(std::move(op));
  }

  // Fusion: a one-bit Quantize whose input the layer just before it wrote is
  // done in that layer's epilogue (the float tensor is not read again). The
  // Quantize stays in the list (its output is observed as before) and does
  // nothing; the producer writes that output a step earlier (also_writes).
  for (size_t i = 1; i < impl->ops.size(); ++i) {
    QuantizeFusion f;
    if (!impl->ops[i]->describe_quantize(&f) || !impl->ops[i - 1]->take_quantize(f)) continue;
    impl->ops[i]->skip_as_fused();
    impl->ops[i - 1]->also_writes.push_back(f.output);
    impl->layers[i].kernel = "fused into " + impl->layers[i - 1].name;
  }

  // Activation lifetimes in steps: the graph input is written at step 0, layer
  // i at step i + 1, and the graph output is read after the last layer.
  impl->input = m.inputs()->Get(0);
  impl->output = m.outputs()->Get(0);
  const int last_step = static_cast<int>(impl->ops.size()) + 1;
  std::vector<int> lifetime_of(tensor_count, -1);
  std::vector<BufferLifetime> lifetimes;
  auto touch = [&](int tensor, int step) {
    if (impl->tensors[tensor].constant) return;
    if (lifetime_of[tensor] < 0) {
      lifetime_of[tensor] = static_cast<int>(lifetimes.size());
      lifetimes.push_back({impl->tensors[tensor].bytes, step, step});
    }
    lifetimes[lifetime_of[tensor]].last_step = std::max(lifetimes[lifetime_of[tensor]].last_step, step);
  };
  // In place: an op's output takes the bytes of its in_place_input when the
  // op is that tensor's last reader (a residual block's float output over
  // its dead shortcut: one tensor's traffic instead of two, and the working
  // set of a 56x56x64 block stays in L2). Never over the graph's input
  // (kept whole for the session's run, a conservative choice); the graph's
  // output is read after the last step, so no op is its last reader.
  std::vector<int> last_read(tensor_count, -1);
  for (size_t i = 0; i < impl->ops.size(); ++i) {
    for (int t : impl->ops[i]->inputs) last_read[t] = static_cast<int>(i) + 1;
  }
  last_read[impl->output] = last_step;
  touch(impl->input, 0);
  for (size_t i = 0; i < impl->ops.size(); ++i) {
    const Op& op = *impl->ops[i];
    const int step = static_cast<int>(i) + 1;
    for (int t : op.inputs) touch(t, step);
    const int shared = op.in_place_input;
    if (shared >= 0 && shared != impl->input && lifetime_of[shared] >= 0 &&
        last_read[shared] == step && lifetime_of[op.output] < 0 &&
        impl->tensors[shared].bytes == impl->tensors[op.output].bytes) {
      lifetime_of[op.output] = lifetime_of[shared];
    }
    touch(op.output, step);
    for (int t : op.also_writes) touch(t, step);
  }
  touch(impl->output, last_step);
  const MemoryPlan plan = plan_memory(lifetimes);
  for (int t = 0; t < tensor_count; ++t) {
    if (lifetime_of[t] >= 0) impl->tensors[t].arena_offset = plan.offsets[lifetime_of[t]];
  }
  impl->arena_bytes = plan.arena_bytes;

  // Metadata.
  if (m.labels()) {
    for (const auto* s : *m.labels()) impl->labels.push_back(s->str());
  }
  Preprocessing& pre = impl->preprocessing;
  if (const fb::InputInfo* in = m.input_info()) {
    pre.color = in->color() == fb::ColorOrder::GRAY  ? Preprocessing::Color::kGray
                : in->color() == fb::ColorOrder::BGR ? Preprocessing::Color::kBGR
                                                     : Preprocessing::Color::kRGB;
    pre.resize = in->resize() == fb::ResizeMode::FIT               ? Preprocessing::Resize::kFit
                 : in->resize() == fb::ResizeMode::SHORT_SIDE_CROP ? Preprocessing::Resize::kShortSideCrop
                                                                   : Preprocessing::Resize::kDirect;
    pre.crop_fraction = in->crop_fraction();
    pre.invert = in->invert();
    if (in->mean()) pre.mean.assign(in->mean()->begin(), in->mean()->end());
    if (in->std()) pre.stddev.assign(in->std()->begin(), in->std()->end());
  }
  const std::vector<int>& input_shape = impl->tensor_infos[impl->input].shape;  // [H, W, C]
  pre.height = input_shape[0];
  pre.width = input_shape[1];
  pre.channels = input_shape[2];
  // Pictures follow the input's channel count. Colour metadata that
  // contradicts it (written by hand, or by an older converter) is overridden
  // and said once; such files keep loading.
  const bool grey = pre.color == Preprocessing::Color::kGray;
  if (pre.channels == 1 && !grey) {
    impl->warnings.push_back(std::string("the input has 1 channel, but the model's colour metadata says ") +
                             (m.input_info() ? "RGB/BGR" : "nothing") +
                             ": pictures are read as grey (fix the file: bnn-convert ... --color grey)");
    pre.color = Preprocessing::Color::kGray;
  } else if (pre.channels == 3 && grey) {
    impl->warnings.push_back("the input has 3 channels, but the model's colour metadata says grey: pictures are read "
                             "as RGB (fix the file: bnn-convert ... --color rgb or bgr)");
    pre.color = Preprocessing::Color::kRGB;
  }
  impl->description = m.description() ? m.description()->str() : "";
  impl->producer = m.producer() ? m.producer()->str() : "";
  impl->schema_version = m.schema_version();
  impl->constants_checksum = m.constants_checksum();
  return impl;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::shared_ptr<const Model> Model::from_bytes(const uint8_t* data, size_t size, const std::string& origin,
                                               const LoadOptions& options) {
  try {
    AlignedBuffer copy(size);
    if (size) std::memcpy(copy.data(), data, size);
    return from_aligned(copy, origin, options);
  } catch (const std::bad_alloc&) {
    throw Error(origin + ": out of memory while loading the model");
  }
}

// The verifier and every typed read see aligned, private bytes (no one else
// can change them between the checks and the reads). They are dropped after
// binding; the constants were copied out.
std::shared_ptr<const Model> Model::from_aligned(const AlignedBuffer& bytes, const std::string& origin,
                                                 const LoadOptions& options) {
  try {
    if (const std::string problem = isa_setting_problem(); !problem.empty()) throw Error(problem);
    const std::string error = validate_model_bytes(bytes.data(), bytes.size());
    if (!error.empty()) throw Error(origin + ": " + error);
    const fb::Model& model = *fb::GetModel(bytes.data());
    if (options.verify_checksum) {
      if (model.constants_checksum() == 0) {
        throw Error(origin + ": the model has no constants checksum (load it with verification off to use it anyway)");
      }
      if (constants_checksum(model) != model.constants_checksum()) {
        throw Error(origin + ": the constant data does not match the file's checksum: the file is damaged");
      }
    }
    return std::shared_ptr<const Model>(new Model(bind_model(model)));
  } catch (const std::bad_alloc&) {
    throw Error(origin + ": out of memory while loading the model");
  }
}

std::shared_ptr<const Model> Model::load_buffer(const void* data, size_t size, const LoadOptions& options) {
  if (!data && size) throw Error("<memory>: null model buffer");
  // Compared unsigned: a size of 2^63 or more must not turn negative and pass.
  if (size > static_cast<uint64_t>(kMaxModelBytes)) throw Error("<memory>: a model cannot exceed 2 GiB");
  return from_bytes(static_cast<const uint8_t*>(data), size, "<memory>", options);
}

std::shared_ptr<const Model> Model::load_file(const std::string& path, const LoadOptions& options) {
  // Read once, straight into the aligned buffer the verifier checks. Not
  // memory-mapped: a mapping would be copied anyway, and a file truncated
  // while mapped kills the process with SIGBUS instead of giving an error.
  InputFile file(path);  // refuses FIFOs and devices before they can block
  if (!file.error().empty()) throw FileError(path + ": " + file.error());
  if (file.size() > kMaxModelBytes) throw Error(path + ": a model cannot exceed 2 GiB");
  const size_t size = static_cast<size_t>(file.size());
  AlignedBuffer bytes;
  try {
    bytes = AlignedBuffer(size);
  } catch (const std::bad_alloc&) {
    throw Error(path + ": out of memory reading the model");
  }
  if (const std::string e = file.read_exactly(bytes.data(), size); !e.empty()) throw FileError(path + ": " + e);
  return from_aligned(bytes, path, options);
}

const TensorInfo& Model::input() const { return impl_->tensor_infos[impl_->input]; }
const TensorInfo& Model::output() const { return impl_->tensor_infos[impl_->output]; }
const std::vector<TensorInfo>& Model::tensors() const { return impl_->tensor_infos; }
const std::vector<LayerInfo>& Model::layers() const { return impl_->layers; }
const std::vector<std::string>& Model::labels() const { return impl_->labels; }
const Preprocessing& Model::preprocessing() const { return impl_->preprocessing; }
const std::string& Model::description() const { return impl_->description; }
const std::vector<std::string>& Model::warnings() const { return impl_->warnings; }
const std::string& Model::producer() const { return impl_->producer; }
uint32_t Model::schema_version() const { return impl_->schema_version; }
int64_t Model::constant_bytes() const { return static_cast<int64_t>(impl_->constants.size()); }
int64_t Model::arena_bytes() const { return impl_->arena_bytes; }

}  // namespace bnn
