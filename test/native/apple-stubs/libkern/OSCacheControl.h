/* Stub of the one macOS declaration the addon uses (Apple's <libkern/OSCacheControl.h>), so
 * the __APPLE__ branch of native/a64jit.cc can be type-checked on Linux. Not a build. */
#pragma once
#include <stddef.h>
extern "C" void sys_icache_invalidate(void *start, size_t len);
