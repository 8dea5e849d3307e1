// SPDX-License-Identifier: Apache-2.0
#include "converter/checkpoint/pickle.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "converter/ir.h"
#include "model_format/limits.h"

namespace bnn::convert {

const char* kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::kNone: return "None";
    case PickleValue::Kind::kBool: return "bool";
    case PickleValue::Kind::kInt: return "int";
    case PickleValue::Kind::kFloat: return "float";
    case PickleValue::Kind::kString: return "str";
    case PickleValue::Kind::kBytes: return "bytes";
    case PickleValue::Kind::kTuple: return "tuple";
    case PickleValue::Kind::kList: return "list";
    case PickleValue::Kind::kDict: return "dict";
    case PickleValue::Kind::kSet: return "set";
    case PickleValue::Kind::kGlobal: return "global";
    case PickleValue::Kind::kCall: return "object";
    case PickleValue::Kind::kPersistentId: return "persistent id";
  }
  return "?";
}

namespace {

// Names of the opcodes we refuse, for the error message.
const char* refused_opcode_name(uint8_t op) {
  switch (op) {
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 'P': return "PERSID";
    case 'I': return "INT";
    case 'L': return "LONG";
    case 'F': return "FLOAT";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 'T': return "BINSTRING";
    case 'p': return "PUT";
    case 'g': return "GET";
    case 'l': return "LIST";
    case 'd': return "DICT";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 0x8b: return "LONG4";
    case 0x8d: return "BINUNICODE8";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
  }
  return nullptr;
}

}  // namespace

std::string PickleValue::callable() const {
  if (kind != Kind::kCall || items.empty() || !items[0]->is(Kind::kGlobal)) return "";
  return items[0]->text;
}

const PickleValue* PickleValue::get(const std::string& key) const {
  for (const auto& [k, v] : entries) {
    if (k->is(Kind::kString) && k->text == key) return v;
  }
  return nullptr;
}

namespace {

// Runs the opcodes, one member function each, dispatched through a table
// indexed by the opcode byte; an opcode with no entry is refused by name.
class Parser {
 public:
  using K = PickleValue::Kind;

  Parser(const uint8_t* data, size_t size, const std::string& origin, std::vector<std::unique_ptr<PickleValue>>& arena)
      : data_(data), size_(size), origin_(origin), arena_(arena) {}

  const PickleValue* parse() {
    for (int64_t ops = 0; !root_; ++ops) {
      if (ops > limits::kMaxPickleOps) fail("more than " + std::to_string(limits::kMaxPickleOps) + " opcodes (kMaxPickleOps)");
      op_at_ = at_;
      if (at_ >= size_) fail("the pickle ends without STOP (truncated)");
      const uint8_t op = data_[at_++];
      const Handler handler = handlers()[op];
      if (!handler) refuse(op);
      (this->*handler)(op);
    }
    return root_;
  }

 private:
  using Handler = void (Parser::*)(uint8_t op);

  // The opcodes a state dict uses (protocols 2 to 5), and nothing else.
  static const std::array<Handler, 256>& handlers() {
    static const std::array<Handler, 256> table = [] {
      std::array<Handler, 256> t{};
      t[0x80] = &Parser::proto;
      t[0x95] = &Parser::frame;
      t['.'] = &Parser::stop;
      t['('] = &Parser::mark;
      t['c'] = &Parser::global;
      t[0x93] = &Parser::stack_global;
      t['R'] = t[0x81] = &Parser::reduce;  // REDUCE, NEWOBJ
      t['b'] = &Parser::build;
      t['a'] = &Parser::append;
      t['e'] = &Parser::appends;
      t['s'] = &Parser::setitem;
      t['u'] = &Parser::setitems;
      t[0x90] = &Parser::additems;
      t['t'] = &Parser::tuple;
      t[0x85] = t[0x86] = t[0x87] = &Parser::small_tuple;  // TUPLE1..3
      t[')'] = t[']'] = t['}'] = t[0x8f] = t['N'] = &Parser::empty;  // EMPTY_TUPLE/LIST/DICT/SET, NONE
      t[0x88] = t[0x89] = &Parser::boolean;                          // NEWTRUE, NEWFALSE
      t['J'] = t['K'] = t['M'] = &Parser::binint;                     // BININT, BININT1, BININT2
      t[0x8a] = &Parser::long1;
      t['G'] = &Parser::binfloat;
      // BINUNICODE, SHORT_BINUNICODE, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES, BINBYTES8
      t['X'] = t[0x8c] = t['U'] = t['B'] = t['C'] = t[0x8e] = &Parser::string;
      t[0x94] = &Parser::memoize;
      t['q'] = t['r'] = &Parser::binput;  // BINPUT, LONG_BINPUT
      t['h'] = t['j'] = &Parser::binget;  // BINGET, LONG_BINGET
      t['Q'] = &Parser::binpersid;
      return t;
    }();
    return table;
  }

  // ---- reading

  [[noreturn]] void fail(const std::string& why) const {
    throw ConvertError(origin_ + ": byte " + std::to_string(op_at_) + ": " + why);
  }
  [[noreturn]] void refuse(uint8_t op) const {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    const char* name = refused_opcode_name(op);
    fail(std::string("opcode ") + (name ? name : "unknown") + " (" + hex +
         ") is not allowed: a state dict needs only the data opcodes this reader runs");
  }
  void need(size_t n) const {
    if (n > size_ - at_) fail("the pickle ends inside an opcode's argument (truncated)");
  }
  uint64_t uint_le(int n) {
    need(static_cast<size_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | data_[at_ + i];
    at_ += static_cast<size_t>(n);
    return v;
  }
  std::string bytes(uint64_t n) {
    if (n > size_ - at_) fail("a string of " + std::to_string(n) + " bytes runs past the end of the pickle");
    std::string s(reinterpret_cast<const char*>(data_ + at_), static_cast<size_t>(n));
    at_ += static_cast<size_t>(n);
    return s;
  }
  std::string line() {
    const void* end = std::memchr(data_ + at_, '\n', size_ - at_);
    if (!end) fail("GLOBAL without an end of line");
    const size_t length = static_cast<size_t>(static_cast<const uint8_t*>(end) - (data_ + at_));
    std::string text = bytes(length + 1);
    text.pop_back();  // the '\n'
    return text;
  }

  // ---- the stack, marks and memo

  PickleValue* make(K kind) {
    if (static_cast<int64_t>(arena_.size()) >= limits::kMaxPickleValues) {
      fail("more than " + std::to_string(limits::kMaxPickleValues) + " values (kMaxPickleValues)");
    }
    arena_.push_back(std::make_unique<PickleValue>());
    arena_.back()->kind = kind;
    arena_.back()->offset = op_at_;
    return arena_.back().get();
  }
  void push(PickleValue* v) { stack_.push_back(v); }
  PickleValue* top() const {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("the stack is empty");
    return stack_.back();
  }
  PickleValue* pop() {
    PickleValue* v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<PickleValue*> pop_mark() {
    if (marks_.empty()) fail("no MARK for this opcode");
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void push_text(K kind, std::string s) {
    PickleValue* v = make(kind);
    v->text = std::move(s);
    push(v);
  }
  void add_pairs(PickleValue* target, const std::vector<PickleValue*>& kv, const char* op) const {
    if (!target->is(K::kDict) && !target->is(K::kCall)) fail(std::string(op) + " on a " + kind_name(target->kind));
    if (kv.size() % 2) fail(std::string(op) + " with an odd number of items");
    for (size_t i = 0; i < kv.size(); i += 2) target->entries.emplace_back(kv[i], kv[i + 1]);
  }
  void extend(K kind, const char* op) {
    std::vector<PickleValue*> items = pop_mark();
    PickleValue* target = top();
    if (!target->is(kind)) fail(std::string(op) + " to a " + kind_name(target->kind));
    target->items.insert(target->items.end(), items.begin(), items.end());
  }

  // ---- the opcodes

  void proto(uint8_t) {
    if (uint_le(1) > 5) fail("pickle protocol above 5");
  }
  void frame(uint8_t) { uint_le(8); }  // a length hint only
  void stop(uint8_t) {
    if (!marks_.empty()) fail("STOP inside an open MARK");
    root_ = pop();
  }
  void mark(uint8_t) { marks_.push_back(stack_.size()); }
  void global(uint8_t) {  // GLOBAL module\nname\n
    const std::string module = line(), name = line();
    push_text(K::kGlobal, module + "." + name);
  }
  void stack_global(uint8_t) {
    PickleValue* name = pop();
    PickleValue* module = pop();
    if (!name->is(K::kString) || !module->is(K::kString)) fail("STACK_GLOBAL needs two strings");
    push_text(K::kGlobal, module->text + "." + name->text);
  }
  void reduce(uint8_t op) {
    PickleValue* args = pop();
    PickleValue* callable = pop();
    if (!args->is(K::kTuple)) fail(std::string(op == 'R' ? "REDUCE" : "NEWOBJ") + " needs an argument tuple");
    PickleValue* call = make(K::kCall);
    call->items = {callable, args};
    push(call);
  }
  void build(uint8_t) {
    PickleValue* state = pop();
    top()->state = state;
  }
  void append(uint8_t) {
    PickleValue* v = pop();
    PickleValue* list = top();
    if (!list->is(K::kList)) fail(std::string("APPEND to a ") + kind_name(list->kind));
    list->items.push_back(v);
  }
  void appends(uint8_t) { extend(K::kList, "APPENDS"); }
  void additems(uint8_t) { extend(K::kSet, "ADDITEMS"); }
  void setitem(uint8_t) {
    PickleValue* v = pop();
    PickleValue* k = pop();
    add_pairs(top(), {k, v}, "SETITEM");
  }
  void setitems(uint8_t) {
    std::vector<PickleValue*> kv = pop_mark();
    add_pairs(top(), kv, "SETITEMS");
  }
  void tuple(uint8_t) {
    PickleValue* t = make(K::kTuple);
    std::vector<PickleValue*> items = pop_mark();
    t->items.assign(items.begin(), items.end());
    push(t);
  }
  void small_tuple(uint8_t op) {
    PickleValue* t = make(K::kTuple);
    t->items.resize(op - 0x84);
    for (size_t i = t->items.size(); i-- > 0;) t->items[i] = pop();
    push(t);
  }
  void empty(uint8_t op) {
    push(make(op == ')' ? K::kTuple : op == ']' ? K::kList : op == '}' ? K::kDict : op == 0x8f ? K::kSet : K::kNone));
  }
  void boolean(uint8_t op) {
    PickleValue* v = make(K::kBool);
    v->boolean = op == 0x88;
    push(v);
  }
  void binint(uint8_t op) {  // BININT (4 bytes, signed), BININT1 (1), BININT2 (2)
    const uint64_t raw = uint_le(op == 'J' ? 4 : op == 'K' ? 1 : 2);
    PickleValue* v = make(K::kInt);
    v->integer = op == 'J' ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
    push(v);
  }
  void long1(uint8_t) {  // n bytes of two's complement
    const uint64_t n = uint_le(1);
    if (n > 8) fail("an integer of " + std::to_string(n) + " bytes (at most 8 are read)");
    uint64_t raw = n ? uint_le(static_cast<int>(n)) : 0;
    if (n && n < 8 && (raw >> (8 * n - 1) & 1)) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
    PickleValue* v = make(K::kInt);
    v->integer = static_cast<int64_t>(raw);
    push(v);
  }
  void binfloat(uint8_t) {  // big-endian double
    need(8);
    uint64_t raw = 0;
    for (int i = 0; i < 8; ++i) raw = (raw << 8) | data_[at_ + i];
    at_ += 8;
    PickleValue* v = make(K::kFloat);
    std::memcpy(&v->number, &raw, 8);
    push(v);
  }
  void string(uint8_t op) {  // a length of 1, 4 or 8 bytes, then the bytes
    const int width = op == 'X' || op == 'B' ? 4 : op == 0x8e ? 8 : 1;
    const K kind = op == 'B' || op == 'C' || op == 0x8e ? K::kBytes : K::kString;
    push_text(kind, bytes(uint_le(width)));
  }
  void memoize(uint8_t) { memo_[memo_.size()] = top(); }
  void binput(uint8_t op) { memo_[uint_le(op == 'q' ? 1 : 4)] = top(); }
  void binget(uint8_t op) {
    const uint64_t index = uint_le(op == 'h' ? 1 : 4);
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo " + std::to_string(index) + " was never stored");
    push(it->second);
  }
  void binpersid(uint8_t) {
    PickleValue* pid = make(K::kPersistentId);
    pid->items = {pop()};
    push(pid);
  }

  const uint8_t* data_;
  size_t size_;
  const std::string& origin_;
  std::vector<std::unique_ptr<PickleValue>>& arena_;
  size_t at_ = 0, op_at_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  const PickleValue* root_ = nullptr;
};

}  // namespace

Unpickler::Unpickler(const uint8_t* data, size_t size, std::string origin) : origin_(std::move(origin)) {
  root_ = Parser(data, size, origin_, arena_).parse();
}

}  // namespace bnn::convert
