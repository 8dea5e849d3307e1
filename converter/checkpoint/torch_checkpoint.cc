// SPDX-License-Identifier: Apache-2.0
// torch.save's zip format (PyTorch >= 1.6): ARCHIVE/data.pkl holds the
// pickled object; each tensor's storage is ARCHIVE/data/KEY, named by a
// persistent id ('storage', torch.FloatStorage, KEY, 'cpu', numel).
//
// The pickle is read by the data-only Unpickler; meaning is given here to an
// allow-list of globals only: collections.OrderedDict,
// torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, the
// torch.*Storage types, torch.device and torch.Size. A tensor we need that
// depends on anything else is refused, naming the global and its byte offset;
// other entries that use unknown globals (optimizer state, argparse.Namespace,
// numpy scalars) are ignored with a note.
#include <map>
#include <set>

#include "converter/checkpoint/pickle.h"
#include "converter/checkpoint/weight_file_impl.h"
#include "converter/checkpoint/zip_reader.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

using K = PickleValue::Kind;

const std::set<std::string>& allowed_globals() {
  static const std::set<std::string> allowed = {
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
      "torch.device", "torch.Size"};
  return allowed;
}

DType storage_dtype(const std::string& global) {
  static const std::map<std::string, DType> types = {
      {"torch.FloatStorage", {"float32", 4, true}},   {"torch.HalfStorage", {"float16", 2, true}},
      {"torch.BFloat16Storage", {"bfloat16", 2, true}}, {"torch.DoubleStorage", {"float64", 8, false}},
      {"torch.LongStorage", {"int64", 8, false}},     {"torch.IntStorage", {"int32", 4, false}},
      {"torch.ShortStorage", {"int16", 2, false}},    {"torch.CharStorage", {"int8", 1, false}},
      {"torch.ByteStorage", {"uint8", 1, false}},     {"torch.BoolStorage", {"bool", 1, false}}};
  auto it = types.find(global);
  return it == types.end() ? DType{} : it->second;
}

bool allowed(const std::string& global) { return allowed_globals().count(global) || storage_dtype(global).bytes; }

// The first global outside the allow-list that `v` uses, or nullptr. Values
// are shared through the memo, so this walks a graph: each value once
// (`seen`), at most kMaxPickleDepth deep; deeper counts as forbidden (`deep`).
const PickleValue* forbidden_global(const PickleValue* v, int depth, std::set<const PickleValue*>& seen, bool* deep) {
  if (!seen.insert(v).second) return nullptr;
  if (depth > limits::kMaxPickleDepth) {
    *deep = true;
    return v;
  }
  if (v->is(K::kGlobal)) return allowed(v->text) ? nullptr : v;
  for (const PickleValue* item : v->items) {
    if (const PickleValue* f = forbidden_global(item, depth + 1, seen, deep)) return f;
  }
  for (const auto& [k, value] : v->entries) {
    if (const PickleValue* f = forbidden_global(k, depth + 1, seen, deep)) return f;
    if (const PickleValue* f = forbidden_global(value, depth + 1, seen, deep)) return f;
  }
  if (v->state) return forbidden_global(v->state, depth + 1, seen, deep);
  return nullptr;
}

// Dict-like: a dict, or an OrderedDict() call whose items were set on it.
bool is_dict(const PickleValue* v) {
  return v->is(K::kDict) || (v->is(K::kCall) && v->callable() == "collections.OrderedDict");
}

class TorchCheckpoint : public WeightFile {
 public:
  TorchCheckpoint(std::vector<uint8_t> bytes, const std::string& origin) : bytes_(std::move(bytes)), origin_(origin) {
    zip_ = std::make_unique<ZipArchive>(bytes_.data(), bytes_.size(), origin_);
    for (const ZipEntry& e : zip_->entries()) {
      const size_t slash = e.name.find('/');
      if (slash != std::string::npos && e.name.substr(slash) == "/data.pkl") {
        if (!prefix_.empty()) throw ConvertError(origin_ + ": more than one data.pkl in the archive");
        prefix_ = e.name.substr(0, slash);
      }
    }
    if (prefix_.empty()) throw ConvertError(origin_ + ": no ARCHIVE/data.pkl: not a torch.save checkpoint (PyTorch >= 1.6)");
    if (const ZipEntry* order = zip_->find(prefix_ + "/byteorder")) {
      const std::string text(reinterpret_cast<const char*>(zip_->read(*order)), order->size);
      if (text != "little") throw ConvertError(origin_ + ": saved with byte order " + quoted(text) + "; only little-endian is read");
    }
    const ZipEntry* pickle = zip_->find(prefix_ + "/data.pkl");
    unpickler_ = std::make_unique<Unpickler>(zip_->read(*pickle), pickle->size, origin_ + ":" + pickle->name);

    // The state dict: the root, or what it holds under "state_dict", "model" or
    // "model_state_dict" (Jzz24/pytorch_quantization's checkpoints).
    const PickleValue* dict = &unpickler_->root();
    std::string path;
    for (const char* key : {"state_dict", "model", "model_state_dict"}) {
      if (!is_dict(dict)) break;
      if (const PickleValue* inner = dict->get(key); inner && is_dict(inner)) {
        dict = inner;
        path = std::string("['") + key + "']";
        break;
      }
    }
    if (!is_dict(dict)) {
      const std::string kind = kind_name(dict->kind);
      throw ConvertError(origin_ + ": the checkpoint holds " + (kind == "object" || kind == "int" ? "an " : "a ") + kind +
                         (dict->callable().empty() ? "" : " made by " + dict->callable()) +
                         ", not a state dict (save model.state_dict(), not the model)");
    }
    if (path.size()) notes_.push_back("read the state dict under " + path);
    if (dict != &unpickler_->root()) {  // what the training script saved beside the state dict
      for (const auto& [k, v] : unpickler_->root().entries) {
        if (v == dict || !k->is(K::kString)) continue;
        std::set<const PickleValue*> seen;
        bool deep = false;
        if (const PickleValue* f = forbidden_global(v, 0, seen, &deep)) {
          notes_.push_back("ignored " + quoted(k->text) + " (" +
                           (deep ? std::string("nested too deeply to check") : "uses " + f->text) + ", byte " +
                           std::to_string(f->offset) + ")");
        }
      }
    }
    std::vector<std::string> raw_names;
    for (const auto& [k, v] : dict->entries) {
      if (!k->is(K::kString)) continue;
      raw_names.push_back(k->text);
      values_[k->text] = v;
    }
    names_ = strip_common_prefix(raw_names, "module.");
    for (size_t i = 0; i < names_.size(); ++i) raw_name_[names_[i]] = raw_names[i];
  }

  const std::vector<std::string>& names() const override { return names_; }
  std::vector<std::string> notes() const override { return notes_; }

  bool shape(const std::string& name, std::vector<int64_t>* shape) const override {
    const PickleValue* v = value(name);
    if (!v) return false;
    try {
      *shape = view(name, v).size;
    } catch (const ConvertError&) {
      return false;
    }
    return true;
  }

  Constant read(const std::string& name) const override {
    const PickleValue* v = value(name);
    if (!v) throw ConvertError(origin_ + ": no tensor " + quoted(name) + "");
    const View t = view(name, v);
    if (!t.type.is_float) {
      throw ConvertError(origin_ + ": tensor " + quoted(name) + " is " + (t.type.bytes ? t.type.name : "of an unknown type") +
                         "; weights must be float32, float16 or bfloat16");
    }
    const ZipEntry* storage = zip_->find(prefix_ + "/data/" + t.key);
    if (!storage) throw ConvertError(origin_ + ": tensor " + quoted(name) + ": its storage data/" + t.key + " is missing");
    // Every element the view reaches must be inside the storage.
    const uint64_t storage_elements = storage->size / static_cast<uint64_t>(t.type.bytes);
    if (static_cast<uint64_t>(t.offset) > storage_elements) {
      throw ConvertError(origin_ + ": tensor " + quoted(name) + ": storage offset " + std::to_string(t.offset) +
                         " is past its storage of " + std::to_string(storage_elements));
    }
    int64_t count = 1;
    uint64_t last = static_cast<uint64_t>(t.offset);
    for (size_t d = 0; d < t.size.size(); ++d) {
      if (t.size[d] == 0) count = 0;
      if (count == 0) break;
      // More elements than the storage holds (an expanded view, or a lie) would
      // let a small file ask for a huge tensor: refused.
      if (count > static_cast<int64_t>(storage_elements) / t.size[d]) {
        throw ConvertError(origin_ + ": tensor " + quoted(name) + " has more elements than its storage of " +
                           std::to_string(storage_elements) + " holds");
      }
      count *= t.size[d];
      last += static_cast<uint64_t>(t.size[d] - 1) * static_cast<uint64_t>(t.stride[d]);
    }
    if (count > 0 && last >= storage_elements) {
      throw ConvertError(origin_ + ": tensor " + quoted(name) + ": its view (offset " + std::to_string(t.offset) +
                         ", sizes and strides) reaches element " + std::to_string(last) + " of a storage of " +
                         std::to_string(storage_elements));
    }
    Constant c;
    c.shape = t.size;
    const uint8_t* base = zip_->read(*storage) + static_cast<uint64_t>(t.offset) * t.type.bytes;
    decode_elements(base, t.type, count, c.values, [&](int64_t i) {
      int64_t at = 0;
      for (size_t d = t.size.size(); d-- > 0;) {
        at += (i % t.size[d]) * t.stride[d];
        i /= t.size[d];
      }
      return at;
    });
    return c;
  }

 private:
  struct View {
    std::string key;
    DType type;
    int64_t offset = 0;
    std::vector<int64_t> size, stride;
  };

  const PickleValue* value(const std::string& name) const {
    auto raw = raw_name_.find(name);
    return raw == raw_name_.end() ? nullptr : values_.at(raw->second);
  }

  [[noreturn]] void refuse(const std::string& name, const PickleValue* at, const std::string& why) const {
    throw ConvertError(origin_ + ": tensor " + quoted(name) + " (byte " + std::to_string(at->offset) + "): " + why);
  }

  std::vector<int64_t> ints(const std::string& name, const PickleValue* v, const char* what) const {
    if (v->is(K::kCall) && v->callable() == "torch.Size" && v->items[1]->items.size() == 1) v = v->items[1]->items[0];
    if (!v->is(K::kTuple)) refuse(name, v, std::string(what) + " is not a tuple");
    std::vector<int64_t> out;
    for (const PickleValue* i : v->items) {
      if (!i->is(K::kInt) || i->integer < 0 || i->integer > limits::kMaxOnnxConstantElements) {
        refuse(name, i, std::string(what) + " holds something other than a size >= 0 and <= 2^28");
      }
      out.push_back(i->integer);
    }
    if (out.size() > 8) refuse(name, v, std::string(what) + " has more than 8 dimensions");
    return out;
  }

  View view(const std::string& name, const PickleValue* v) const {
    for (int depth = 0; depth < 4 && v->is(K::kCall); ++depth) {
      const std::string callable = v->callable();
      if (callable.empty()) refuse(name, v, "made by calling something other than a named global");
      if (!allowed(callable)) {
        refuse(name, v->items[0], "needs " + callable + ", which is not on the allow-list (this reader runs no code)");
      }
      const PickleValue& args = *v->items[1];
      if (callable == "torch._utils._rebuild_parameter") {
        if (args.items.empty()) refuse(name, v, "_rebuild_parameter without arguments");
        v = args.items[0];
        continue;
      }
      if (callable != "torch._utils._rebuild_tensor_v2") refuse(name, v, "is a " + callable + ", not a tensor");
      if (args.items.size() < 4) refuse(name, v, "_rebuild_tensor_v2 with too few arguments");
      View t;
      const PickleValue* pid = args.items[0];
      if (!pid->is(K::kPersistentId) || !pid->items[0]->is(K::kTuple) || pid->items[0]->items.size() < 5) {
        refuse(name, pid, "its storage is not a ('storage', type, key, location, numel) persistent id");
      }
      const auto& p = pid->items[0]->items;
      if (!p[0]->is(K::kString) || p[0]->text != "storage" || !p[2]->is(K::kString)) {
        refuse(name, pid, "its storage is not a ('storage', type, key, location, numel) persistent id");
      }
      if (!p[1]->is(K::kGlobal)) refuse(name, p[1], "its storage type is not a global");
      if (!allowed(p[1]->text)) {
        refuse(name, p[1], "needs " + p[1]->text + ", which is not on the allow-list (this reader runs no code)");
      }
      t.type = storage_dtype(p[1]->text);
      t.key = p[2]->text;
      if (t.key.find('/') != std::string::npos || t.key.find("..") != std::string::npos) {
        refuse(name, pid, "its storage key " + quoted(t.key) + " is not a plain name");
      }
      if (!args.items[1]->is(K::kInt) || args.items[1]->integer < 0) refuse(name, args.items[1], "a negative storage offset");
      t.offset = args.items[1]->integer;
      t.size = ints(name, args.items[2], "its size");
      t.stride = ints(name, args.items[3], "its stride");
      if (t.size.size() != t.stride.size()) refuse(name, v, "its size and stride differ in length");
      return t;
    }
    if (v->is(K::kCall)) refuse(name, v, "nested deeper than a parameter of a tensor");
    refuse(name, v, std::string("is a ") + kind_name(v->kind) + ", not a tensor");
  }

  std::vector<uint8_t> bytes_;
  std::string origin_;
  std::unique_ptr<ZipArchive> zip_;
  std::string prefix_;
  std::unique_ptr<Unpickler> unpickler_;
  std::map<std::string, const PickleValue*> values_;
  std::vector<std::string> names_, notes_;
  std::map<std::string, std::string> raw_name_;
};

}  // namespace

std::unique_ptr<WeightFile> make_torch_checkpoint(std::vector<uint8_t> bytes, const std::string& origin) {
  return std::make_unique<TorchCheckpoint>(std::move(bytes), origin);
}

}  // namespace bnn::convert
