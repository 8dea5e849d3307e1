// SPDX-License-Identifier: Apache-2.0
// The instruction sets this process may use: compiled in, detected on this
// CPU, and allowed by BNN_ISA. Detected once and cached (ruy's
// GetRuntimeEnabledPaths); BNN_ISA=portable,avx2 (names as isa_name) narrows
// the set, which is how tests force a path.
#pragma once

#include <string>

namespace bnn {

// kAvx512F: AVX-512 Foundation alone (the float kernels); kAvx512Vpopcnt adds
// BW and VPOPCNTDQ (the binary kernels); kAvx512Vnni adds BW and VNNI (the
// int8 kernels: Intel since Cascade Lake, AMD since Zen 4). kNeon64Dot:
// AArch64 with the ARMv8.2 dot product (sdot: Cortex-A55/A76 on, Pi 5).
enum class Isa : unsigned { kPortable, kAvx2, kAvx512Vpopcnt, kNeon64, kNeon32, kAvx512F, kAvx512Vnni, kNeon64Dot };

const char* isa_name(Isa isa);

// True if kernels of `isa` can run here. kPortable always can.
bool isa_available(Isa isa);

// "portable avx2 ..." for logs and --info.
std::string available_isas();

// What is wrong with the BNN_ISA setting (a name no build knows, e.g. a typo
// that would silently leave only the portable kernels), or "" when nothing is.
std::string isa_setting_problem();

// This CPU, as a schedule records it: architecture and model name.
const std::string& cpu_arch();
const std::string& cpu_model_name();

}  // namespace bnn
