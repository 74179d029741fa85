/* Stub of Apple's sysctlbyname declaration (see libkern/OSCacheControl.h here for why). */
#pragma once
#include <stddef.h>
extern "C" int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
