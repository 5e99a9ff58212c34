// BLAKE3 in derive_key mode, for the journal's record hashes (docs/FORMAT.md §3.2): a plain,
// synchronous implementation of the reference algorithm (any input length, 32-byte output).

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const PERMUTATION = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8;
const DERIVE_KEY_CONTEXT = 32, DERIVE_KEY_MATERIAL = 64;
const BLOCK_LEN = 64, CHUNK_LEN = 1024;

const rotr = (x, n) => ((x >>> n) | (x << (32 - n))) >>> 0;

function g(s, a, b, c, d, x, y) {
  s[a] = (s[a] + s[b] + x) >>> 0; s[d] = rotr(s[d] ^ s[a], 16);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotr(s[b] ^ s[c], 12);
  s[a] = (s[a] + s[b] + y) >>> 0; s[d] = rotr(s[d] ^ s[a], 8);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotr(s[b] ^ s[c], 7);
}

/** The compression function: the first 8 words of its output (the chaining value). */
function compress(cv, m, counter, blockLen, flags) {
  const s = [...cv, IV[0], IV[1], IV[2], IV[3], counter >>> 0, Math.floor(counter / 2 ** 32) >>> 0, blockLen, flags];
  let w = m.slice();
  for (let round = 0; round < 7; round++) {
    g(s, 0, 4, 8, 12, w[0], w[1]); g(s, 1, 5, 9, 13, w[2], w[3]);
    g(s, 2, 6, 10, 14, w[4], w[5]); g(s, 3, 7, 11, 15, w[6], w[7]);
    g(s, 0, 5, 10, 15, w[8], w[9]); g(s, 1, 6, 11, 12, w[10], w[11]);
    g(s, 2, 7, 8, 13, w[12], w[13]); g(s, 3, 4, 9, 14, w[14], w[15]);
    w = PERMUTATION.map((i) => w[i]);
  }
  return s.slice(0, 8).map((x, i) => (x ^ s[i + 8]) >>> 0);
}

function words(bytes, at, len) {
  const block = new Uint8Array(BLOCK_LEN);
  block.set(bytes.subarray(at, at + len));
  const view = new DataView(block.buffer);
  return Array.from({ length: 16 }, (_, i) => view.getUint32(4 * i, true));
}

/** The last block of a chunk, not yet compressed (the root needs the ROOT flag on it). */
function chunkOutput(key, input, at, len, counter, flags) {
  let cv = key;
  let offset = 0;
  const blocks = Math.max(1, Math.ceil(len / BLOCK_LEN));
  for (let b = 0; b < blocks - 1; b++, offset += BLOCK_LEN) {
    cv = compress(cv, words(input, at + offset, BLOCK_LEN), counter, BLOCK_LEN, flags | (b === 0 ? CHUNK_START : 0));
  }
  const last = len - offset;
  return { cv, block: words(input, at + offset, last), counter, blockLen: last, flags: flags | CHUNK_END | (blocks === 1 ? CHUNK_START : 0) };
}

const chain = (o) => compress(o.cv, o.block, o.counter, o.blockLen, o.flags);
const parent = (key, left, right, flags) => ({ cv: key, block: [...left, ...right], counter: 0, blockLen: BLOCK_LEN, flags: flags | PARENT });

function hash(key, input, flags) {
  const chunks = Math.max(1, Math.ceil(input.length / CHUNK_LEN));
  const stack = [];
  for (let c = 0; c < chunks - 1; c++) {
    let cv = chain(chunkOutput(key, input, c * CHUNK_LEN, CHUNK_LEN, c, flags));
    let total = c + 1;
    while ((total & 1) === 0) {
      cv = chain(parent(key, stack.pop(), cv, flags));
      total >>= 1;
    }
    stack.push(cv);
  }
  const lastAt = (chunks - 1) * CHUNK_LEN;
  let output = chunkOutput(key, input, lastAt, input.length - lastAt, chunks - 1, flags);
  while (stack.length > 0) output = parent(key, stack.pop(), chain(output), flags);
  const root = compress(output.cv, output.block, output.counter, output.blockLen, output.flags | ROOT);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  root.forEach((word, i) => view.setUint32(4 * i, word, true));
  return out;
}

/** BLAKE3 derive_key(context, input): 32 bytes. */
export function deriveKey(context, input) {
  const contextKey = hash(IV, new TextEncoder().encode(context), DERIVE_KEY_CONTEXT);
  const view = new DataView(contextKey.buffer);
  const key = Array.from({ length: 8 }, (_, i) => view.getUint32(4 * i, true));
  return hash(key, input, DERIVE_KEY_MATERIAL);
}

/** Plain BLAKE3 of `input`: 32 bytes (for the test vectors). */
export function blake3(input) {
  return hash(IV, input, 0);
}
