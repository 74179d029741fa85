import { describe, expect, it } from 'vitest';
import { ConformanceFileError, parseConformanceFile } from '../../src/bpf/conformance-file.js';

describe('.data reader', () => {
  it('reads every section', () => {
    const t = parseConformanceFile(
      '# header comment\n-- asm\nmov %r0, 1\nexit\n-- mem\n01 02\n0a\n-- result\n0x1\n-- error\nsome text\n',
    );
    expect(t.asm).toEqual({ source: 'mov %r0, 1\nexit', firstLine: 3 });
    expect([...(t.mem ?? [])]).toEqual([1, 2, 10]);
    expect(t.result).toBe(1n);
    expect(t.error).toBe('some text');
  });

  it('reads raw bytecode as 64-bit words or as bytes', () => {
    const words = parseConformanceFile('-- raw\n0x5566778800000018\n0x1122334400000000\n');
    expect(Buffer.from(words.raw ?? []).toString('hex')).toBe('18000000887766550000000044332211');
    const bytes = parseConformanceFile('-- raw\n95 00 00 00 00 00 00 00\n');
    expect(Buffer.from(bytes.raw ?? []).toString('hex')).toBe('9500000000000000');
  });

  it('results may be decimal, hex or negative; an empty -- error is the empty string', () => {
    expect(parseConformanceFile('-- result\n42\n').result).toBe(42n);
    expect(parseConformanceFile('-- result\n-1\n').result).toBe((1n << 64n) - 1n);
    expect(parseConformanceFile('-- error\n').error).toBe('');
    expect(parseConformanceFile('-- asm\nexit\n').error).toBeUndefined();
  });

  it('keeps unknown sections aside, with their line', () => {
    const t = parseConformanceFile('-- asm\nexit\n-- no register offset\ncall instruction\n-- result\n0\n');
    expect(t.ignoredSections).toEqual([{ name: 'no register offset', line: 3, body: ['call instruction'] }]);
  });

  it.each([
    ['garbage before the first section', 'hello\n-- asm\nexit\n', 1, /before the first/],
    ['a bad byte in -- mem', '-- mem\n01 xyz\n', 2, /'xyz' is not a hex byte/],
    ['a bad raw token', '-- raw\n\n0xZZ\n', 3, /neither a hex byte/],
    ['a non-number result', '-- result\nabc\n', 2, /not a number/],
    ['two results', '-- result\n1\n2\n', 3, /more than one value/],
    ['an empty result', '-- result\n# nothing\n', 1, /empty/],
    ['a result beyond 64 bits', '-- result\n0x10000000000000000\n', 2, /64 bits/],
    ['a duplicated section', '-- asm\nexit\n-- asm\nexit\n', 3, /appears twice/],
  ])('rejects %s with the line', (_what, text, line, reason) => {
    try {
      parseConformanceFile(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConformanceFileError);
      expect((e as ConformanceFileError).line).toBe(line);
      expect((e as ConformanceFileError).reason).toMatch(reason);
    }
  });
});
