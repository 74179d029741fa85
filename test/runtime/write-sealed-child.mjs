// Child process for code-region.native.test.ts: writes with a plain memset into a region that
// is sealed (mode "sealed", must die with SIGSEGV) or unsealed (mode "unsealed", must exit 0).
// It goes through libc, not CodeRegion.write, so the page protection itself is what is tested.
import { CodeRegion, koffi } from '../../dist/runtime/index.js';

const mode = process.argv[2];
const region = CodeRegion.fromCode(new Uint8Array([0xc0, 0x03, 0x5f, 0xd6])); // ret
if (mode === 'unsealed') region.unseal();
const libc = koffi().load('libc.so.6');
const memset = libc.func('void *memset(uint64_t dst, int c, size_t n)');
process.stdout.write(`writing into a ${region.state} region\n`);
memset(region.address, 0, 4);
process.stdout.write('write completed\n');
