// The tree against RFC 9162's definition and vectors, and the proofs the Rust `timebank` wrote
// (../testdata, both profiles), which the Rust and Python verifiers check too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromHex, toHex } from '../hex.js';
import { leafHash, nodeHash, treeDigest, verifyConsistency, verifyInclusion } from '../merkle.js';
import { Malformed, NotSignedByKey, ProofInvalid, verifyCheckpointLine, verifyProof } from '../verify.js';

const DATA = new URL('../../testdata/', import.meta.url);
const read = (name) => readFileSync(new URL(name, DATA), 'utf8');
const fixture = (profile, kind) => JSON.parse(read(`${profile}.${kind}.json`));
const publicKey = (profile, name = 'public-key') => read(`${profile}.${name}`).trim();

const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };

// RFC 9162 §2.1 generation, straight from the text: independent of the verifier.
async function mth(profile, leaves) {
  if (leaves.length === 0) return treeDigest(profile, new Uint8Array(0));
  if (leaves.length === 1) return leafHash(profile, leaves[0]);
  const k = split(leaves.length);
  return nodeHash(profile, await mth(profile, leaves.slice(0, k)), await mth(profile, leaves.slice(k)));
}

async function path(profile, m, leaves) {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...await path(profile, m, leaves.slice(0, k)), await mth(profile, leaves.slice(k))];
  return [...await path(profile, m - k, leaves.slice(k)), await mth(profile, leaves.slice(0, k))];
}

async function subproof(profile, m, leaves, whole) {
  if (m === leaves.length) return whole ? [] : [await mth(profile, leaves)];
  const k = split(leaves.length);
  if (m <= k) return [...await subproof(profile, m, leaves.slice(0, k), whole), await mth(profile, leaves.slice(k))];
  return [...await subproof(profile, m - k, leaves.slice(k), false), await mth(profile, leaves.slice(0, k))];
}

const RFC_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const RFC_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

test('RFC 9162: the reference roots of 1 to 8 leaves, and a proof of each kind', async () => {
  for (let n = 1; n <= 8; n++) assert.equal(toHex(await mth('standard', RFC_LEAVES.slice(0, n))), RFC_ROOTS[n - 1]);
  const p = await path('standard', 5, RFC_LEAVES);
  assert.deepEqual(p.map(toHex), [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    RFC_ROOTS[3],
  ]);
  await verifyInclusion('standard', 5, 8, RFC_LEAVES[5], p, fromHex(RFC_ROOTS[7]));
  const c = await subproof('standard', 2, RFC_LEAVES.slice(0, 5), true);
  await verifyConsistency('standard', 2, 5, fromHex(RFC_ROOTS[1]), fromHex(RFC_ROOTS[4]), c);
});

for (const profile of ['standard', 'gm']) {
  test(`${profile}: every generated proof of trees up to 17 leaves verifies, an altered one does not`, async () => {
    const leaves = Array.from({ length: 17 }, (_, i) => new Uint8Array(32).fill(i));
    for (let n = 1; n <= 17; n++) {
      const root = await mth(profile, leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const p = await path(profile, m, leaves.slice(0, n));
        await verifyInclusion(profile, m, n, leaves[m], p, root);
        for (let i = 0; i < p.length; i++) {
          const bad = p.map((h) => h.slice());
          bad[i][i] ^= 1;
          await assert.rejects(verifyInclusion(profile, m, n, leaves[m], bad, root), ProofInvalid);
        }
      }
      for (let m = 1; m <= n; m++) {
        const proof = await subproof(profile, m, leaves.slice(0, n), true);
        const old = await mth(profile, leaves.slice(0, m));
        await verifyConsistency(profile, m, n, old, root, proof);
        if (proof.length > 0) await assert.rejects(verifyConsistency(profile, m, n, old, root, proof.slice(1)), ProofInvalid);
      }
    }
  });

  test(`${profile}: the Rust proofs verify with the public key, not with another`, async () => {
    for (const kind of ['inclusion', 'statement', 'consistency']) {
      assert.equal(await verifyProof(fixture(profile, kind), publicKey(profile)), kind);
      await assert.rejects(verifyProof(fixture(profile, kind), publicKey(profile, 'other-public-key')), NotSignedByKey);
    }
    for (const n of [1, 2]) await verifyCheckpointLine(read(`${profile}.checkpoint-${n}`), publicKey(profile));
  });

  test(`${profile}: altering any part of a proof fails it`, async () => {
    const doc = fixture(profile, 'inclusion');
    const flip = (text, at) => text.slice(0, at) + (text[at] === '1' ? '2' : '1') + text.slice(at + 1);
    for (let at = 0; at < doc.record.length; at += 9) {
      await assert.rejects(verifyProof({ ...doc, record: flip(doc.record, at) }, publicKey(profile)), ProofInvalid, `record hex ${at}`);
    }
    for (let i = 0; i < doc.path.length; i++) {
      const altered = doc.path.slice();
      altered[i] = flip(altered[i], 2 * i);
      await assert.rejects(verifyProof({ ...doc, path: altered }, publicKey(profile)), ProofInvalid);
    }
    await assert.rejects(verifyProof({ ...doc, root: flip(doc.root, 7) }, publicKey(profile)), ProofInvalid);
    await assert.rejects(verifyProof({ ...doc, transfer: '999' }, publicKey(profile)), ProofInvalid);
    await assert.rejects(verifyProof({ ...doc, leaf_index: doc.leaf_index + 1 }, publicKey(profile)), ProofInvalid);
    const words = doc.checkpoint.split(' ');
    words[4] = flip(words[4], 0);
    await assert.rejects(verifyProof({ ...doc, checkpoint: words.join(' ') }, publicKey(profile)), ProofInvalid);
    await assert.rejects(verifyProof({ ...doc, checkpoint: null }, publicKey(profile)), ProofInvalid);
    await assert.rejects(verifyProof({ ...doc, proof: 'something else' }, publicKey(profile)), Malformed);
    assert.equal(await verifyProof({ ...doc, checkpoint: null }), 'inclusion');
  });
}

for (const profile of ['standard', 'gm']) {
  test(`${profile}: a document with another or a missing member is not a proof`, async () => {
    for (const kind of ['inclusion', 'statement', 'consistency']) {
      const doc = fixture(profile, kind);
      await assert.rejects(verifyProof({ ...doc, extra: null }, publicKey(profile)), Malformed);
      const missing = { ...doc };
      delete missing[kind === 'statement' ? 'records' : 'path'];
      await assert.rejects(verifyProof(missing, publicKey(profile)), Malformed);
    }
    const doc = fixture(profile, 'inclusion');
    const { transfer, ...rest } = doc;
    await assert.rejects(verifyProof({ ...rest, Transfer: transfer }, publicKey(profile)), Malformed);
  });
}
