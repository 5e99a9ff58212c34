// The journal's Merkle tree (docs/FORMAT.md §13, RFC 9162 §2.1): hashing and the two
// verification algorithms. SHA-256 through WebCrypto (so everything here is async), SM3 in plain
// JavaScript.

import { sm3 } from './sm3.js';
import { concat, equal } from './hex.js';

export const PROOF_HASHES_MAX = 65;

export class ProofInvalid extends Error {}

/** H(data) under the profile: SHA-256 ("standard") or SM3 ("gm"). */
export async function treeDigest(profile, data) {
  if (profile === 'gm') return sm3(data);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

export const leafHash = (profile, data) => treeDigest(profile, concat(Uint8Array.of(0), data));
export const nodeHash = (profile, left, right) => treeDigest(profile, concat(Uint8Array.of(1), left, right));

// Sizes and indexes are below 2^53 (FORMAT.md §15), so Numbers with Math-based halving serve.
const half = (n) => Math.floor(n / 2);
const odd = (n) => n % 2 === 1;

function isPowerOfTwo(n) {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/** RFC 9162 §2.1.3.2: `leafData` is leaf `index` of the tree of `size` leaves with `root`. */
export async function verifyInclusion(profile, index, size, leafData, path, root) {
  if (!(index < size) || path.length > PROOF_HASHES_MAX) throw new ProofInvalid('the leaf index is not below the tree size');
  let fn = index, sn = size - 1;
  let r = await leafHash(profile, leafData);
  for (const p of path) {
    if (sn === 0) throw new ProofInvalid('the path is longer than the tree is deep');
    if (odd(fn) || fn === sn) {
      r = await nodeHash(profile, p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      }
    } else {
      r = await nodeHash(profile, r, p);
    }
    fn = half(fn); sn = half(sn);
  }
  if (sn !== 0) throw new ProofInvalid('the path is shorter than the tree is deep');
  if (!equal(r, root)) throw new ProofInvalid('the path leads to another root');
}

/** RFC 9162 §2.1.4.2: the tree of `newSize` leaves extends the tree of `oldSize` leaves. */
export async function verifyConsistency(profile, oldSize, newSize, oldRoot, newRoot, proof) {
  if (oldSize === 0 || oldSize > newSize || proof.length > PROOF_HASHES_MAX) throw new ProofInvalid('the sizes do not fit a consistency proof');
  if (oldSize === newSize) {
    if (proof.length !== 0 || !equal(oldRoot, newRoot)) throw new ProofInvalid('equal sizes need an empty proof and equal roots');
    return;
  }
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  if (path.length === 0) throw new ProofInvalid('the proof is empty');
  let fn = oldSize - 1, sn = newSize - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofInvalid('the proof is longer than the tree is deep');
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(profile, c, fr);
      sr = await nodeHash(profile, c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      }
    } else {
      sr = await nodeHash(profile, sr, c);
    }
    fn = half(fn); sn = half(sn);
  }
  if (sn !== 0) throw new ProofInvalid('the proof is shorter than the tree is deep');
  if (!equal(fr, oldRoot) || !equal(sr, newRoot)) throw new ProofInvalid('the proof does not lead to both roots');
}
