/**
 * A strict parser for the XML that SVG writers produce: a declaration, elements with quoted
 * attributes (no duplicates), text with the five predefined entities and numeric references,
 * comments. Anything else is not well-formed (XML 1.0 section 2) and throws with the offset.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITY = /&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;

function checkText(text: string, at: number): string {
  const stray = /&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)|</.exec(text);
  if (stray) throw new Error(`offset ${at + stray.index}: '${stray[0]}' must be escaped`);
  return text.replace(ENTITY, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt < 0 ? source.length : lt);
    if (stack.length > 0) stack[stack.length - 1]!.text += checkText(text, i);
    else if (text.trim() !== '') throw new Error(`offset ${i}: text outside the root element`);
    if (lt < 0) break;
    i = lt;
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i);
      if (end < 0) throw new Error(`offset ${i}: unterminated comment`);
      i = end + 3;
      continue;
    }
    if (source[i + 1] === '/') {
      const m = NAME.exec(source.slice(i + 2));
      const top = stack.pop();
      if (!m || !top || top.name !== m[0]) throw new Error(`offset ${i}: closing tag </${m?.[0]}> does not match <${top?.name}>`);
      i += 2 + m[0].length;
      while (source[i] === ' ' || source[i] === '\n') i++;
      if (source[i] !== '>') throw new Error(`offset ${i}: expected '>'`);
      i++;
      continue;
    }
    const m = NAME.exec(source.slice(i + 1));
    if (!m) throw new Error(`offset ${i}: '<' does not start a tag`);
    i += 1 + m[0].length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(source.slice(i))![0].length;
      i += ws;
      if (source.startsWith('/>', i) || source[i] === '>') break;
      if (ws === 0) throw new Error(`offset ${i}: attributes need white space between them`);
      const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*(["'])/.exec(source.slice(i));
      if (!a) throw new Error(`offset ${i}: malformed attribute`);
      const close = source.indexOf(a[2]!, i + a[0].length);
      if (close < 0) throw new Error(`offset ${i}: unterminated attribute value`);
      if (a[1]! in attributes) throw new Error(`offset ${i}: attribute ${a[1]} given twice`);
      attributes[a[1]!] = checkText(source.slice(i + a[0].length, close), i + a[0].length);
      i = close + 1;
    }
    const element: XmlElement = { name: m[0], attributes, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
    else if (root) throw new Error(`offset ${i}: a second root element`);
    else root = element;
    if (source.startsWith('/>', i)) i += 2;
    else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below (and including) `e`, depth first. */
export function allElements(e: XmlElement): XmlElement[] {
  return [e, ...e.children.flatMap(allElements)];
}
