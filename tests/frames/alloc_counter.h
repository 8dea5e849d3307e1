// SPDX-License-Identifier: Apache-2.0
// Counts every heap allocation of the process (all threads, OpenMP workers
// included) while counting is on, by defining malloc, calloc, realloc,
// posix_memalign, aligned_alloc, memalign and every operator new in the test
// binary. glibc's __libc_* functions do the work. Include in one file only.
#pragma once

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include <atomic>
#include <cstddef>
#include <new>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace alloc_counter {
inline std::atomic<bool> counting{false};
inline std::atomic<long> allocations{0};
inline void note() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace alloc_counter

extern "C" {
void* malloc(size_t n) noexcept {
  alloc_counter::note();
  return __libc_malloc(n);
}
void* calloc(size_t count, size_t n) noexcept {
  alloc_counter::note();
  return __libc_calloc(count, n);
}
void* realloc(void* p, size_t n) noexcept {
  alloc_counter::note();
  return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(size_t alignment, size_t n) noexcept {
  alloc_counter::note();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) noexcept {
  alloc_counter::note();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** p, size_t alignment, size_t n) noexcept {
  alloc_counter::note();
  *p = __libc_memalign(alignment, n);
  return *p ? 0 : ENOMEM;
}
}

void* operator new(size_t n) {
  alloc_counter::note();
  if (void* p = __libc_malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t a) {
  alloc_counter::note();
  if (void* p = __libc_memalign(static_cast<size_t>(a), n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  alloc_counter::note();
  return __libc_malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return operator new(n, std::nothrow); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }
