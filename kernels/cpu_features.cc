// SPDX-License-Identifier: Apache-2.0
#include "kernels/cpu_features.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if (defined(__arm__) || defined(__aarch64__)) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__arm__) && defined(__linux__) && !defined(HWCAP_NEON)
#define HWCAP_NEON (1 << 12)  // ARMv7's AT_HWCAP bit
#endif
#if defined(__aarch64__) && defined(__linux__) && !defined(HWCAP_ASIMDDP)
#define HWCAP_ASIMDDP (1 << 20)  // AArch64's AT_HWCAP bit for sdot/udot
#endif

#ifndef BNN_HAVE_AVX2
#define BNN_HAVE_AVX2 0
#endif
#ifndef BNN_HAVE_AVX512VPOPCNT
#define BNN_HAVE_AVX512VPOPCNT 0
#endif
#ifndef BNN_HAVE_AVX512F
#define BNN_HAVE_AVX512F 0
#endif
#ifndef BNN_HAVE_AVX512VNNI
#define BNN_HAVE_AVX512VNNI 0
#endif
#ifndef BNN_HAVE_NEON64
#define BNN_HAVE_NEON64 0
#endif
#ifndef BNN_HAVE_NEON32
#define BNN_HAVE_NEON32 0
#endif
#ifndef BNN_HAVE_NEON64DOT
#define BNN_HAVE_NEON64DOT 0
#endif

namespace bnn {
namespace {

constexpr Isa kAllIsas[] = {Isa::kPortable, Isa::kAvx2,   Isa::kAvx512F,   Isa::kAvx512Vpopcnt,
                             Isa::kAvx512Vnni, Isa::kNeon64, Isa::kNeon64Dot, Isa::kNeon32};

// Kernels of an ISA are compiled in only where the toolchain targets it; its
// kernel files use the same conditions.
bool built(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return true;
    case Isa::kAvx2: return BNN_HAVE_AVX2 + 0 != 0;
    case Isa::kAvx512Vpopcnt: return BNN_HAVE_AVX512VPOPCNT + 0 != 0;
    case Isa::kAvx512F: return BNN_HAVE_AVX512F + 0 != 0;
    case Isa::kAvx512Vnni: return BNN_HAVE_AVX512VNNI + 0 != 0;
    case Isa::kNeon64: return BNN_HAVE_NEON64 + 0 != 0;
    case Isa::kNeon32: return BNN_HAVE_NEON32 + 0 != 0;
    case Isa::kNeon64Dot: return BNN_HAVE_NEON64DOT + 0 != 0;
  }
  return false;
}

bool detected(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::kAvx2:  // its float kernels use FMA (every AVX2 CPU but a few VIA ones has it)
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
    case Isa::kAvx512Vpopcnt:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vpopcntdq");
    case Isa::kAvx512F: return __builtin_cpu_supports("avx512f");
    case Isa::kAvx512Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
#else
    case Isa::kAvx2:
    case Isa::kAvx512Vpopcnt:
    case Isa::kAvx512F:
    case Isa::kAvx512Vnni: return false;
#endif
#if defined(__aarch64__)
    case Isa::kNeon64: return true;  // NEON is part of AArch64
#else
    case Isa::kNeon64: return false;
#endif
#if defined(__aarch64__) && defined(__linux__)
    case Isa::kNeon64Dot: return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    case Isa::kNeon64Dot: return false;
#endif
#if defined(__arm__) && defined(__linux__)
    case Isa::kNeon32: return (getauxval(AT_HWCAP) & HWCAP_NEON) != 0;
#else
    case Isa::kNeon32: return false;
#endif
  }
  return false;
}

// The names BNN_ISA lists (comma-separated); empty when it is unset or empty.
std::vector<std::string> isa_setting() {
  std::vector<std::string> names;
  const char* list = std::getenv("BNN_ISA");
  if (!list) return names;
  std::stringstream s(list);
  for (std::string name; std::getline(s, name, ',');) names.push_back(name);
  return names;
}

// The BNN_ISA allow-list; unset or empty allows everything.
bool allowed(Isa isa) {
  const std::vector<std::string> names = isa_setting();
  return names.empty() || isa == Isa::kPortable || std::find(names.begin(), names.end(), isa_name(isa)) != names.end();
}

}  // namespace

std::string isa_setting_problem() {
  std::string valid;
  for (Isa isa : kAllIsas) valid += (valid.empty() ? "" : ", ") + std::string(isa_name(isa));
  for (const std::string& name : isa_setting()) {
    bool known = false;
    for (Isa isa : kAllIsas) known = known || name == isa_name(isa);
    if (!known) return "BNN_ISA names '" + name + "', which is not one of: " + valid + " (comma-separated)";
  }
  return "";
}

namespace {

struct Features {
  bool available[sizeof(kAllIsas) / sizeof(kAllIsas[0])] = {};
  std::string arch, model_name;

  Features() {
    for (Isa isa : kAllIsas) available[static_cast<unsigned>(isa)] = built(isa) && detected(isa) && allowed(isa);
#if defined(__x86_64__)
    arch = "x86_64";
#elif defined(__aarch64__)
    arch = "aarch64";
#elif defined(__arm__)
    arch = "armv7";
#else
    arch = "other";
#endif
    // "model name" on x86, "CPU part" on ARM (e.g. 0xd08 is Cortex-A72).
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, part;
    while (std::getline(cpuinfo, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon), value = line.substr(colon + 1);
      while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (key == "model name" && model_name.empty()) model_name = value;
      if (key == "CPU part" && part.empty()) part = value;
    }
    if (model_name.empty()) model_name = part.empty() ? "unknown" : "CPU part " + part;
  }
};

const Features& features() {
  static const Features f;  // detected once, thread-safe
  return f;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vpopcnt: return "avx512vpopcnt";
    case Isa::kAvx512F: return "avx512f";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kNeon64: return "neon64";
    case Isa::kNeon32: return "neon32";
    case Isa::kNeon64Dot: return "neon64dot";
  }
  return "unknown";
}

bool isa_available(Isa isa) { return features().available[static_cast<unsigned>(isa)]; }

std::string available_isas() {
  std::string s;
  for (Isa isa : kAllIsas) {
    if (isa_available(isa)) s += (s.empty() ? "" : " ") + std::string(isa_name(isa));
  }
  return s;
}

const std::string& cpu_arch() { return features().arch; }
const std::string& cpu_model_name() { return features().model_name; }

}  // namespace bnn
