/**
 * Real packet bytes for the packet-program tests: Ethernet II + IPv4 (+ TCP/UDP), with the
 * header checksums computed as RFC 791 / RFC 793 define them (the ones' complement sum).
 */

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_ARP = 0x0806;

export interface PacketSpec {
  readonly dstMac?: readonly number[];
  readonly srcMac?: readonly number[];
  readonly ethType?: number;
  readonly protocol?: 6 | 17 | 1;
  readonly src?: readonly [number, number, number, number];
  readonly dst?: readonly [number, number, number, number];
  readonly sport?: number;
  readonly dport?: number;
  readonly ttl?: number;
  readonly payload?: Uint8Array;
}

/** RFC 1071 ones' complement sum of 16-bit words, folded, not yet inverted. */
export function onesSum(bytes: Uint8Array, start = 0): number {
  let sum = start;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
export const checksum = (bytes: Uint8Array, start = 0): number => ~onesSum(bytes, start) & 0xffff;

export function ipv4Packet(spec: PacketSpec = {}): Uint8Array {
  const proto = spec.protocol ?? 6;
  const payload = spec.payload ?? new Uint8Array(0);
  const l4len = proto === 6 ? 20 : proto === 17 ? 8 : 8;
  const total = 20 + l4len + payload.length;
  const out = new Uint8Array(14 + total);
  const v = new DataView(out.buffer);
  out.set(spec.dstMac ?? [0x02, 0, 0, 0, 0, 2], 0);
  out.set(spec.srcMac ?? [0x02, 0, 0, 0, 0, 1], 6);
  v.setUint16(12, spec.ethType ?? ETH_P_IP);
  const ip = 14;
  out[ip] = 0x45;
  v.setUint16(ip + 2, total);
  v.setUint16(ip + 4, 0x1234);
  out[ip + 8] = spec.ttl ?? 64;
  out[ip + 9] = proto;
  out.set(spec.src ?? [10, 0, 0, 1], ip + 12);
  out.set(spec.dst ?? [10, 0, 0, 2], ip + 16);
  v.setUint16(ip + 10, checksum(out.subarray(ip, ip + 20)));
  const l4 = ip + 20;
  if (proto === 6 || proto === 17) {
    v.setUint16(l4, spec.sport ?? 40000);
    v.setUint16(l4 + 2, spec.dport ?? 80);
  }
  if (proto === 6) {
    out[l4 + 12] = 5 << 4;
    out[l4 + 13] = 0x02; // SYN
    v.setUint16(l4 + 14, 65535);
  } else if (proto === 17) {
    v.setUint16(l4 + 4, 8 + payload.length);
  }
  out.set(payload, l4 + l4len);
  if (proto === 6 || proto === 17) {
    const pseudo = new Uint8Array(12 + l4len + payload.length);
    pseudo.set(out.subarray(ip + 12, ip + 20), 0);
    pseudo[9] = proto;
    new DataView(pseudo.buffer).setUint16(10, l4len + payload.length);
    pseudo.set(out.subarray(l4), 12);
    v.setUint16(l4 + (proto === 6 ? 16 : 6), checksum(pseudo));
  }
  return out;
}
