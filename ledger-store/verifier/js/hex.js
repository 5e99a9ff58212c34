// Lower-case hex, as every proof document writes bytes.

/** Bytes as lower-case hex. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lower-case hex to bytes, or null when it is not (odd length, other characters). */
export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Big-endian bytes to a BigInt. */
export function bigFromBytes(bytes) {
  return bytes.length === 0 ? 0n : BigInt('0x' + toHex(bytes));
}

/** A BigInt as `length` big-endian bytes. */
export function bytesFromBig(value, length) {
  return fromHex(value.toString(16).padStart(2 * length, '0'));
}
