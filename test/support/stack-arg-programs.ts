/**
 * uBPF-syntax builders for stack-argument programs (../shared/docs/bpf-stack-args.md), shared
 * by the interpreter tests and the JIT tests so both run exactly the same programs.
 */

/** r1..r5 = first..first+4, slot k = first+4+k, alternating immediate and register stores. */
export function callerArgs(n: number, first = 1): string[] {
  const lines: string[] = [];
  for (let i = 1; i <= Math.min(n, 5); i++) lines.push(`mov %r${i}, ${first + i - 1}`);
  for (let k = 1; k <= n - 5; k++) {
    const value = first + 4 + k;
    if (k % 2 === 0) lines.push(`mov %r9, ${value}`, `stxdw [%r11-${8 * k}], %r9`);
    else lines.push(`stdw [%r11-${8 * k}], ${value}`);
  }
  return lines;
}

/** A callee returning its n arguments as hex digits, first argument most significant. */
export function digitsCallee(name: string, n: number): string[] {
  const lines = [`${name}:`, 'mov %r0, %r1'];
  for (let i = 2; i <= 5; i++) lines.push('lsh %r0, 4', `add %r0, %r${i}`);
  for (let k = 1; k <= n - 5; k++) lines.push(`ldxdw %r1, [%r11+${8 * k}]`, 'lsh %r0, 4', 'add %r0, %r1');
  lines.push('exit');
  return lines;
}

/** A callee returning the sum of its n arguments. */
export function sumCallee(name: string, n: number): string[] {
  const lines = [`${name}:`, 'mov %r0, %r1', 'add %r0, %r2', 'add %r0, %r3', 'add %r0, %r4', 'add %r0, %r5'];
  for (let k = 1; k <= n - 5; k++) lines.push(`ldxdw %r1, [%r11+${8 * k}]`, 'add %r0, %r1');
  lines.push('exit');
  return lines;
}


/** Calls a 10-argument and then a 12-argument function, storing the slots again for the
 *  second call (they are invalid after any call): 55 + 78 = 133. */
export function twoCalleesProgram(): string[] {
  return [
    ...callerArgs(10),
    'call local sum10',
    'mov %r6, %r0',
    ...callerArgs(12),
    'call local sum12',
    'add %r0, %r6',
    'exit',
    ...sumCallee('sum10', 10),
    ...sumCallee('sum12', 12),
  ];
}

/** R1 = 1, R2-R5 = 0, and the context pointer and its length (R1, R2 on entry) passed as
 *  arguments 6 and 7 of `call` (a native call): the kernel selftests' memory-plus-size case. */
export function pointerAndSizeProgram(call: string): string[] {
  return [
    'mov %r6, %r1',
    'mov %r7, %r2',
    'mov %r1, 1',
    'mov %r2, 0',
    'mov %r3, 0',
    'mov %r4, 0',
    'mov %r5, 0',
    'stxdw [%r11-8], %r6',
    'stxdw [%r11-16], %r7',
    call,
    'exit',
  ];
}
