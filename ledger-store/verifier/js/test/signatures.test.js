import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ed25519Verify } from '../ed25519.js';
import { sm2Verify } from '../sm2.js';
import { fromHex } from '../hex.js';

test('Ed25519: RFC 8032 §7.1 test 1, and a changed message or signature fails', async () => {
  const key = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  const signature = fromHex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  assert.equal(await ed25519Verify(key, new Uint8Array(0), signature), true);
  assert.equal(await ed25519Verify(key, new Uint8Array([1]), signature), false);
  const bad = signature.slice();
  bad[40] ^= 1;
  assert.equal(await ed25519Verify(key, new Uint8Array(0), bad), false);
});

test('Ed25519: RFC 8032 §7.1 test 2 (one byte)', async () => {
  const key = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
  const signature = fromHex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');
  assert.equal(await ed25519Verify(key, new Uint8Array([0x72]), signature), true);
});

test('SM2: the GB/T 32918.5-2017 (GM/T 0003.5) signature of "message digest"', () => {
  const key = fromHex('0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13');
  const signature = fromHex('f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa');
  const message = new TextEncoder().encode('message digest');
  assert.equal(sm2Verify(key, message, signature), true);
  assert.equal(sm2Verify(key, new TextEncoder().encode('message digesT'), signature), false);
  assert.equal(sm2Verify(key, message, signature, 'ALICE123@YAHOO.COM'), false);
  const offCurve = key.slice();
  offCurve[64] ^= 1;
  assert.equal(sm2Verify(offCurve, message, signature), false);
});
