// AArch64 NEON build of the shared NEON microkernels (Raspberry Pi 3/4/5,
// 64-bit OS): 32 q registers hold the byte stage for 4 channels and the
// 8-channel tile. docs/performance.md has the Cortex-A53/A72/A76 estimates.
#define BNN_NEON_NAMESPACE neon64
#define BNN_NEON_BYTE_STAGE true
#define BNN_NEON_8X4 1
#include "kernels/arm_neon/bgemm-neon.inc"
