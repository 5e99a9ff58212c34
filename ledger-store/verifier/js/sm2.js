// SM2 signature verification (GB/T 32918.2-2016) on the recommended curve, in BigInt
// arithmetic, with SM3 and a distinguishing identifier (the default `1234567812345678`).

import { sm3 } from './sm3.js';
import { bigFromBytes, bytesFromBig, concat } from './hex.js';

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

export const SM2_DEFAULT_ID = '1234567812345678';

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

const inv = (a, m = P) => pow(a, m - 2n, m);

// Jacobian coordinates (X, Y, Z): x = X/Z², y = Y/Z³; Z = 0 is the point at infinity.
function double([x, y, z]) {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const yy = mod(y * y);
  const s = mod(4n * x * yy);
  const m = mod(3n * x * x + A * pow(z, 4n));
  const x3 = mod(m * m - 2n * s);
  return [x3, mod(m * (s - x3) - 8n * yy * yy), mod(2n * y * z)];
}

function add(p, q) {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const [x1, y1, z1] = p, [x2, y2, z2] = q;
  const z1z1 = mod(z1 * z1), z2z2 = mod(z2 * z2);
  const u1 = mod(x1 * z2z2), u2 = mod(x2 * z1z1);
  const s1 = mod(y1 * z2 * z2z2), s2 = mod(y2 * z1 * z1z1);
  if (u1 === u2) return s1 === s2 ? double(p) : [0n, 1n, 0n];
  const h = mod(u2 - u1), r = mod(s2 - s1);
  const hh = mod(h * h), hhh = mod(h * hh);
  const x3 = mod(r * r - hhh - 2n * u1 * hh);
  return [x3, mod(r * (u1 * hh - x3) - s1 * hhh), mod(h * z1 * z2)];
}

function multiply(k, point) {
  let result = [0n, 1n, 0n];
  for (let i = BigInt(k.toString(2).length) - 1n; i >= 0n; i--) {
    result = double(result);
    if ((k >> i) & 1n) result = add(result, point);
  }
  return result;
}

function affineX([x, , z]) {
  return mod(x * inv(mod(z * z)));
}

function onCurve(x, y) {
  return x < P && y < P && mod(y * y) === mod(x * x * x + A * x + B);
}

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A). */
function za(id, x, y) {
  const idBytes = new TextEncoder().encode(id);
  const entl = new Uint8Array([(idBytes.length * 8) >> 8, (idBytes.length * 8) & 0xff]);
  return sm3(concat(entl, idBytes, ...[A, B, GX, GY, x, y].map((v) => bytesFromBig(v, 32))));
}

/**
 * Whether `signature` (r ‖ s, 64 bytes big-endian) is the SM2 signature of `message` by the
 * public key `04 ‖ x ‖ y` (65 bytes), with SM3 and the identifier `id`.
 */
export function sm2Verify(publicKey, message, signature, id = SM2_DEFAULT_ID) {
  if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64) return false;
  const x = bigFromBytes(publicKey.subarray(1, 33)), y = bigFromBytes(publicKey.subarray(33));
  if (!onCurve(x, y)) return false;
  const r = bigFromBytes(signature.subarray(0, 32)), s = bigFromBytes(signature.subarray(32));
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const e = bigFromBytes(sm3(concat(za(id, x, y), message)));
  const t = mod(r + s, N);
  if (t === 0n) return false;
  const point = add(multiply(s, [GX, GY, 1n]), multiply(t, [x, y, 1n]));
  if (point[2] === 0n) return false;
  return mod(e + affineX(point), N) === r;
}
