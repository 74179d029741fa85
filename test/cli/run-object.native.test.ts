import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureBytes } from '../support/object-fixtures.js';
import { ipv4Packet } from '../support/packets.js';
import { spawnCli, tempDir } from './support.js';

/** The README's XDP example: a separate a64jit process running JIT code (under qemu on x86_64). */
const dir = tempDir('run-object-jit');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a64jit run on the JIT: an XDP object with maps', () => {
  it('run prog.o --data-in pkt.bin --data-out out.bin --repeat 1000 --json, and show prog.o', () => {
    const prog = join(dir, 'xdp_filter.o');
    writeFileSync(prog, fixtureBytes('xdp_filter'));
    const pkt = join(dir, 'pkt.bin');
    writeFileSync(pkt, ipv4Packet({ dport: 80 }));
    const out = join(dir, 'out.bin');
    const r = spawnCli(['run', prog, '--data-in', pkt, '--data-out', out, '--repeat', '1000', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ program: 'xdp_filter', type: 'xdp', engine: 'jit', retval: '1', repeat: 1000 });
    expect(j.maps.verdicts.entries[1].value_btf).toBe('1000');
    expect(j.duration_ns).toBeGreaterThan(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(ipv4Packet({ dport: 80 }));
    const show = spawnCli(['show', prog]);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/xdp_filter\s+xdp \(xdp\)\s+xdp\s+\d+\n/);
    expect(show.stdout).toMatch(/verdicts\s+array\s+4 \(__u32\)\s+8 \(__u64\)\s+5\s+0x0/);
  });
});
