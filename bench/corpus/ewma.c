/* Rate estimation as BPF schedulers do: fixed-point exponentially weighted moving averages. */
#include "bench.h"

BENCH {
  u64 avg = 0, var = 0, peak = 0;
  for (u64 i = 0; i + 2 <= len; i += 2) {
    u64 x = (u64)rd16le(mem + i) << 8;
    s64 diff = (s64)(x - avg);
    avg += diff >> 3;
    u64 dev = diff < 0 ? -diff : diff;
    var = var - (var >> 2) + (dev >> 2);
    if (avg > peak) peak = avg;
  }
  return avg ^ (var << 20) ^ (peak << 40);
}
