// Checks timebank signed checkpoints and proof documents offline (docs/FORMAT.md §14 and §15),
// with no dependencies: a member's phone, a mini-program or a browser holds the signer's public
// key and a proof, and needs nothing else.
//
//   import { verifyProof, verifyCheckpointLine } from './verify.js';
//   const kind = await verifyProof(JSON.parse(text), publicKeyHex);   // throws on failure
//
// Failures are typed: NotSignedByKey (another key or profile signed it: no statement about
// damage), ProofInvalid (altered, forged, or not of that history), Malformed (not a proof).

import { deriveKey } from './blake3.js';
import { ed25519Verify } from './ed25519.js';
import { concat, equal, fromHex, toHex } from './hex.js';
import { ProofInvalid, PROOF_HASHES_MAX, verifyConsistency, verifyInclusion } from './merkle.js';
import { sm2Verify } from './sm2.js';

export { ProofInvalid } from './merkle.js';
export class NotSignedByKey extends Error {}
export class Malformed extends Error {}

const SIGNED_PREFIX = 'timebank-signed-checkpoint v1';
const SIGNED_DOMAIN = new TextEncoder().encode('timebank-ledger 2026-11 signed checkpoint v1');
const PROFILE_CODES = { standard: 1, gm: 2 };
const PUBLIC_KEY_BYTES = { standard: 32, gm: 65 };
const RECORD_HASH_CONTEXT = 'timebank-ledger 2026-11 journal record v1';
const RECORD_BYTES_MIN = 92;
const KIND_COMMAND = 2, TAG_CREATE_TRANSFERS = 2, TAG_EXPIRE = 3, TAG_OPERATE = 9;
// An operation's plan numbers its transfers from the operation id (FORMAT.md §4.2): at most 3
// (a service: the earned part, the donated excess, the points), or one per account closed.
const KIND_CLOSING = 8, OPERATION_TRANSFERS_MAX = 3n;
const STATEMENT_RECORDS_MAX = 1000;

function hexField(text, length, what) {
  const bytes = fromHex(text);
  if (bytes === null || (length !== null && bytes.length !== length)) {
    throw new Malformed(`${what} is not ${length === null ? '' : length + ' bytes of '}lower-case hex`);
  }
  return bytes;
}

function u64Field(text, what) {
  if (!/^[0-9]+$/.test(text) || BigInt(text) >= 2n ** 64n) throw new Malformed(`${what} is not a u64`);
  return BigInt(text);
}

function u64le(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/** Parses a signed checkpoint line (FORMAT.md §14). */
export function parseCheckpoint(line) {
  const text = String(line).trim();
  if (!text.startsWith(SIGNED_PREFIX)) throw new Malformed(`it does not start with "${SIGNED_PREFIX}"`);
  const words = text.slice(SIGNED_PREFIX.length).split(' ').filter((w) => w !== '');
  if (words.length !== 8) throw new Malformed('it needs eight fields after the prefix');
  const [profile, size, root, head, digest, time, key, signature] = words;
  if (!(profile in PROFILE_CODES)) throw new Malformed('the profile is neither "standard" nor "gm"');
  const treeSize = u64Field(size, 'the tree size');
  if (treeSize === 0n) throw new Malformed('the tree size is zero');
  return {
    profile,
    treeSize,
    root: hexField(root, 32, 'the root'),
    headHash: hexField(head, 32, 'the head hash'),
    stateDigest: hexField(digest, 32, 'the state digest'),
    timeNs: u64Field(time, 'the time'),
    publicKey: hexField(key, PUBLIC_KEY_BYTES[profile], 'the public key'),
    signature: hexField(signature, 64, 'the signature'),
  };
}

/** The 157 signed bytes. */
export function signedMessage(cp) {
  return concat(SIGNED_DOMAIN, Uint8Array.of(PROFILE_CODES[cp.profile]), u64le(cp.treeSize),
    cp.root, cp.headHash, cp.stateDigest, u64le(cp.timeNs));
}

/** Checks a parsed checkpoint's signature under the trusted key (bytes). */
export async function verifyCheckpoint(cp, trustedKey) {
  if (!equal(trustedKey, cp.publicKey)) throw new NotSignedByKey('not signed by this key');
  const message = signedMessage(cp);
  const good = cp.profile === 'standard'
    ? await ed25519Verify(trustedKey, message, cp.signature)
    : sm2Verify(trustedKey, message, cp.signature);
  if (!good) throw new ProofInvalid("the checkpoint's signature does not verify: it was altered or forged");
}

/** Parses and checks a signed checkpoint line under a trusted key (hex); returns it parsed. */
export async function verifyCheckpointLine(line, publicKeyHex) {
  const cp = parseCheckpoint(line);
  await verifyCheckpoint(cp, hexField(publicKeyHex.trim(), null, 'the public key'));
  return cp;
}

/** The record's stored hash, after checking it is one whole record with a matching hash and
 * sequence number `leafIndex` (FORMAT.md §3). */
function checkRecord(record, leafIndex) {
  const view = new DataView(record.buffer, record.byteOffset, record.length);
  if (record.length < RECORD_BYTES_MIN || toHex(record.subarray(0, 4)) !== '54424a52') {
    throw new ProofInvalid(`record ${leafIndex}: not a record frame`);
  }
  if (view.getUint32(4, true) !== record.length) throw new ProofInvalid(`record ${leafIndex}: its length is not its size`);
  const stored = record.subarray(record.length - 32);
  if (!equal(deriveKey(RECORD_HASH_CONTEXT, record.subarray(0, record.length - 32)), stored)) {
    throw new ProofInvalid(`record ${leafIndex}: its bytes do not match its hash`);
  }
  if (view.getBigUint64(12, true) !== BigInt(leafIndex)) throw new ProofInvalid(`record ${leafIndex}: it has another sequence number`);
  return stored;
}

/** Whether the record made `transfer` (a BigInt): a CreateTransfers body listing it, or an
 * Expire or Operate record (the engine's own transfers are listed in its outcome). */
export function holdsTransfer(record, transfer) {
  if (record[9] !== KIND_COMMAND) return false;
  const body = record.subarray(60, record.length - 32);
  if (body[0] === TAG_EXPIRE) return true;
  if (body[0] === TAG_OPERATE && body.length >= 18) {
    const ops = new DataView(body.buffer, body.byteOffset, body.length);
    const first = ops.getBigUint64(1, true) | (ops.getBigUint64(9, true) << 64n);
    let count = OPERATION_TRANSFERS_MAX;
    if (body[17] === KIND_CLOSING && body.length >= 20) count = BigInt(ops.getUint16(18, true));
    return transfer >= first && transfer < first + count;
  }
  if (body[0] !== TAG_CREATE_TRANSFERS || body.length < 3) return false;
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const count = view.getUint16(1, true);
  let at = 3;
  for (let i = 0; i < count; i++) {
    if (at + 43 > body.length) return false;
    const id = view.getBigUint64(at, true) | (view.getBigUint64(at + 8, true) << 64n);
    if (id === transfer) return true;
    const present = body[at + 42];
    at += 43 + (present & 1 ? 16 : 0) + (present & 2 ? 16 : 0) + (present & 4 ? 9 : 0) + (present & 8 ? 16 : 0) + (present & 16 ? 8 : 0);
  }
  return false;
}

// The members of each object, exactly (FORMAT.md §15): another member, or a missing one, makes
// the document malformed (a misspelt "Transfer" must not quietly drop the transfer check).
const MEMBERS = {
  'timebank-inclusion-proof v1': ['proof', 'profile', 'tree_size', 'root', 'checkpoint', 'transfer', 'leaf_index', 'record', 'path'],
  'timebank-statement-proof v1': ['proof', 'profile', 'tree_size', 'root', 'checkpoint', 'account', 'transfers', 'records'],
  'timebank-consistency-proof v1': ['proof', 'profile', 'old_size', 'new_size', 'old_root', 'new_root', 'path', 'old_checkpoint', 'new_checkpoint'],
};
const TRANSFER_MEMBERS = ['transfer', 'leaf_index'];
const RECORD_MEMBERS = ['leaf_index', 'record', 'path'];

function exactMembers(obj, members, what) {
  const ok = obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    && Object.keys(obj).length === members.length && members.every((m) => Object.hasOwn(obj, m));
  if (!ok) throw new Malformed(`${what} must have exactly the members ${members.join(', ')}`);
}

function field(doc, name, type) {
  const value = doc[name];
  const ok = type === 'integer' ? Number.isSafeInteger(value) && value >= 0
    : type === 'array' ? Array.isArray(value) : typeof value === type;
  if (!ok) throw new Malformed(`${name} is missing or of the wrong type`);
  return value;
}

function hashList(doc, name) {
  const list = field(doc, name, 'array');
  if (list.length > PROOF_HASHES_MAX) throw new Malformed(`${name} holds too many hashes`);
  return list.map((h) => hexField(h, 32, name));
}

function id(value, what) {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value) || BigInt(value) === 0n) throw new Malformed(`${what} is not a decimal id`);
  return BigInt(value);
}

function optionalCheckpoint(doc, name) {
  const value = doc[name];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new Malformed(`${name} is not a checkpoint line`);
  return parseCheckpoint(value);
}

async function checkSigned(profile, size, root, cp, key) {
  if (cp === null) {
    if (key !== null) throw new ProofInvalid('the proof carries no signed checkpoint');
    return;
  }
  if (key !== null) await verifyCheckpoint(cp, key);
  if (cp.profile !== profile || cp.treeSize !== BigInt(size) || !equal(cp.root, root)) {
    throw new ProofInvalid("the checkpoint is not of the proof's tree (size, root or profile)");
  }
}

async function verifyRecordProof(profile, size, root, entry) {
  const index = field(entry, 'leaf_index', 'integer');
  const record = hexField(field(entry, 'record', 'string'), null, 'record');
  const stored = checkRecord(record, index);
  await verifyInclusion(profile, index, size, stored, hashList(entry, 'path'), root);
  return [index, record];
}

/**
 * Checks a proof document (a parsed JSON object). With `publicKeyHex`, its checkpoint must be
 * signed by that key; without, only its hashes are checked against its own root. Returns
 * "inclusion", "statement" or "consistency"; throws NotSignedByKey, ProofInvalid or Malformed.
 */
export async function verifyProof(doc, publicKeyHex = null) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Malformed('not a JSON object');
  if (!Object.hasOwn(MEMBERS, doc.proof)) throw new Malformed('"proof" names no known proof format');
  exactMembers(doc, MEMBERS[doc.proof], 'the document');
  const key = publicKeyHex === null ? null : hexField(publicKeyHex.trim(), null, 'the public key');
  const profile = field(doc, 'profile', 'string');
  if (!(profile in PROFILE_CODES)) throw new Malformed('profile is neither "standard" nor "gm"');
  if (doc.proof === 'timebank-consistency-proof v1') {
    const oldSize = field(doc, 'old_size', 'integer'), newSize = field(doc, 'new_size', 'integer');
    const oldRoot = hexField(doc.old_root, 32, 'old_root'), newRoot = hexField(doc.new_root, 32, 'new_root');
    await checkSigned(profile, oldSize, oldRoot, optionalCheckpoint(doc, 'old_checkpoint'), key);
    await checkSigned(profile, newSize, newRoot, optionalCheckpoint(doc, 'new_checkpoint'), key);
    await verifyConsistency(profile, oldSize, newSize, oldRoot, newRoot, hashList(doc, 'path'));
    return 'consistency';
  }
  if (doc.proof !== 'timebank-inclusion-proof v1' && doc.proof !== 'timebank-statement-proof v1') {
    throw new Malformed('"proof" names no known proof format');
  }
  const size = field(doc, 'tree_size', 'integer');
  const root = hexField(doc.root, 32, 'root');
  await checkSigned(profile, size, root, optionalCheckpoint(doc, 'checkpoint'), key);
  if (doc.proof === 'timebank-inclusion-proof v1') {
    const [, record] = await verifyRecordProof(profile, size, root, doc);
    if (doc.transfer !== null && doc.transfer !== undefined) {
      const transfer = id(doc.transfer, 'transfer');
      if (!holdsTransfer(record, transfer)) throw new ProofInvalid(`the record does not hold transfer ${transfer}`);
    }
    return 'inclusion';
  }
  id(doc.account, 'account');
  const records = field(doc, 'records', 'array');
  if (records.length > STATEMENT_RECORDS_MAX) throw new Malformed('more records than a statement proof carries');
  const held = new Map();
  for (const entry of records) {
    exactMembers(entry, RECORD_MEMBERS, 'a records entry');
    const [index, record] = await verifyRecordProof(profile, size, root, entry);
    held.set(index, record);
  }
  for (const entry of field(doc, 'transfers', 'array')) {
    exactMembers(entry, TRANSFER_MEMBERS, 'a transfers entry');
    const transfer = id(entry.transfer, 'transfer');
    const index = field(entry, 'leaf_index', 'integer');
    if (!held.has(index) || !holdsTransfer(held.get(index), transfer)) {
      throw new ProofInvalid(`transfer ${transfer}: record ${index} is missing or does not hold it`);
    }
  }
  return 'statement';
}
