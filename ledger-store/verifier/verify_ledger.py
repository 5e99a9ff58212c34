#!/usr/bin/env python3
"""An independent verifier for time-bank ledger directories, written from docs/FORMAT.md alone.

Checks every record's frame and checksum, the hash chain, sequence numbers, time order, the
canonical structure of every command body and, given the checkpoint key, every checkpoint MAC
and a published checkpoint line.

It also recomputes every account's balances from the records' outcomes alone (no time-bank
rule), and with --balances prints them as JSON. It follows policy amendments (command tag 10):
each keeps the genesis policy's units, takes effect after the previous command and after the
previous amendment, and keeps every expiry rule in force; with --policies it prints every
version of the policy with its effective time as JSON.

The journal is read from its segment files (FORMAT.md 2.1): DATA_DIR/journal/NNNNNNNN.tbj, and
the files of every --segments-from directory (sealed segments moved to archive storage). Their
headers must bind them into one journal; a missing, duplicated, out-of-order or cut-short
segment is named in the words `timebank verify` uses.

Snapshot files (FORMAT.md 16, DATA_DIR/snapshots/NNNNNNNNNNNNNNNNNNNN.tbs) are derived data; each
is checked as far as the bytes allow without the engine: its size, hash, version, binding to
the journal record it names (that record's hash) and Merkle frontier (that of the tree of the
records up to it, FORMAT.md 13). Its state digest needs the engine (as a
checkpoint's does), so it is not recomputed here; `timebank verify` does that.

Usage: verify_ledger.py DATA_DIR [--key-hex HEX | --key-file PATH] [--checkpoint TEXT]
                        [--segments-from DIR ...] [--balances | --policies]
Exit status: 0 verifies, 1 names the first bad record, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import struct
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import blake3

# FORMAT.md section 3.1
JOURNAL_DIR_NAME = "journal"
# FORMAT.md section 2.1: segment files and their header
SEGMENT_MAGIC = b"TBSG"
SEGMENT_VERSION = 1
SEGMENT_HEADER_BYTES = 88
SEGMENT_HASH_CONTEXT = "timebank-ledger 2026-11 journal segment header v1"
RECORD_MAGIC = b"TBJR"
FORMAT_VERSION = 7
FORMAT_VERSION_MIN = 2
ARRIVAL_LOTS_MAX = 16
OFFSET_MAGIC = 0
OFFSET_LENGTH = 4
OFFSET_VERSION = 8
OFFSET_KIND = 9
OFFSET_RESERVED = 10
OFFSET_SEQUENCE = 12
OFFSET_NOW = 20
OFFSET_PREV_HASH = 28
OFFSET_BODY = 60
HASH_BYTES = 32
RECORD_BYTES_MIN = OFFSET_BODY + HASH_BYTES
RECORD_BYTES_MAX = 4 * 1024 * 1024
KIND_GENESIS, KIND_COMMAND, KIND_CHECKPOINT = 1, 2, 3
KNOWN_KINDS = (KIND_GENESIS, KIND_COMMAND, KIND_CHECKPOINT)
# FORMAT.md section 3.2 and 5
RECORD_HASH_CONTEXT = "timebank-ledger 2026-11 journal record v1"
CHECKPOINT_MAC_DOMAIN = b"timebank-ledger 2026-11 checkpoint v1"
CHECKPOINT_TEXT_PREFIX = "timebank-checkpoint v1"
CHECKPOINT_BODY_BYTES = 64
# FORMAT.md section 4.2
BATCH_EVENTS_MAX = 8190
UNIT_SCALE_MAX = 6
AMOUNT_MAX_WHOLE = 1_000_000_000
ACCOUNT_KINDS = range(1, 9)
TAG_CREATE_ACCOUNTS, TAG_CREATE_TRANSFERS, TAG_EXPIRE = 1, 2, 3
TAG_LINK, TAG_UNLINK, TAG_ELIGIBILITY, TAG_RATINGS = 4, 5, 6, 7
TAG_CLOSE_ACCOUNTS, TAG_OPERATE, TAG_AMEND_POLICY = 8, 9, 10
AMENDMENT_POLICY_BYTES_MAX = 1 << 20
# FORMAT.md section 4.5
ANNOTATION_OPERATOR, ANNOTATION_REASON = 1, 2


TORN_TAIL = "torn tail: the last record is incomplete or fails its checksum"


class Bad(Exception):
    """A record or segment that does not verify: the first problem found. `sequence`, `offset` (in the records laid end to end) and `why`
    are set for a record; `place` names a segment file and byte offset in it."""

    def __init__(self, message: str, sequence: int = 0, offset: int = 0, why: str = "",
                 place: str = ""):
        super().__init__(message)
        self.sequence, self.offset, self.why, self.place = sequence, offset, why, place

    def located(self, segments: list) -> "Bad":
        """This error with its segment and the byte offset in the segment's file, as
        `timebank verify` names a bad record."""
        if self.place or not segments or not self.why:
            return self
        segment = segments[0]
        for s in segments:
            if s.start <= self.offset:
                segment = s
        at = SEGMENT_HEADER_BYTES + self.offset - segment.start
        place = f"segment {segment.index:08}, byte offset {at}"
        return Bad(f"record {self.sequence} ({place}): {self.why}", self.sequence, self.offset,
                   self.why, place)


class BodyError(Exception):
    """A body that is not a canonical command."""


def record_hash(covered: bytes) -> bytes:
    return blake3.blake3(covered, derive_key_context=RECORD_HASH_CONTEXT).digest()


def checkpoint_mac(key: bytes, sequence: int, head: bytes, digest: bytes) -> bytes:
    data = CHECKPOINT_MAC_DOMAIN + struct.pack("<Q", sequence) + head + digest
    return blake3.blake3(data, key=key).digest()


@dataclass
class Frame:
    offset: int
    data: bytes

    @property
    def kind(self) -> int:
        return self.data[OFFSET_KIND]

    @property
    def sequence(self) -> int:
        return struct.unpack_from("<Q", self.data, OFFSET_SEQUENCE)[0]

    @property
    def now(self) -> int:
        return struct.unpack_from("<Q", self.data, OFFSET_NOW)[0]

    @property
    def prev_hash(self) -> bytes:
        return self.data[OFFSET_PREV_HASH:OFFSET_PREV_HASH + HASH_BYTES]

    @property
    def body(self) -> bytes:
        return self.data[OFFSET_BODY:len(self.data) - HASH_BYTES]

    @property
    def stored_hash(self) -> bytes:
        return self.data[len(self.data) - HASH_BYTES:]

    def hash_matches(self) -> bool:
        return record_hash(self.data[:len(self.data) - HASH_BYTES]) == self.stored_hash


def parse_frame(journal: bytes, offset: int) -> tuple[Optional[Frame], str]:
    """The frame at offset, or None and why not."""
    rest = journal[offset:]
    if len(rest) < OFFSET_LENGTH + 4:
        if rest != RECORD_MAGIC[:len(rest)]:
            return None, 'no record magic "TBJR" where a record must start'
        return None, "the record is incomplete (the file ends inside it)"
    if rest[OFFSET_MAGIC:OFFSET_MAGIC + 4] != RECORD_MAGIC:
        return None, 'no record magic "TBJR" where a record must start'
    (length,) = struct.unpack_from("<I", rest, OFFSET_LENGTH)
    if not RECORD_BYTES_MIN <= length <= RECORD_BYTES_MAX:
        return None, f"record length {length} is outside {RECORD_BYTES_MIN}..={RECORD_BYTES_MAX}"
    if len(rest) < length:
        return None, "the record is incomplete (the file ends inside it)"
    if not FORMAT_VERSION_MIN <= rest[OFFSET_VERSION] <= FORMAT_VERSION:
        return None, f"record version {rest[OFFSET_VERSION]} is not supported"
    if rest[OFFSET_KIND] not in KNOWN_KINDS:
        return None, f"record kind {rest[OFFSET_KIND]} is unknown"
    if rest[OFFSET_RESERVED:OFFSET_RESERVED + 2] != b"\0\0":
        return None, "the reserved header bytes are not zero"
    return Frame(offset, rest[:length]), ""


def unreadable(journal: bytes, offset: int) -> Optional[str]:
    """Why a whole record of an unknown version or kind, whose hash matches, cannot be read
    (FORMAT.md 6): it was written whole by another binary, so it is refused, never a torn tail."""
    rest = journal[offset:]
    if len(rest) < RECORD_BYTES_MIN or rest[:4] != RECORD_MAGIC:
        return None
    (length,) = struct.unpack_from("<I", rest, OFFSET_LENGTH)
    if not RECORD_BYTES_MIN <= length <= RECORD_BYTES_MAX or len(rest) < length:
        return None
    version, kind = rest[OFFSET_VERSION], rest[OFFSET_KIND]
    if FORMAT_VERSION_MIN <= version <= FORMAT_VERSION and kind in KNOWN_KINDS:
        return None
    if record_hash(rest[:length - HASH_BYTES]) != rest[length - HASH_BYTES:length]:
        return None
    if version < FORMAT_VERSION_MIN:
        return (f"written in format version {version}, which this binary does not read "
                f"(it reads format versions {FORMAT_VERSION_MIN} to {FORMAT_VERSION})")
    if version > FORMAT_VERSION:
        return (f"written by a newer timebank (format version {version}); this binary reads "
                f"up to {FORMAT_VERSION}")
    return (f"written by a newer timebank (record kind {kind} of format version {version} is "
            f"unknown here); this binary reads up to {FORMAT_VERSION}")


def valid_record_after(journal: bytes, start: int) -> bool:
    """Whether a whole record with a matching hash starts at or after start (FORMAT.md 7)."""
    at = journal.find(RECORD_MAGIC, start)
    while at != -1:
        frame, _ = parse_frame(journal, at)
        if (frame is not None and frame.hash_matches()) or unreadable(journal, at):
            return True
        at = journal.find(RECORD_MAGIC, at + 1)
    return False


# ---------------------------------------------------------------------------------------------
# Command bodies (FORMAT.md 4.2): structure and canonical form.

class Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.at + n > len(self.data):
            raise BodyError(f"the body ends inside {what}")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def uint(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "little")

    def id(self, what: str) -> int:
        value = self.uint(16, what)
        if value == 0:
            raise BodyError(f"{what} is zero")
        return value

    def present(self, defined: int, what: str) -> int:
        bits = self.uint(1, what)
        if bits & ~defined:
            raise BodyError(f"{what}: an undefined bit is set")
        return bits


def read_amount(r: Reader, what: str = "transfer.amount") -> Decimal:
    mantissa = r.uint(8, what)
    scale = r.uint(1, what)
    if scale > UNIT_SCALE_MAX:
        raise BodyError("transfer.amount: scale above 6")
    if mantissa == 0 or mantissa > AMOUNT_MAX_WHOLE * 10 ** scale:
        raise BodyError("transfer.amount: not a positive amount within the maximum")
    if scale > 0 and mantissa % 10 == 0:
        raise BodyError("transfer.amount: not normalized (trailing zeros)")
    return Decimal(mantissa).scaleb(-scale)


@dataclass
class TransferItem:
    flags: int
    debit: Optional[int]
    credit: Optional[int]
    amount: Optional[Decimal]


def read_transfer(r: Reader) -> TransferItem:
    r.id("transfer.id")
    r.take(2 + 2, "transfer fields")  # unit, code
    flags = r.uint(2, "transfer.flags")
    r.take(4 + 16, "transfer fields")  # timeout_s, user_data
    bits = r.present(0x1F, "transfer.present")
    debit = r.id("transfer.debit_account_id") if bits & 1 else None
    credit = r.id("transfer.credit_account_id") if bits & 2 else None
    amount = read_amount(r) if bits & 4 else None
    if bits & 8:
        r.id("transfer.related_id")
    if bits & 16:
        r.take(8, "transfer.served_at")
    return TransferItem(flags, debit, credit, amount)


def read_decimal(r: Reader, what: str) -> None:
    sign_scale = r.uint(1, what)
    magnitude = r.take(12, what)
    if sign_scale & 0x60 or (sign_scale & 0x1F) > 28:
        raise BodyError(f"{what}: reserved bits set or scale above 28")
    if sign_scale & 0x80 and magnitude == bytes(12):
        raise BodyError(f"{what}: negative zero")


def read_account(r: Reader) -> tuple:
    account = r.id("account.id")
    unit = r.uint(2, "account.unit")
    if r.uint(1, "account.kind") not in ACCOUNT_KINDS:
        raise BodyError("account.kind is unknown")
    r.take(4 + 16, "account fields")  # community, user_data
    bits = r.present(0x07, "account.present")
    if bits & 1:
        read_decimal(r, "account.floor")
    if bits & 2:
        read_decimal(r, "account.ceiling")
    if bits & 4:
        r.take(8, "account.eligible_from")
    return account, unit


def read_link(r: Reader) -> None:
    r.id("link.a")
    r.id("link.b")


def read_eligibility(r: Reader) -> None:
    r.id("eligibility.account")
    flag = r.uint(1, "eligibility.present")
    if flag == 1:
        r.take(8, "eligibility.from")
    elif flag != 0:
        raise BodyError("eligibility.present must be 0 or 1")


def read_rating(r: Reader) -> None:
    r.id("rating.transfer")
    r.take(1, "rating.rating")


def read_close(r: Reader) -> None:
    r.id("close.account")


ITEM_READERS = {
    TAG_CREATE_ACCOUNTS: read_account,
    TAG_CREATE_TRANSFERS: read_transfer,
    TAG_LINK: read_link,
    TAG_UNLINK: read_link,
    TAG_ELIGIBILITY: read_eligibility,
    TAG_RATINGS: read_rating,
    TAG_CLOSE_ACCOUNTS: read_close,
}


def read_code_option(r: Reader, what: str) -> None:
    flag = r.uint(1, what)
    if flag == 1:
        r.take(2, what)
    elif flag != 0:
        raise BodyError(f"{what}: the present byte must be 0 or 1")


def read_award(r: Reader) -> None:
    r.take(2, "award.code")
    r.id("award.issuer")
    r.id("award.member")
    r.take(4, "award.acts")


def read_operation(r: Reader) -> None:
    """One domain operation (tag 9): FORMAT.md §4.2, the Operate table."""
    r.id("operation.id")
    kind = r.uint(1, "operation.kind")
    if kind == 1:  # service
        r.take(2, "service.code")
        r.id("service.payer")
        r.id("service.provider")
        read_amount(r)
        r.take(16, "service.user_data")
        bits = r.present(0x07, "service.present")
        if bits & 1:
            r.take(8, "service.served_at")
        if bits & 2:
            r.id("service.donation")
        if bits & 4:
            read_award(r)
    elif kind == 2:  # booking
        r.take(2, "booking.code")
        r.id("booking.payer")
        r.id("booking.provider")
        read_amount(r)
        r.take(4 + 16, "booking fields")  # timeout_s, user_data
    elif kind == 3:  # completion
        r.id("completion.booking")
        bits = r.present(0x0F, "completion.present")
        if bits & 1:
            read_amount(r)
        if bits & 2:
            r.take(1, "completion.rating")
        if bits & 4:
            r.id("completion.donation")
        if bits & 8:
            r.take(8, "completion.served_at")
    elif kind in (4, 9):  # cancellation, reversal
        r.id("operation.related")
    elif kind in (5, 7):  # gift, redemption
        r.id("operation.from")
        r.id("operation.to")
        read_amount(r)
        read_code_option(r, "operation.code")
    elif kind == 6:  # award
        read_award(r)
    elif kind == 8:  # closing
        count = r.uint(2, "closing.count")
        if not 1 <= count <= BATCH_EVENTS_MAX:
            raise BodyError(f"closing.count {count} is outside 1..={BATCH_EVENTS_MAX}")
        for _ in range(count):
            r.id("closing.account")
            r.id("closing.destination")
    elif kind == 10:  # arrival (format version 5 on)
        r.id("arrival.clearing")
        r.id("arrival.member")
        r.take(2 + 2 + 16, "arrival fields")  # unit, code, user_data
        count = r.uint(1, "arrival.lot_count")
        if not 1 <= count <= ARRIVAL_LOTS_MAX:
            raise BodyError(f"arrival.lot_count {count} is outside 1..={ARRIVAL_LOTS_MAX}")
        for _ in range(count):
            r.take(8, "arrival.lot.expires_at")
            read_amount(r)
        bits = r.present(0x03, "arrival.present")
        if bits & 1:
            read_amount(r)
        if bits & 2:
            r.take(8, "arrival.eligible_from")
    else:
        raise BodyError(f"operation.kind {kind} is unknown")


def read_amendment(r: Reader) -> tuple:
    """A policy amendment (tag 10): its effective time and the policy, in its one JSON form."""
    start = r.uint(8, "amendment.from")
    length = r.uint(4, "amendment.length")
    if length > AMENDMENT_POLICY_BYTES_MAX:
        raise BodyError("amendment.length: above 1 MiB")
    raw = r.take(length, "amendment.policy")
    try:
        text = raw.decode("utf-8")
        policy = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise BodyError("amendment.policy: not a JSON policy") from None
    if not isinstance(policy, dict):
        raise BodyError("amendment.policy: not a JSON object")
    if json.dumps(policy, separators=(",", ":"), ensure_ascii=False) != text:
        raise BodyError("amendment.policy: not the policy's one JSON form (compact)")
    return start, policy


def read_annotations(r: Reader, version: int) -> dict:
    """Who ran the command and why (FORMAT.md 4.5): {"operator": n, "reason": n}, each only
    when given."""
    count = r.uint(1, "annotation count")
    if version < 4 and count != 0:
        raise BodyError("annotation count: format versions 2 and 3 define no annotations")
    found, last = {}, 0
    for _ in range(count):
        tag = r.uint(1, "annotation tag")
        if tag <= last:
            raise BodyError("annotation tag: tags must be strictly ascending")
        last = tag
        length = r.uint(2, "annotation length")
        if tag == ANNOTATION_OPERATOR and length == 8:
            found["operator"] = r.uint(8, "annotation operator")
            if found["operator"] == 0:
                raise BodyError("annotation operator: operator 0 is left out")
        elif tag == ANNOTATION_REASON and length == 4:
            found["reason"] = r.uint(4, "annotation reason")
        elif tag in (ANNOTATION_OPERATOR, ANNOTATION_REASON):
            raise BodyError("annotation length: not the length of the tag's value")
        else:
            raise BodyError(f"annotation tag: unknown tag {tag}")
    return found


def check_command(body: bytes, balances: Optional["Balances"] = None,
                  version: int = FORMAT_VERSION) -> Optional[tuple]:
    """Decodes a command record's body (FORMAT.md 4.2 to 4.5) and applies its outcome. Returns
    (effective time, policy) for an amendment, None for any other command."""
    r = Reader(body)
    tag = r.uint(1, "command tag")
    items: list = []
    amendment = None
    if tag == TAG_OPERATE:
        read_operation(r)
    elif tag == TAG_AMEND_POLICY:
        amendment = read_amendment(r)
        items = [None]
    elif tag != TAG_EXPIRE and tag != TAG_AMEND_POLICY:
        if tag not in ITEM_READERS:
            raise BodyError(f"unknown command tag {tag}")
        count = r.uint(2, "event count")
        if not 1 <= count <= BATCH_EVENTS_MAX:
            raise BodyError(f"event count {count} is outside 1..={BATCH_EVENTS_MAX}")
        items = [ITEM_READERS[tag](r) for _ in range(count)]
    balances = balances if balances is not None else Balances()
    if tag == TAG_EXPIRE:
        read_expiry_outcome(r, balances)
    elif tag == TAG_OPERATE:
        read_operation_outcome(r, balances)
    else:
        for item in items:
            read_event_outcome(r, tag, item, balances)
    read_annotations(r, version)
    if r.at != len(body):
        raise BodyError(f"{len(body) - r.at} bytes follow the last item")
    return amendment


def check_amendment(policies: list, start: int, policy: dict, previous_now: int) -> None:
    """What the engine requires of an amendment that a reader without it can check (FORMAT.md
    4.2): the genesis policy's units, some codes, an effective time after the previous command's
    time and after the previous amendment's, and an expiry rule for every unit that expires."""
    by_id = lambda units: sorted(units, key=lambda u: u.get("id"))  # noqa: E731
    if by_id(policy.get("units", [])) != by_id(policies[0][1].get("units", [])):
        raise BodyError("amendment.policy: the units differ from the genesis policy's")
    if not policy.get("codes"):
        raise BodyError("amendment.policy: an amended policy defines codes")
    if start <= previous_now:
        raise BodyError(f"amendment.from: {start} is not after the previous command's time "
                        f"{previous_now}")
    if len(policies) > 1 and start <= policies[-1][0]:
        raise BodyError(f"amendment.from: {start} is not after the previous amendment's "
                        f"{policies[-1][0]}")
    expiring = {e.get("unit") for e in policies[-1][1].get("expiry", [])}
    if not expiring <= {e.get("unit") for e in policy.get("expiry", [])}:
        raise BodyError("amendment.policy: drops an expiry rule in force")


# ---------------------------------------------------------------------------------------------
# Outcomes and balances (FORMAT.md 4.4 and 4.6).

FLAG_PENDING, FLAG_POST, FLAG_VOID = 1 << 1, 1 << 2, 1 << 3
RESULT_OK = 0
EXPIRE_ITEMS_MAX = 8190


class Balances:
    """Every account's four totals, recomputed from outcomes alone."""

    def __init__(self) -> None:
        self.accounts: dict = {}  # id -> {"unit": n, four totals as Decimal}

    def open(self, account: int, unit: int) -> None:
        zero = Decimal(0)
        self.accounts[account] = {"unit": unit, "debits_pending": zero, "debits_posted": zero,
                                  "credits_pending": zero, "credits_posted": zero}

    def add(self, account: int, total: str, amount: Decimal) -> None:
        if account not in self.accounts:
            raise BodyError(f"an outcome moves account {account}, which was never created")
        self.accounts[account][total] += amount

    def move(self, debit: int, credit: int, amount: Decimal, pending: bool, sign: int = 1) -> None:
        side = "pending" if pending else "posted"
        self.add(debit, f"debits_{side}", sign * amount)
        self.add(credit, f"credits_{side}", sign * amount)


def read_event_outcome(r: Reader, tag: int, item, balances: Balances) -> None:
    code = r.uint(2, "outcome.code")
    r.uint(8, "outcome.timestamp")
    if code != RESULT_OK:
        return
    if tag == TAG_CREATE_ACCOUNTS:
        balances.open(*item)
        return
    if tag != TAG_CREATE_TRANSFERS:
        return
    bits = r.present(0x0F, "outcome.resolved")
    debit = r.id("outcome.debit") if bits & 1 else None
    credit = r.id("outcome.credit") if bits & 2 else None
    amount = read_amount(r, "outcome.amount") if bits & 4 else None
    held = read_amount(r, "outcome.held") if bits & 8 else None
    for name, resolved, given in (("debit", debit, item.debit), ("credit", credit, item.credit),
                                  ("amount", amount, item.amount)):
        if resolved is not None and resolved == given:
            raise BodyError(f"outcome.{name}: repeats the request (a second encoding)")
    if bool(item.flags & FLAG_POST) != (held is not None):
        raise BodyError("outcome.held: present exactly for a post")
    debit = debit if debit is not None else item.debit
    credit = credit if credit is not None else item.credit
    amount = amount if amount is not None else item.amount
    if debit is None or credit is None or amount is None:
        raise BodyError("an applied transfer without its sides or amount")
    apply_transfer(balances, item.flags, debit, credit, amount, held)


OPERATION_ITEMS_MAX = 3 * BATCH_EVENTS_MAX


def read_operation_outcome(r: Reader, balances: Balances) -> None:
    """An operation's events, then every transfer it made (FORMAT.md 4.4)."""
    events = r.uint(4, "outcome.events")
    if events > OPERATION_ITEMS_MAX:
        raise BodyError("outcome.events: more items than one command makes")
    r.take(10 * events, "outcome.events")  # code, timestamp each
    made = r.uint(4, "outcome.made")
    if made > OPERATION_ITEMS_MAX:
        raise BodyError("outcome.made: more items than one command makes")
    for _ in range(made):
        r.id("outcome.id")
        flags = r.uint(2, "outcome.flags")
        debit, credit = r.id("outcome.debit"), r.id("outcome.credit")
        amount = read_amount(r, "outcome.amount")
        held = read_amount(r, "outcome.held") if flags & FLAG_POST else None
        apply_transfer(balances, flags, debit, credit, amount, held)


def apply_transfer(balances: Balances, flags: int, debit: int, credit: int, amount: Decimal,
                   held: Optional[Decimal]) -> None:
    """One applied transfer's effect on the four totals (FORMAT.md 4.6)."""
    if flags & FLAG_PENDING:
        balances.move(debit, credit, amount, pending=True)
    elif flags & FLAG_POST:
        balances.move(debit, credit, held, pending=True, sign=-1)
        balances.move(debit, credit, amount, pending=False)
    elif flags & FLAG_VOID:
        balances.move(debit, credit, amount, pending=True, sign=-1)
    else:
        balances.move(debit, credit, amount, pending=False)


def read_movement(r: Reader) -> tuple:
    r.id("outcome.id")
    return r.id("outcome.debit"), r.id("outcome.credit"), read_amount(r, "outcome.amount")


def read_expiry_outcome(r: Reader, balances: Balances) -> None:
    released = r.uint(4, "outcome.released")
    if released > EXPIRE_ITEMS_MAX:
        raise BodyError("outcome.released: more than 8190 items")
    for _ in range(released):
        debit, credit, amount = read_movement(r)
        balances.move(debit, credit, amount, pending=True, sign=-1)
    swept = r.uint(4, "outcome.swept")
    if swept > EXPIRE_ITEMS_MAX:
        raise BodyError("outcome.swept: more than 8190 items")
    for _ in range(swept):
        debit, credit, amount = read_movement(r)
        r.take(2 + 8, "outcome.sweep")  # code, timestamp
        balances.move(debit, credit, amount, pending=False)


# ---------------------------------------------------------------------------------------------
# The journal walk (FORMAT.md 3.3 and 7).

@dataclass
class Report:
    records: int
    head_sequence: int
    head_hash: bytes
    checkpoints: int
    macs_checked: bool
    hashes: list
    balances: "Balances"
    policies: list  # (effective time, policy), the genesis policy first at 0
    profile: str = "standard"  # the genesis record's crypto_profile (FORMAT.md 4.1)


def fail(sequence: int, offset: int, why: str) -> Bad:
    return Bad(f"record {sequence} at byte offset {offset}: {why}", sequence, offset, why)


# ---------------------------------------------------------------------------------------------
# Segments (FORMAT.md 2.1): read every segment file, check each header and how they join.

@dataclass
class Segment:
    index: int
    path: str
    start: int  # where its records start in the journal image
    first_sequence: int
    prev_hash: bytes
    records: bytes


def segment_error(index: int, offset: int, why: str) -> Bad:
    place = f"segment {index:08}, byte offset {offset}"
    return Bad(f"the journal's segments do not join ({place}): {why}", place=place, why=why)


def segment_index(name: str) -> Optional[int]:
    digits = name[:-4] if name.endswith(".tbj") else ""
    if len(digits) != 8 or not digits.isdigit() or int(digits) == 0:
        return None
    return int(digits)


def segment_header_hash(covered: bytes) -> bytes:
    return blake3.blake3(covered, derive_key_context=SEGMENT_HASH_CONTEXT).digest()


def frame_walk(records: bytes) -> tuple[list, Optional[int]]:
    """Frames `(offset, frame)` that parse, and where bytes that cannot start one begin (after
    the last record that parses, or at it when its own checksum fails)."""
    frames, offset = [], 0
    while offset < len(records):
        frame, _ = parse_frame(records, offset)
        if frame is None:
            if frames and not frames[-1][1].hash_matches():
                return frames[:-1], frames[-1][0]
            return frames, offset
        frames.append((offset, frame))
        offset += len(frame.data)
    return frames, None


def read_segments(data_dir: str, archives: list) -> list:
    """Every segment, in order, checked on its own and joined (FORMAT.md 2.1)."""
    journal_dir = os.path.join(data_dir, JOURNAL_DIR_NAME)
    found = []
    for directory in [journal_dir] + list(archives):
        for name in os.listdir(directory):
            index = segment_index(name)
            if index is not None:
                found.append((index, os.path.join(directory, name)))
    if not found:
        raise OSError(f"no journal segments in {journal_dir}")
    found.sort()
    for (a, path_a), (b, path_b) in zip(found, found[1:]):
        if a == b:
            raise segment_error(a, 0, f"segment {a:08} is found twice: {path_a} and {path_b}")
    for i, (index, _) in enumerate(found):
        expected = i + 1
        if index != expected:
            if i == 0:
                why = f"segment {expected:08} is missing (the first found is {index:08})"
            else:
                why = (f"segment {expected:08} is missing: segment {index:08} does not follow "
                       f"segment {expected - 1:08}")
            raise segment_error(expected, 0, why)
    segments, start, previous = [], 0, None
    for i, (index, path) in enumerate(found):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) < SEGMENT_HEADER_BYTES:
            raise segment_error(index, 0, f"segment {index:08} holds {len(data)} bytes, less "
                                          f"than a whole segment header ({SEGMENT_HEADER_BYTES} "
                                          f"bytes)")
        if data[:4] != SEGMENT_MAGIC:
            raise segment_error(index, 0, f"segment {index:08} does not start with a segment "
                                          f"header")
        if segment_header_hash(data[:56]) != data[56:88]:
            raise segment_error(index, 0, f"segment {index:08} has a damaged header (its hash "
                                          f"does not match)")
        version = data[4]
        if version != SEGMENT_VERSION or data[5:8] != bytes(3):
            place = f"segment {index:08}, byte offset 0"
            why = (f"written by a newer timebank (segment format version {version}); this "
                   f"binary reads up to {SEGMENT_VERSION}")
            raise Bad(f"segment {index:08} was {why}", place=place, why=why)
        header_index, first_sequence = struct.unpack_from("<QQ", data, 8)
        prev_hash = data[24:56]
        if header_index != index:
            raise segment_error(index, 0, f"the file of segment {index:08} holds segment "
                                          f"{header_index:08}: segment {header_index:08} does "
                                          f"not follow segment {index - 1:08}")
        records = data[SEGMENT_HEADER_BYTES:]
        frames, torn = frame_walk(records)
        if torn is not None:
            newer = unreadable(records, torn)
            sequence = first_sequence + len(frames)
            at = SEGMENT_HEADER_BYTES + torn
            if newer:
                place = f"segment {index:08}, byte offset {at}"
                raise Bad(f"record {sequence} ({place}): {newer}", sequence, start + torn,
                          newer, place)
            if not valid_record_after(records, torn + 1) and i + 1 < len(found):
                raise segment_error(index, at, f"segment {index:08} ends in an incomplete "
                                               f"record, but it is sealed (segment "
                                               f"{index + 1:08} follows it): it was cut short "
                                               f"or damaged")
        if previous is None:
            if (first_sequence, prev_hash) != (0, bytes(32)):
                raise segment_error(index, 0, f"segment {index:08} does not bind to the genesis "
                                              f"(it starts at record {first_sequence})")
        else:
            prev_index, last = previous
            if last is None:
                raise segment_error(prev_index, SEGMENT_HEADER_BYTES,
                                    f"segment {prev_index:08} holds no whole record but is "
                                    f"sealed (segment {index:08} follows it)")
            last_sequence, last_hash = last
            if (first_sequence, prev_hash) != (last_sequence + 1, last_hash):
                raise segment_error(index, 0, f"segment {index:08} does not follow segment "
                                              f"{prev_index:08}: it binds to record "
                                              f"{(first_sequence - 1) % (1 << 64)} with hash "
                                              f"{prev_hash.hex()}, and segment {prev_index:08} "
                                              f"ends at record {last_sequence} with hash "
                                              f"{last_hash.hex()}")
        if frames:
            first = frames[0][1]
            if (first.sequence, first.prev_hash) != (first_sequence, prev_hash):
                raise segment_error(index, SEGMENT_HEADER_BYTES,
                                    f"the first record of segment {index:08} is not the one its "
                                    f"header binds (record {first.sequence}, where the header "
                                    f"says {first_sequence})")
        last_frame = frames[-1][1] if frames else None
        previous = (index, (last_frame.sequence, last_frame.stored_hash) if last_frame else None)
        segments.append(Segment(index, path, start, first_sequence, prev_hash, records))
        start += len(records)
    return segments


def verify_journal(journal: bytes, key: Optional[bytes]) -> Report:
    offset, prev_hash, prev_now, hashes, checkpoints = 0, bytes(32), None, [], 0
    balances = Balances()
    policies: list = []
    profile = "standard"
    command_now = 0
    while offset < len(journal):
        sequence = len(hashes)
        frame, why = parse_frame(journal, offset)
        newer = unreadable(journal, offset) if frame is None else None
        if newer:
            raise fail(sequence, offset, newer)
        if frame is None or not frame.hash_matches():
            # The same words as `timebank verify` (CorruptionReason's Display in error.rs).
            if valid_record_after(journal, offset + 1):
                if frame is None:
                    raise fail(sequence, offset, f"bad frame ({why}) with valid records after it")
                raise fail(sequence, offset, "checksum mismatch (stored hash differs) with valid "
                                             "records after it")
            if sequence == 0:
                break  # no whole genesis record: reported below, as timebank does
            raise fail(sequence, offset, TORN_TAIL)
        if frame.sequence != sequence:
            raise fail(sequence, offset, f"sequence number {frame.sequence} found")
        if frame.prev_hash != prev_hash:
            raise fail(sequence, offset, "broken chain: prev_hash is not the previous record's "
                                         "hash")
        if prev_now is not None and frame.now < prev_now:
            raise fail(sequence, offset, f"now {frame.now} is before the previous record's "
                                         f"{prev_now}")
        if frame.kind != KIND_GENESIS and sequence == 0:
            raise fail(sequence, offset, "genesis: the first record is not a genesis record")
        if frame.kind == KIND_GENESIS and sequence != 0:
            raise fail(sequence, offset, "genesis: a genesis record after the first")
        if frame.kind == KIND_GENESIS:
            try:
                policy = json.loads(frame.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                policy = None
            if not isinstance(policy, dict):
                raise fail(sequence, offset, "the genesis body is not a JSON object")
            profile = policy.pop("crypto_profile", "standard")
            policies.append((0, policy))
        elif frame.kind == KIND_COMMAND:
            try:
                amendment = check_command(frame.body, balances, frame.data[OFFSET_VERSION])
                if amendment is not None:
                    check_amendment(policies, *amendment, command_now)
                    policies.append(amendment)
            except BodyError as e:
                raise fail(sequence, offset, f"body does not decode: {e}") from None
            command_now = frame.now
        elif frame.kind == KIND_CHECKPOINT:
            body = frame.body
            if len(body) != CHECKPOINT_BODY_BYTES:
                raise fail(sequence, offset, "a checkpoint body must be 64 bytes and follow the "
                                             "genesis record")
            if key is not None:
                expected = checkpoint_mac(key, sequence - 1, frame.prev_hash, body[:32])
                if not hmac.compare_digest(expected, body[32:]):
                    raise fail(sequence, offset, "checkpoint MAC does not verify under the key")
            checkpoints += 1
        prev_hash, prev_now = frame.stored_hash, frame.now
        hashes.append(frame.stored_hash)
        offset += len(frame.data)
    if not hashes:
        raise fail(0, 0, "genesis: no complete genesis record (the ledger's creation did not "
                         "finish)")
    return Report(len(hashes), len(hashes) - 1, prev_hash, checkpoints, key is not None, hashes,
                  balances, policies, profile)


# FORMAT.md section 16.2: snapshot files
SNAPSHOT_DIR_NAME = "snapshots"
SNAPSHOT_MAGIC = b"TBSS"
SNAPSHOT_VERSION = 4
SNAPSHOT_HEADER_BYTES = 88
SNAPSHOT_HASH_CONTEXT = "timebank-ledger 2026-11 snapshot file v1"


def snapshot_sequence(name: str) -> Optional[int]:
    stem = name[:-len(".tbs")] if name.endswith(".tbs") else ""
    return int(stem) if len(stem) == 20 and stem.isdigit() else None


def snapshot_problem(data: bytes, sequence: int, hashes: list, frontiers: dict) -> Optional[str]:
    """Why a snapshot file is damaged, in the words `timebank verify` uses; None if it checks."""
    if len(data) < SNAPSHOT_HEADER_BYTES + 32:
        return f"{len(data)} bytes, less than a header and a hash: cut short"
    if data[:4] != SNAPSHOT_MAGIC:
        return "not a snapshot file (no TBSS magic)"
    (length,) = struct.unpack_from("<Q", data, 80)
    size_mismatch = (f"its length field ({length}) does not match its size ({len(data)} bytes): "
                     f"cut short or damaged")
    # The state, then a count and that many Merkle frontier hashes, then the file hash.
    state_end = SNAPSHOT_HEADER_BYTES + length
    end = len(data) - 32
    if state_end > end:
        return size_mismatch
    if blake3.blake3(data[:end], derive_key_context=SNAPSHOT_HASH_CONTEXT).digest() != data[end:]:
        return "its hash does not match its bytes: damaged"
    if data[4] != SNAPSHOT_VERSION or data[5:8] != bytes(3):
        return (f"snapshot format version {data[4]} is not one this binary reads (it reads "
                f"{SNAPSHOT_VERSION})")
    if state_end == end or end - state_end - 1 != data[state_end] * 32:
        return size_mismatch
    count = data[state_end]
    (follows,) = struct.unpack_from("<Q", data, 8)
    bits_set = bin((follows + 1) % (1 << 64)).count("1")
    if follows == (1 << 64) - 1 or count != bits_set:
        return (f"its Merkle frontier holds {count} hashes, where a tree of record 0 to {follows} "
                f"has {bits_set}: damaged")
    record_hash = data[16:48]
    if follows >= len(hashes):
        return f"it follows record {follows}, past the journal's last ({len(hashes) - 1})"
    if hashes[follows] != record_hash:
        return (f"it is bound to record {follows} with hash {record_hash.hex()}, but the "
                f"journal's record {follows} has hash {hashes[follows].hex()}: a snapshot of "
                f"another ledger or of a rewritten history")
    frontier = [data[state_end + 1 + 32 * i:state_end + 33 + 32 * i] for i in range(count)]
    if follows in frontiers and frontiers[follows] != frontier:
        return (f"its Merkle frontier is not that of the journal's records 0 to {follows}: "
                f"damaged")
    if follows != sequence:
        return f"it holds the state after record {follows}, not {sequence} as its name says"
    return None


def merkle_frontiers(profile: str, hashes: list, wanted: set) -> dict:
    """FORMAT.md 16.2 and 13: for each record n in `wanted`, the Merkle frontier of records 0 to
    n (the roots of the perfect subtrees the tree of those leaves ends with, largest first), in
    one pass over the record hashes."""
    if profile == "gm":
        from gmssl import sm3 as gm_sm3, func

        def digest(data: bytes) -> bytes:
            return bytes.fromhex(gm_sm3.sm3_hash(func.bytes_to_list(data)))
    else:
        def digest(data: bytes) -> bytes:
            return hashlib.sha256(data).digest()
    found, stack = {}, []  # stack: (leaves, root), the largest subtree first
    last = max(wanted, default=-1)
    for n, record_hash in enumerate(hashes[:last + 1]):
        node, size = digest(b"\x00" + record_hash), 1
        while stack and stack[-1][0] == size:
            node, size = digest(b"\x01" + stack.pop()[1] + node), size * 2
        stack.append((size, node))
        if n in wanted:
            found[n] = [root for _, root in stack]
    return found


def check_snapshots(data_dir: str, report: Report, journal_bytes: int) -> int:
    """Checks every snapshot file, newest first (as `timebank verify` does); the number checked.
    Files being written (`.tbs.creating`) and other names are not snapshots and are skipped."""
    directory = os.path.join(data_dir, SNAPSHOT_DIR_NAME)
    if not os.path.isdir(directory):
        return 0
    found = sorted(((snapshot_sequence(n), n) for n in os.listdir(directory)
                    if snapshot_sequence(n) is not None), reverse=True)
    frontiers = merkle_frontiers(report.profile, report.hashes,
                                 {n for n, _ in found if n < len(report.hashes)})
    for sequence, name in found:
        with open(os.path.join(directory, name), "rb") as f:
            why = snapshot_problem(f.read(), sequence, report.hashes, frontiers)
        if why is not None:
            raise Bad(f"a snapshot is damaged: {SNAPSHOT_DIR_NAME}/{name}: {why}; the journal "
                      f"is intact through record {report.head_sequence} ({journal_bytes} bytes): "
                      f"remove the file (snapshots are derived data; opening passes over it, and "
                      f"`timebank snapshot` writes a new one)")
    return len(found)


def check_published(text: str, report: Report, key: Optional[bytes]) -> None:
    """A published checkpoint line (FORMAT.md 5.3) against the journal."""
    words = text.split()
    prefix = CHECKPOINT_TEXT_PREFIX.split()
    if words[:len(prefix)] != prefix or len(words) != len(prefix) + 4:
        raise Bad("the checkpoint line is not in the v1 text form")
    sequence_text, head_hex, digest_hex, mac_hex = words[len(prefix):]
    if not sequence_text.isdigit():
        raise Bad("the checkpoint's sequence is not a decimal number")
    sequence = int(sequence_text)
    head, digest, mac = (bytes.fromhex(h) for h in (head_hex, digest_hex, mac_hex))
    if key is not None and not hmac.compare_digest(checkpoint_mac(key, sequence, head, digest), mac):
        raise Bad("the published checkpoint's MAC does not verify under the key")
    if sequence >= len(report.hashes):
        raise Bad(f"the published checkpoint covers record {sequence}, beyond the journal's end")
    if report.hashes[sequence] != head:
        raise Bad(f"record {sequence}'s hash differs from the published checkpoint's head")


def read_key_file(path: str) -> bytes:
    """The key file format timebank reads: 64 hex digits, surrounding whitespace ignored."""
    with open(path, "r", encoding="ascii") as f:
        text = f.read().strip()
    if len(text) != 64 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError("the key file must hold the 32-byte key as 64 hex digits")
    return bytes.fromhex(text)


def balance_rows(balances: Balances) -> list:
    """Every account's balances (FORMAT.md 4.6), sorted by id; decimals as strings."""
    rows = []
    for account in sorted(balances.accounts):
        b = balances.accounts[account]
        posted = b["credits_posted"] - b["debits_posted"]
        rows.append({
            "account": account,
            "unit": b["unit"],
            "posted": str(posted),
            "available": str(posted - b["debits_pending"]),
            "debits_pending": str(b["debits_pending"]),
            "credits_pending": str(b["credits_pending"]),
        })
    return rows


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--key-hex", help="the 32-byte checkpoint key, as 64 hex digits")
    parser.add_argument("--key-file", help="a key file as timebank reads it: the 32-byte key "
                                           "as 64 hex digits (surrounding whitespace ignored)")
    parser.add_argument("--checkpoint", help="a published checkpoint line to check")
    parser.add_argument("--segments-from", action="append", default=[], metavar="DIR",
                        help="a directory holding sealed segments moved out of DATA_DIR/journal "
                             "(repeat it for several)")
    parser.add_argument("--balances", action="store_true",
                        help="print every account's balances, recomputed from the outcomes, "
                             "as one JSON array")
    parser.add_argument("--policies", action="store_true",
                        help="print every version of the policy as one JSON array of "
                             "{\"from\": effective time in ns, \"policy\": the policy}")
    args = parser.parse_args(argv)
    try:
        key = None
        if args.key_hex:
            key = bytes.fromhex(args.key_hex)
        elif args.key_file:
            key = read_key_file(args.key_file)
        if key is not None and len(key) != 32:
            raise ValueError("the key must be 32 bytes")
        segments = read_segments(args.data_dir, args.segments_from)
    except Bad as e:
        print(f"FAILED: {e}")
        return 1
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    journal = b"".join(segment.records for segment in segments)
    try:
        try:
            report = verify_journal(journal, key)
        except Bad as e:
            raise e.located(segments) from None
        if args.checkpoint:
            check_published(args.checkpoint, report, key)
        snapshots = check_snapshots(args.data_dir, report, len(journal))
    except (Bad, ValueError) as e:
        print(f"FAILED: {e}")
        return 1
    if args.balances:
        print(json.dumps(balance_rows(report.balances)))
        return 0
    if args.policies:
        print(json.dumps([{"from": start, "policy": p} for start, p in report.policies]))
        return 0
    macs = "MACs checked" if report.macs_checked else "MACs not checked (no key)"
    print(f"ok: {report.records} records in {len(segments)} segment(s), head "
          f"{report.head_sequence} "
          f"{report.head_hash.hex()}, {report.checkpoints} checkpoints ({macs}), {snapshots} "
          f"snapshot(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
