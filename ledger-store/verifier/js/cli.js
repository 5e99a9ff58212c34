#!/usr/bin/env node
// node cli.js PROOF.json [--public-key HEX]   |   node cli.js --checkpoint LINE --public-key HEX
// Exit status as verify_proof.py: 0 holds; 1 does not hold; 2 usage or not a proof; 3 not
// signed by this key.

import { readFileSync } from 'node:fs';

import { Malformed, NotSignedByKey, verifyCheckpointLine, verifyProof } from './verify.js';

async function main(args) {
  const option = (name) => {
    const at = args.indexOf(name);
    if (at < 0) return null;
    const value = args[at + 1];
    args.splice(at, 2);
    if (value === undefined) throw new Malformed(`${name} needs a value`);
    return value;
  };
  const key = option('--public-key');
  const line = option('--checkpoint');
  if (line !== null) {
    if (key === null) throw new Malformed('a signed checkpoint is checked with --public-key');
    await verifyCheckpointLine(line, key);
    return 'signed checkpoint valid: signed by this key';
  }
  if (args.length !== 1) throw new Malformed('give one proof document (or --checkpoint LINE)');
  let doc;
  try {
    doc = JSON.parse(readFileSync(args[0] === '-' ? 0 : args[0], 'utf8'));
  } catch (e) {
    throw new Malformed(`cannot read the proof: ${e.message}`);
  }
  const kind = await verifyProof(doc, key);
  return `${kind} proof valid${key === null ? ' against its own root (no --public-key)' : ': its checkpoint is signed by this key'}`;
}

main(process.argv.slice(2)).then(
  (message) => { console.log(message); },
  (e) => {
    console.error(`verify-proof: ${e instanceof Malformed ? 'not a proof document: ' : ''}${e.message}`);
    process.exitCode = e instanceof Malformed ? 2 : e instanceof NotSignedByKey ? 3 : 1;
  },
);
