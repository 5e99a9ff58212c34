#!/usr/bin/env python3
"""Checks timebank proof documents and signed checkpoints, written from docs/FORMAT.md
(§3 records, §13 the Merkle tree, §14 signed checkpoints, §15 proofs) alone.

    python3 verify_proof.py PROOF.json [--public-key HEX]
    python3 verify_proof.py --checkpoint LINE --public-key HEX

Exit status: 0 the proof (or checkpoint) holds; 1 it does not (altered, forged, or not of
that history), with the reason; 2 usage or not a proof document; 3 not signed by this key
(another key or profile signed it: no statement about damage).

The standard profile needs `cryptography` (Ed25519) and `blake3`; the gm profile `gmssl`
(SM3 and SM2, pure Python). All are in requirements.txt.
"""

import argparse
import hashlib
import json
import sys

RECORD_MAGIC = b"TBJR"
RECORD_HASH_CONTEXT = "timebank-ledger 2026-11 journal record v1"
RECORD_BYTES_MIN = 92
SIGNED_DOMAIN = b"timebank-ledger 2026-11 signed checkpoint v1"
SIGNED_PREFIX = "timebank-signed-checkpoint v1"
PROFILES = {"standard": 1, "gm": 2}
PUBLIC_KEY_BYTES = {"standard": 32, "gm": 65}
SM2_ID = b"1234567812345678"
PROOF_HASHES_MAX = 65
KIND_COMMAND = 2
TAG_CREATE_TRANSFERS = 2
TAG_EXPIRE = 3
TAG_OPERATE = 9
KIND_CLOSING = 8
OPERATION_TRANSFERS_MAX = 3  # a service: the earned part, the donated excess, the points


class Malformed(Exception):
    """Not a proof document or checkpoint line."""


class Invalid(Exception):
    """Well formed, but it does not hold."""


class WrongKey(Exception):
    """Signed by another key (or profile) than the one trusted."""


# --- hashes -------------------------------------------------------------------------------

def sm3(data):
    from gmssl import sm3 as gm_sm3, func
    return bytes.fromhex(gm_sm3.sm3_hash(func.bytes_to_list(data)))


def tree_digest(profile, data):
    if profile == "standard":
        return hashlib.sha256(data).digest()
    return sm3(data)


def leaf_hash(profile, data):
    return tree_digest(profile, b"\x00" + data)


def node_hash(profile, left, right):
    return tree_digest(profile, b"\x01" + left + right)


def record_hash(covered):
    import blake3
    return blake3.blake3(covered, derive_key_context=RECORD_HASH_CONTEXT).digest()


# --- RFC 9162 verification (§2.1.3.2 and §2.1.4.2) ----------------------------------------

def verify_inclusion(profile, index, size, leaf_data, path, root):
    if index >= size or len(path) > PROOF_HASHES_MAX:
        raise Invalid("the leaf index is not below the tree size")
    fn, sn = index, size - 1
    r = leaf_hash(profile, leaf_data)
    for p in path:
        if sn == 0:
            raise Invalid("the path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(profile, p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(profile, r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("the path is shorter than the tree is deep")
    if r != root:
        raise Invalid("the path leads to another root")


def verify_consistency(profile, old_size, new_size, old_root, new_root, path):
    if old_size == 0 or old_size > new_size or len(path) > PROOF_HASHES_MAX:
        raise Invalid("the sizes do not fit a consistency proof")
    if old_size == new_size:
        if path or old_root != new_root:
            raise Invalid("equal sizes need an empty proof and equal roots")
        return
    if old_size & (old_size - 1) == 0:
        path = [old_root] + list(path)
    if not path:
        raise Invalid("the proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Invalid("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(profile, c, fr)
            sr = node_hash(profile, c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(profile, sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("the proof is shorter than the tree is deep")
    if fr != old_root or sr != new_root:
        raise Invalid("the proof does not lead to both roots")


# --- signed checkpoints (§14) ---------------------------------------------------------------

def unhex(text, length=None, what="value"):
    if not isinstance(text, str) or text != text.lower() or len(text) % 2:
        raise Malformed(f"{what} is not lower-case hex")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise Malformed(f"{what} is not lower-case hex") from None
    if length is not None and len(data) != length:
        raise Malformed(f"{what} is not {length} bytes")
    return data


def decimal(text, what):
    if not text.isdigit() or not text.isascii():
        raise Malformed(f"{what} is not a decimal number")
    value = int(text)
    if value >= 1 << 64:
        raise Malformed(f"{what} is not a u64")
    return value


def parse_checkpoint(line):
    line = line.strip()
    if not line.startswith(SIGNED_PREFIX):
        raise Malformed(f'it does not start with "{SIGNED_PREFIX}"')
    words = [w for w in line[len(SIGNED_PREFIX):].split(" ") if w]
    if len(words) != 8:
        raise Malformed("it needs eight fields after the prefix")
    profile, size, root, head, digest, time, key, signature = words
    if profile not in PROFILES:
        raise Malformed('the profile is neither "standard" nor "gm"')
    cp = {
        "profile": profile,
        "tree_size": decimal(size, "the tree size"),
        "root": unhex(root, 32, "the root"),
        "head_hash": unhex(head, 32, "the head hash"),
        "state_digest": unhex(digest, 32, "the state digest"),
        "time_ns": decimal(time, "the time"),
        "public_key": unhex(key, PUBLIC_KEY_BYTES[profile], "the public key"),
        "signature": unhex(signature, 64, "the signature"),
    }
    if cp["tree_size"] == 0:
        raise Malformed("the tree size is zero")
    return cp


def signed_message(cp):
    return (SIGNED_DOMAIN + bytes([PROFILES[cp["profile"]]])
            + cp["tree_size"].to_bytes(8, "little") + cp["root"] + cp["head_hash"]
            + cp["state_digest"] + cp["time_ns"].to_bytes(8, "little"))


def sm2_verify(public_key, message, signature):
    """GB/T 32918.2 with SM3 and the identifier 1234567812345678."""
    from gmssl import sm2
    verifier = sm2.CryptSM2(private_key=None, public_key=public_key[1:].hex())
    t = verifier.ecc_table
    z = (len(SM2_ID) * 8).to_bytes(2, "big")
    z += SM2_ID + bytes.fromhex(t["a"] + t["b"] + t["g"]) + public_key[1:]
    e = sm3(sm3(z) + message)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    n = int(t["n"], 16)
    if not (1 <= r < n and 1 <= s < n):
        return False
    return bool(verifier.verify(signature.hex(), e))


def ed25519_verify(public_key, message, signature):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_checkpoint(cp, trusted_key):
    """Raises WrongKey when `trusted_key` did not sign it, Invalid when it was altered."""
    if trusted_key != cp["public_key"]:
        raise WrongKey("not signed by this key")
    message = signed_message(cp)
    if cp["profile"] == "standard":
        good = ed25519_verify(trusted_key, message, cp["signature"])
    else:
        good = sm2_verify(trusted_key, message, cp["signature"])
    if not good:
        raise Invalid("the checkpoint's signature does not verify: it was altered or forged")


# --- records (§3) ------------------------------------------------------------------------------

def check_record(data, leaf_index):
    """The record's stored hash after checking it is one whole record with a matching hash and
    sequence number `leaf_index`."""
    if len(data) < RECORD_BYTES_MIN or data[:4] != RECORD_MAGIC:
        raise Invalid(f"record {leaf_index}: not a record frame")
    if int.from_bytes(data[4:8], "little") != len(data):
        raise Invalid(f"record {leaf_index}: its length is not its size")
    stored = data[-32:]
    if record_hash(data[:-32]) != stored:
        raise Invalid(f"record {leaf_index}: its bytes do not match its hash")
    if int.from_bytes(data[12:20], "little") != leaf_index:
        raise Invalid(f"record {leaf_index}: it has another sequence number")
    return stored


def transfer_ids(body):
    """The ids a CreateTransfers body lists (FORMAT.md §4.2; its outcome follows them)."""
    count = int.from_bytes(body[1:3], "little")
    at, ids = 3, []
    for _ in range(count):
        if at + 43 > len(body):
            raise Invalid("a transfer is cut short")
        ids.append(int.from_bytes(body[at:at + 16], "little"))
        present = body[at + 42]
        at += 43
        for bit, size in ((0, 16), (1, 16), (2, 9), (3, 16), (4, 8)):
            if present >> bit & 1:
                at += size
    if at > len(body):
        raise Invalid("the transfers do not fit the body")
    return ids


def holds_transfer(data, transfer):
    if data[9] != KIND_COMMAND:
        return False
    body = data[60:-32]
    if body[:1] == bytes([TAG_EXPIRE]):
        return True  # transfers the engine made itself are listed in no record
    if body[:1] == bytes([TAG_OPERATE]) and len(body) >= 18:
        # An operation's plan numbers its transfers from the operation id (FORMAT.md §4.2).
        first = int.from_bytes(body[1:17], "little")
        count = OPERATION_TRANSFERS_MAX
        if body[17] == KIND_CLOSING and len(body) >= 20:
            count = int.from_bytes(body[18:20], "little")
        return first <= transfer < first + count
    return body[:1] == bytes([TAG_CREATE_TRANSFERS]) and transfer in transfer_ids(body)


# --- proof documents (§15) ---------------------------------------------------------------------

# The members of each object, exactly (FORMAT.md §15): another member, or a missing one, makes
# the document malformed (a misspelt "Transfer" must not quietly drop the transfer check).
MEMBERS = {
    "timebank-inclusion-proof v1": {"proof", "profile", "tree_size", "root", "checkpoint",
                                    "transfer", "leaf_index", "record", "path"},
    "timebank-statement-proof v1": {"proof", "profile", "tree_size", "root", "checkpoint",
                                    "account", "transfers", "records"},
    "timebank-consistency-proof v1": {"proof", "profile", "old_size", "new_size", "old_root",
                                      "new_root", "path", "old_checkpoint", "new_checkpoint"},
}
TRANSFER_MEMBERS = {"transfer", "leaf_index"}
RECORD_MEMBERS = {"leaf_index", "record", "path"}


def exact_members(obj, members, what):
    if not isinstance(obj, dict) or set(obj) != members:
        raise Malformed(f"{what} must have exactly the members {', '.join(sorted(members))}")

def field(doc, name, kind):
    value = doc.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Malformed(f"{name} is missing or of the wrong type")
    return value


def hashes(doc, name):
    values = field(doc, name, list)
    if len(values) > PROOF_HASHES_MAX:
        raise Malformed(f"{name} holds too many hashes")
    return [unhex(v, 32, name) for v in values]


def ident(value, what):
    if not isinstance(value, str) or not value.isdigit() or int(value) == 0:
        raise Malformed(f"{what} is not a decimal id")
    return int(value)


def optional_checkpoint(doc, name):
    value = doc.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{name} is not a checkpoint line")
    return parse_checkpoint(value)


def check_signed(profile, size, root, cp, key):
    if cp is None:
        if key is not None:
            raise Invalid("the proof carries no signed checkpoint")
        return
    if key is not None:
        verify_checkpoint(cp, key)
    if cp["profile"] != profile or cp["tree_size"] != size or cp["root"] != root:
        raise Invalid("the checkpoint is not of the proof's tree (size, root or profile)")


def verify_record_proof(profile, size, root, entry):
    exact_members(entry, RECORD_MEMBERS, "a records entry")
    index = field(entry, "leaf_index", int)
    data = unhex(field(entry, "record", str), None, "record")
    stored = check_record(data, index)
    verify_inclusion(profile, index, size, stored, hashes(entry, "path"), root)
    return index, data


def verify_document(doc, key):
    kind = doc.get("proof")
    if kind not in MEMBERS:
        raise Malformed('"proof" names no known proof format')
    exact_members(doc, MEMBERS[kind], "the document")
    profile = field(doc, "profile", str)
    if profile not in PROFILES:
        raise Malformed('profile is neither "standard" nor "gm"')
    if kind == "timebank-consistency-proof v1":
        old, new = field(doc, "old_size", int), field(doc, "new_size", int)
        old_root, new_root = unhex(doc.get("old_root"), 32, "old_root"), unhex(doc.get("new_root"), 32, "new_root")
        check_signed(profile, old, old_root, optional_checkpoint(doc, "old_checkpoint"), key)
        check_signed(profile, new, new_root, optional_checkpoint(doc, "new_checkpoint"), key)
        verify_consistency(profile, old, new, old_root, new_root, hashes(doc, "path"))
        return "consistency"
    if kind not in ("timebank-inclusion-proof v1", "timebank-statement-proof v1"):
        raise Malformed('"proof" names no known proof format')
    size = field(doc, "tree_size", int)
    root = unhex(doc.get("root"), 32, "root")
    check_signed(profile, size, root, optional_checkpoint(doc, "checkpoint"), key)
    if kind == "timebank-inclusion-proof v1":
        index = field(doc, "leaf_index", int)
        data = unhex(field(doc, "record", str), None, "record")
        verify_inclusion(profile, index, size, check_record(data, index), hashes(doc, "path"), root)
        if doc.get("transfer") is not None:
            transfer = ident(doc["transfer"], "transfer")
            if not holds_transfer(data, transfer):
                raise Invalid(f"the record does not hold transfer {transfer}")
        return "inclusion"
    ident(doc.get("account"), "account")
    records = field(doc, "records", list)
    if len(records) > 1000:
        raise Malformed("more records than a statement proof carries")
    held = dict(verify_record_proof(profile, size, root, r) for r in records)
    for entry in field(doc, "transfers", list):
        exact_members(entry, TRANSFER_MEMBERS, "a transfers entry")
        transfer = ident(entry.get("transfer"), "transfer")
        index = field(entry, "leaf_index", int)
        if index not in held or not holds_transfer(held[index], transfer):
            raise Invalid(f"transfer {transfer}: record {index} is missing or does not hold it")
    return "statement"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", nargs="?", help="a proof document (JSON), or - for stdin")
    parser.add_argument("--public-key", help="the trusted public key, hex")
    parser.add_argument("--checkpoint", help="check this signed checkpoint line instead")
    args = parser.parse_args(argv)
    try:
        key = unhex(args.public_key.strip(), None, "the public key") if args.public_key else None
        if args.checkpoint is not None:
            if key is None:
                raise Malformed("a signed checkpoint is checked with --public-key")
            verify_checkpoint(parse_checkpoint(args.checkpoint), key)
            print("signed checkpoint valid: signed by this key")
            return 0
        if args.proof is None:
            raise Malformed("give a proof document or --checkpoint")
        text = sys.stdin.read() if args.proof == "-" else open(args.proof, encoding="utf-8").read()
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise Malformed(f"not JSON: {e}") from None
        if not isinstance(doc, dict):
            raise Malformed("not a JSON object")
        name = verify_document(doc, key)
        print(f"{name} proof valid" + (": its checkpoint is signed by this key" if key else
                                       " against its own root (no --public-key)"))
        return 0
    except Malformed as e:
        print(f"verify_proof: not a proof document: {e}", file=sys.stderr)
        return 2
    except WrongKey as e:
        print(f"verify_proof: {e}", file=sys.stderr)
        return 3
    except Invalid as e:
        print(f"verify_proof: does not hold: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
