import { test } from 'node:test';
import assert from 'node:assert/strict';

import { sm3 } from '../sm3.js';
import { blake3, deriveKey } from '../blake3.js';
import { toHex } from '../hex.js';

const text = (s) => new TextEncoder().encode(s);

test('SM3: the GB/T 32905-2016 vectors', () => {
  assert.equal(toHex(sm3(text('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.equal(toHex(sm3(text('abcd'.repeat(16)))), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

// Inputs of n bytes i % 251 (as BLAKE3's own test vectors); derive_key with the record hash's
// context. Values from the reference implementation (the `blake3` Python package).
const VECTORS = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262', '222464722a6d6af9ec3b48b91f21ebcac3d9a64ba217c6deb1851ee6bdc908c3'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213', 'e3d690bee8bdb90f2b7e9048b1dad68fac47fe86516a34d2b464d3631806c007'],
  [63, 'e9bc37a594daad83be9470df7f7b3798297c3d834ce80ba85d6e207627b7db7b', 'd4066c25b285149f3ba6d7a32207c106ffecc7d582a5f590a1b5454288998dc9'],
  [64, '4eed7141ea4a5cd4b788606bd23f46e212af9cacebacdc7d1f4c6dc7f2511b98', 'c9eb14c0573017d5e7fe289a6a53a287c32d4210e57a12d1e2f1c21ada246443'],
  [65, 'de1e5fa0be70df6d2be8fffd0e99ceaa8eb6e8c93a63f2d8d1c30ecb6b263dee', '866beee2a594a6b7785cc428cb468a7c11bab6a024f51b9a9e43a4c9334b44fa'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11', '14b04bbf8e2ccb313ced08f70cbf5154a8dc3ac761d92743e85fc83bdc441f59'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7', '7185915b516c691ba44a9d136b2e3031fc3da57aba1ca51a1b7cd21427590dbc'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444', 'b41e3c836ffa9f0177b6d3078ad1bef895850c4951de5063bdc51697d048767f'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a', 'd25d0a74c589b7e40525501158cbae12069aebf25038dd6cb044d4582e3e310d'],
  [3073, '7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3', 'e01c42ee2795980203be01f0b6a842d7e6f03d57b7b5353d7798ea8cacd781e4'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b', '61bbf7492c843a229bc63288d099ac5d2eaa23468f0288c94a5bae28aaa6fe47'],
];

test('BLAKE3: plain and derive_key over one block, one chunk and many chunks', () => {
  for (const [n, plain, derived] of VECTORS) {
    const input = Uint8Array.from({ length: n }, (_, i) => i % 251);
    assert.equal(toHex(blake3(input)), plain, `plain, ${n} bytes`);
    assert.equal(toHex(deriveKey('timebank-ledger 2026-11 journal record v1', input)), derived, `derive_key, ${n} bytes`);
  }
});
