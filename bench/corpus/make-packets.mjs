#!/usr/bin/env node
// Prints the hex of the corpus' packet trace (the "packets" input of bench/corpus/suite.json):
// records of [u16 big-endian length][Ethernet II frame]. Deterministic; rerun to check:
//   node bench/corpus/make-packets.mjs
// Frames: IPv4 TCP (with options) and UDP, ICMP, 802.1Q-tagged IPv4, IPv6 TCP/UDP with and
// without extension headers, ARP; some IPv4 header checksums deliberately wrong.
let x = 0x2545f491;
const rnd = (n) => {
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  return x % n;
};
const be16 = (v) => [(v >>> 8) & 255, v & 255];
const be32 = (v) => [...be16(v >>> 16), ...be16(v & 0xffff)];
const mac = () => Array.from({ length: 6 }, () => rnd(256));
const payload = (n) => Array.from({ length: n }, () => rnd(256));

function csum(bytes) {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function tcpHeader(sport, dport, options) {
  const opts = [...options];
  while (opts.length % 4) opts.push(1);
  const doff = (20 + opts.length) / 4;
  return [...be16(sport), ...be16(dport), ...be32(rnd(2 ** 32)), ...be32(rnd(2 ** 32)), doff << 4, 0x12, ...be16(65535), 0, 0, 0, 0, ...opts];
}
const udpHeader = (sport, dport, n) => [...be16(sport), ...be16(dport), ...be16(8 + n), 0, 0];
const tcpOptions = [
  [2, 4, ...be16(1460), 4, 2, 8, 10, ...be32(rnd(2 ** 32)), ...be32(0), 1, 3, 3, 7],
  [2, 4, ...be16(1400), 1, 1, 4, 2],
  [1, 1, 8, 10, ...be32(12345), ...be32(678)],
  [],
  [3, 3, 14, 2, 4, ...be16(536), 30, 4, 1, 2],
];

function ipv4(proto, saddr, daddr, l4, { badCsum = false, optionsWords = 0 } = {}) {
  const opts = Array.from({ length: optionsWords * 4 }, (_, i) => (i === 0 ? 1 : 0));
  const ihl = 5 + optionsWords;
  const h = [0x40 | ihl, 0, ...be16(ihl * 4 + l4.length), ...be16(rnd(65536)), 0x40, 0, 64, proto, 0, 0, ...be32(saddr), ...be32(daddr), ...opts];
  const c = csum(h) ^ (badCsum ? 0x0101 : 0);
  h[10] = c >>> 8;
  h[11] = c & 255;
  return [...h, ...l4];
}

function ipv6(next, l4, ext = []) {
  // ext: list of [type, bytes] chained in order; `next` is the final protocol
  const chain = [];
  const types = ext.map(([t]) => t);
  ext.forEach(([, body], i) => chain.push(types[i + 1] ?? next, ...body));
  const first = types[0] ?? next;
  return [0x60, 0, 0, 0, ...be16(chain.length + l4.length), first, 64, ...payload(16), ...payload(16), ...chain, ...l4];
}
const hopByHop = () => [0, 1, 4, 0, 0, 0]; // hdr ext len 0: 8 bytes in all (next is prepended)
const routing = () => [1, 0, 1, 0, 0, 0, ...payload(8)]; // 16 bytes
const fragment = () => [0, 0, 0, 0, 0, 0, 0]; // 8 bytes

const eth = (type, body) => [...mac(), ...mac(), ...be16(type), ...body];
const vlan = (type, body) => [...mac(), ...mac(), ...be16(0x8100), ...be16(rnd(4096)), ...be16(type), ...body];

const addrs = [0x0a000001, 0xc0a80050, 0xc0a80135, 0x08080808, 0xac1f0002, 0x7f000001, 0x5db8d822, 0xd1c4e5f6];
const frames = [];
for (let i = 0; i < 24; i++) {
  const kind = i % 8;
  const saddr = addrs[rnd(addrs.length)];
  const daddr = addrs[(i * 3) % addrs.length];
  const sport = 1024 + rnd(60000);
  const dport = [80, 443, 53, 22, 8080, 123][rnd(6)];
  const data = payload(rnd(40));
  if (kind === 0 || kind === 4) frames.push(eth(0x0800, ipv4(6, saddr, daddr, [...tcpHeader(sport, dport, tcpOptions[i % tcpOptions.length]), ...data], { badCsum: i === 12, optionsWords: i === 4 ? 1 : 0 })));
  else if (kind === 1) frames.push(eth(0x0800, ipv4(17, saddr, daddr, [...udpHeader(sport, dport, data.length), ...data])));
  else if (kind === 2) frames.push(vlan(0x0800, ipv4(6, saddr, daddr, [...tcpHeader(sport, dport, tcpOptions[(i + 1) % tcpOptions.length]), ...data], { badCsum: i === 18 })));
  else if (kind === 3) frames.push(eth(0x86dd, ipv6(6, [...tcpHeader(sport, dport, tcpOptions[0]), ...data])));
  else if (kind === 5) frames.push(eth(0x86dd, ipv6(17, [...udpHeader(sport, dport, data.length), ...data], i % 3 === 0 ? [[0, hopByHop()], [43, routing()], [44, fragment()]] : [[60, hopByHop()]])));
  else if (kind === 6) frames.push(eth(0x0800, ipv4(1, saddr, daddr, [8, 0, 0, 0, ...be32(i), ...data])));
  else frames.push(eth(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...mac(), ...be32(saddr), ...mac(), ...be32(daddr)]));
}
const out = frames.flatMap((f) => [...be16(f.length), ...f]);
console.log(Buffer.from(out).toString('hex'));
