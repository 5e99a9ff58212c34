// Ed25519 signature verification (RFC 8032 §5.1.7) in BigInt arithmetic, so it runs where
// WebCrypto has no Ed25519 (older browsers, mini-programs); SHA-512 comes from WebCrypto.
// Like the Rust signer's strict check, S must be below L and the recomputed R must equal the
// signature's R byte for byte.

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a, m = P) => ((a % m) + m) % m;

function pow(base, exp, m = P) {
  let result = 1n;
  base = mod(base, m);
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exp >>= 1n;
  }
  return result;
}

const inv = (a) => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

// Points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
function add([x1, y1, z1, t1], [x2, y2, z2, t2]) {
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * t1 * t2 * D);
  const d = mod(2n * z1 * z2);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(scalar, point) {
  let result = [0n, 1n, 1n, 0n];
  let addend = point;
  while (scalar > 0n) {
    if (scalar & 1n) result = add(result, addend);
    addend = add(addend, addend);
    scalar >>= 1n;
  }
  return result;
}

function littleEndian(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

function encode([x, y, z]) {
  const zi = inv(z);
  const ax = mod(x * zi), ay = mod(y * zi);
  const out = new Uint8Array(32);
  let v = ay | ((ax & 1n) << 255n);
  for (let i = 0; i < 32; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

/** The point a 32-byte encoding names, or null (RFC 8032 §5.1.3). */
function decode(bytes) {
  if (bytes.length !== 32) return null;
  const value = littleEndian(bytes);
  const sign = value >> 255n;
  const y = value & ((1n << 255n) - 1n);
  if (y >= P) return null;
  const u = mod(y * y - 1n), v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return null;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1n) return null;
  if ((x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
}

const BASE = decode(Uint8Array.from([0x58, ...new Array(31).fill(0x66)]));

/** Whether `signature` (64 bytes) is `publicKey`'s (32 bytes) signature of `message`. */
export async function ed25519Verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const a = decode(publicKey);
  const r = signature.subarray(0, 32);
  const s = littleEndian(signature.subarray(32));
  if (a === null || decode(r) === null || s >= L) return false;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-512', concatBytes(r, publicKey, message)));
  const k = mod(littleEndian(digest), L);
  // R' = [S]B - [k]A, compared with R as bytes.
  const [x, y, z, t] = multiply(k, a);
  const minusKA = [mod(-x), y, z, mod(-t)];
  const recomputed = encode(add(multiply(s, BASE), minusKA));
  return recomputed.every((byte, i) => byte === r[i]);
}

function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
