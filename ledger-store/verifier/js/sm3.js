// SM3 (GB/T 32905-2016), the 国密 profile's hash: a plain, synchronous implementation.

const IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

const rotl = (x, n) => ((x << (n & 31)) | (x >>> ((32 - (n & 31)) & 31))) >>> 0;
const p0 = (x) => (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0;
const p1 = (x) => (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0;

function compress(v, block, at) {
  const w = new Array(68);
  for (let j = 0; j < 16; j++) {
    w[j] = ((block[at + 4 * j] << 24) | (block[at + 4 * j + 1] << 16) | (block[at + 4 * j + 2] << 8) | block[at + 4 * j + 3]) >>> 0;
  }
  for (let j = 16; j < 68; j++) {
    w[j] = (p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6]) >>> 0;
  }
  let [a, b, c, d, e, f, g, h] = v;
  for (let j = 0; j < 64; j++) {
    const t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
    const ss1 = rotl((rotl(a, 12) + e + rotl(t, j % 32)) >>> 0, 7);
    const ss2 = (ss1 ^ rotl(a, 12)) >>> 0;
    const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
    const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
    const tt1 = (ff + d + ss2 + ((w[j] ^ w[j + 4]) >>> 0)) >>> 0;
    const tt2 = (gg + h + ss1 + w[j]) >>> 0;
    d = c; c = rotl(b, 9); b = a; a = tt1;
    h = g; g = rotl(f, 19); f = e; e = p0(tt2);
  }
  const out = [a, b, c, d, e, f, g, h];
  for (let i = 0; i < 8; i++) v[i] = (v[i] ^ out[i]) >>> 0;
}

/** SM3 of `data` (a Uint8Array): 32 bytes. */
export function sm3(data) {
  const bits = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(padded.length - 4, bits >>> 0);
  const v = IV.slice();
  for (let at = 0; at < padded.length; at += 64) compress(v, padded, at);
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  v.forEach((word, i) => outView.setUint32(4 * i, word));
  return out;
}
