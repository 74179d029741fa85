/**
 * A compact text form of signatures, for the corpus, reports and the command line:
 *
 *   void(i32,f64)                 two named parameters
 *   {f32,f32,f32}(i64,{u8[3]})    returns an HFA of three floats; takes a 3-byte struct
 *   i32(i32,...,f64,{f64,i64})    variadic: the parameters after '...' are anonymous
 *   void({u64,u64}@16)            a struct with _Alignas(16) on its first member
 */
import { AbiTypeError, SCALAR_KINDS, scalar, struct, type AbiType, type ScalarKind, type Signature } from './types.js';

export function formatType(t: AbiType): string {
  if (t.kind === 'scalar') return t.scalar;
  const ms = t.members.map((m) => (m.count === 1 ? formatType(m.type) : `${formatType(m.type)}[${m.count}]`));
  return `{${ms.join(',')}}${t.align !== undefined ? `@${t.align}` : ''}`;
}

export function formatSignature(s: Pick<Signature, 'result' | 'params' | 'variadicFrom'>): string {
  const ps = s.params.map(formatType);
  if (s.variadicFrom !== undefined) ps.splice(s.variadicFrom, 0, '...');
  return `${s.result ? formatType(s.result) : 'void'}(${ps.join(',')})`;
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new AbiTypeError(`${what} at column ${this.pos + 1} of '${this.text}'`);
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  eat(c: string): boolean {
    if (this.text.startsWith(c, this.pos)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }
  expect(c: string): void {
    if (!this.eat(c)) this.fail(`expected '${c}'`);
  }
  number(): number {
    const m = /^[0-9]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a number');
    this.pos += m[0].length;
    return Number(m[0]);
  }
  type(): AbiType {
    if (this.eat('{')) {
      const members: [AbiType, number][] = [];
      do {
        const t = this.type();
        let n = 1;
        if (this.eat('[')) {
          n = this.number();
          this.expect(']');
        }
        members.push([t, n]);
      } while (this.eat(','));
      this.expect('}');
      const align = this.eat('@') ? this.number() : undefined;
      return struct(members, align);
    }
    const m = /^[a-z][a-z0-9]*/.exec(this.text.slice(this.pos));
    if (!m || !(SCALAR_KINDS as readonly string[]).includes(m[0])) this.fail('expected a type');
    this.pos += m[0].length;
    return scalar(m[0] as ScalarKind);
  }
}

/** Parse the text form; `id` names the signature (defaults to the text itself). */
export function parseSignature(text: string, id?: string): Signature {
  const p = new Parser(text.replace(/\s+/g, ''));
  const result = p.eat('void') ? null : p.type();
  p.expect('(');
  const params: AbiType[] = [];
  let variadicFrom: number | undefined;
  if (!p.eat(')')) {
    do {
      if (p.eat('...')) {
        if (variadicFrom !== undefined) p.fail("a second '...'");
        variadicFrom = params.length;
      } else params.push(p.type());
    } while (p.eat(','));
    p.expect(')');
  }
  if (p.peek() !== '') p.fail('unexpected text');
  const base = { id: id ?? p.text, result, params };
  return variadicFrom === undefined ? base : { ...base, variadicFrom };
}
