"""The independent verifier against ledgers the Rust store writes, intact and tampered."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import verify_ledger as vl  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "verify_ledger.py"
KEY_HEX = "5a" * 32
KEY = bytes.fromhex(KEY_HEX)


def sample_ledger_bin() -> list:
    """The command that writes a sample ledger (built with cargo unless given)."""
    given = os.environ.get("SAMPLE_LEDGER_BIN")
    if given:
        return [given]
    return ["cargo", "run", "--quiet", "--locked", "-p", "timebank-store", "--bin", "sample-ledger",
            "--"]


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ledger") / "data"
    out = subprocess.run(sample_ledger_bin() + [str(directory)], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.splitlines()
    head = out[0].split()
    checkpoint = out[1].split(" ", 1)[1]
    return directory, int(head[1]), head[2], checkpoint


SEGMENT_1 = Path(vl.JOURNAL_DIR_NAME) / "00000001.tbj"


def read_image(directory: Path) -> bytes:
    """The records of a one-segment journal (its segment header left out)."""
    return (directory / SEGMENT_1).read_bytes()[vl.SEGMENT_HEADER_BYTES:]


def write_image(directory: Path, image: bytes) -> None:
    """Replaces the records of a one-segment journal, keeping its header."""
    header = (directory / SEGMENT_1).read_bytes()[:vl.SEGMENT_HEADER_BYTES]
    (directory / SEGMENT_1).write_bytes(header + image)


def journal(sample) -> bytes:
    return read_image(sample[0])


def frames(data: bytes) -> list:
    out, offset = [], 0
    while offset < len(data):
        frame, _ = vl.parse_frame(data, offset)
        out.append(frame)
        offset += len(frame.data)
    return out


def run_cli(directory, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(directory), *args],
                          capture_output=True, text=True)


def expect_bad(data: bytes, sequence: int, offset: int, key=None, contains: str = "") -> str:
    with pytest.raises(vl.Bad) as caught:
        vl.verify_journal(data, key)
    message = str(caught.value)
    assert message.startswith(f"record {sequence} at byte offset {offset}:"), message
    assert contains in message
    return message


def test_the_rust_ledger_verifies_with_and_without_the_key(sample):
    directory, head_sequence, head_hex, checkpoint = sample
    plain = run_cli(directory)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert f"head {head_sequence} {head_hex}" in plain.stdout
    keyed = run_cli(directory, "--key-hex", KEY_HEX, "--checkpoint", checkpoint)
    assert keyed.returncode == 0, keyed.stdout
    assert "2 checkpoints (MACs checked)" in keyed.stdout


def test_a_wrong_key_or_an_altered_checkpoint_line_fails(sample):
    directory, _, _, checkpoint = sample
    wrong = run_cli(directory, "--key-hex", "00" * 32)
    assert wrong.returncode == 1
    assert "checkpoint MAC does not verify" in wrong.stdout
    words = checkpoint.split(" ")
    words[2] = str(int(words[2]) - 1)  # claim an earlier sequence
    moved = run_cli(directory, "--key-hex", KEY_HEX, "--checkpoint", " ".join(words))
    assert moved.returncode == 1
    unkeyed_moved = run_cli(directory, "--checkpoint", " ".join(words))
    assert unkeyed_moved.returncode == 1, "the head hash of an earlier record differs"


def test_a_flipped_byte_in_any_field_names_the_record(sample):
    data = journal(sample)
    victim = frames(data)[2]  # a transfer batch with records after it
    for at in range(victim.offset, victim.offset + len(victim.data)):
        damaged = bytearray(data)
        damaged[at] ^= 0x01
        expect_bad(bytes(damaged), 2, victim.offset)


def test_deleted_duplicated_and_reordered_records_are_named(sample):
    data = journal(sample)
    records = [f.data for f in frames(data)]
    offsets = [f.offset for f in frames(data)]

    def joined(order):
        return b"".join(records[i] for i in order)

    n = len(records)
    expect_bad(joined([i for i in range(n) if i != 4]), 4, offsets[4], contains="sequence")
    expect_bad(joined([0, 1, 2, 4, 3] + list(range(5, n))), 3, offsets[3])
    dup = joined([0, 1, 2, 3, 3] + list(range(4, n)))
    expect_bad(dup, 4, offsets[4])


def test_a_torn_tail_is_reported_at_its_offset(sample):
    data = journal(sample)
    last = frames(data)[-1]
    for cut in (1, 10, len(last.data) - 1):
        expect_bad(data[:last.offset + cut], len(frames(data)) - 1, last.offset,
                   contains="torn tail")
    expect_bad(data + b"\0" * 7, len(frames(data)), len(data), contains="torn tail")


def test_a_rewritten_suffix_with_a_recomputed_chain_fails_only_with_the_key(sample, tmp_path):
    data = journal(sample)
    records = frames(data)
    out = bytearray(data[:records[2].offset])
    prev = records[1].stored_hash
    for i, frame in enumerate(records[2:], start=2):
        covered = bytearray(frame.data[:-32])
        covered[vl.OFFSET_PREV_HASH:vl.OFFSET_PREV_HASH + 32] = prev
        if i == 2:
            # Change the first transfer's user_data: still a canonical body.
            covered[vl.OFFSET_BODY + 3 + 26] ^= 0xFF
        prev = vl.record_hash(bytes(covered))
        out += covered + prev
    forged = bytes(out)
    assert vl.verify_journal(forged, None).records == len(records)
    checkpoint = next(f for f in records if f.kind == vl.KIND_CHECKPOINT)
    expect_bad(forged, checkpoint.sequence, checkpoint.offset, key=KEY, contains="MAC")
    # And through the command line, on a copy of the directory.
    copy = tmp_path / "forged"
    shutil.copytree(sample[0], copy)
    write_image(copy, forged)
    assert run_cli(copy).returncode == 0
    result = run_cli(copy, "--key-hex", KEY_HEX)
    assert result.returncode == 1
    at = vl.SEGMENT_HEADER_BYTES + checkpoint.offset
    assert (f"record {checkpoint.sequence} (segment 00000001, byte offset {at})"
            in result.stdout), result.stdout


def test_non_canonical_bodies_are_refused(sample):
    data = journal(sample)
    record = frames(data)[2]
    assert record.kind == vl.KIND_COMMAND
    body = bytearray(record.body)
    body[3 + 42] |= 0x80  # an undefined present bit of the first transfer
    covered = bytearray(record.data[:vl.OFFSET_BODY]) + body
    rebuilt = bytes(covered) + vl.record_hash(bytes(covered))
    tail = data[record.offset + len(record.data):]
    expect_bad(data[:record.offset] + rebuilt, 2, record.offset, contains="undefined bit")
    assert tail  # the original continues, but the next link would break anyway


def test_usage_errors_exit_with_2(tmp_path):
    assert run_cli(tmp_path / "missing").returncode == 2
    assert run_cli(tmp_path, "--key-hex", "abcd").returncode == 2


def future_record(previous: vl.Frame, version: int, kind: int, body: bytes) -> bytes:
    header = bytearray(vl.RECORD_MAGIC + bytes(4) + bytes([version, kind, 0, 0]))
    header += struct.pack("<QQ", previous.sequence + 1, previous.now) + previous.stored_hash
    covered = header + body
    covered[vl.OFFSET_LENGTH:vl.OFFSET_LENGTH + 4] = struct.pack("<I", len(covered) + 32)
    return bytes(covered) + vl.record_hash(bytes(covered))


def test_a_newer_format_version_is_refused_not_a_torn_tail(sample):
    data = journal(sample)
    last = frames(data)[-1]
    newer = future_record(last, vl.FORMAT_VERSION + 1, vl.KIND_COMMAND, b"from the future")
    n = len(frames(data))
    expect_bad(data + newer, n, len(data),
               contains=f"written by a newer timebank (format version {vl.FORMAT_VERSION + 1}); this binary reads up "
                        f"to {vl.FORMAT_VERSION}")
    # Torn bytes after it change nothing; a newer record whose hash fails is a torn tail.
    expect_bad(data + newer + b"TBJR", n, len(data), contains="newer timebank")
    damaged = newer[:-1] + bytes([newer[-1] ^ 1])
    expect_bad(data + damaged, n, len(data), contains="torn tail")
    unknown_kind = future_record(last, vl.FORMAT_VERSION, 99, b"")
    expect_bad(data + unknown_kind, n, len(data), contains="record kind 99")


def timebank_cmd() -> list:
    """The command that runs timebank (built with cargo unless given)."""
    given = os.environ.get("TIMEBANK_BIN")
    if given:
        return [given]
    return ["cargo", "run", "--quiet", "--locked", "-p", "timebank-cli", "--bin", "timebank", "--"]


def timebank(directory, *args) -> subprocess.CompletedProcess:
    return subprocess.run(timebank_cmd() + ["--data", str(directory), *args], cwd=REPO,
                          capture_output=True, text=True)


def test_balances_recomputed_from_outcomes_match_timebank(sample, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sample[0], copy)
    key_file = tmp_path / "key"
    key_file.write_text(KEY_HEX + "\n")
    result = run_cli(copy, "--key-file", str(key_file), "--balances")
    assert result.returncode == 0, result.stdout + result.stderr
    ours = {row["account"]: row for row in json.loads(result.stdout)}
    assert sorted(ours) == [1, 2, 3, 4]
    shown = timebank(copy, "--json", "balance", "1", "2", "3", "4")
    assert shown.returncode == 0, shown.stderr
    for row in json.loads(shown.stdout):
        mine = ours[row["account"]]
        for field in ("posted", "available", "debits_pending", "credits_pending"):
            assert Decimal(mine[field]) == Decimal(str(row[field])), (row, mine, field)
    # Per unit, the posted balances sum to zero.
    for unit in {r["unit"] for r in ours.values()}:
        assert sum(Decimal(r["posted"]) for r in ours.values() if r["unit"] == unit) == 0


def test_a_ledger_whose_engine_evicted_transfers_checks_from_the_spec_alone(tmp_path):
    """A ledger written with `--resident-transfers` (FORMAT.md 16.4: old transfers kept in the
    index, a snapshot holding only what memory does) is checked by this verifier as any other:
    the journal, the snapshot file, and the balances summed from the outcomes, which equal the
    balances `timebank` shows."""
    data = tmp_path / "evicting"
    keep = ["--resident-transfers", "100"]
    wrote = timebank(data, *keep, "simulate", "--days", "30", "--communities", "120")
    assert wrote.returncode == 0, wrote.stderr
    snap = timebank(data, *keep, "snapshot")
    assert snap.returncode == 0, snap.stderr
    result = run_cli(data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 snapshot(s)" in result.stdout, result.stdout
    balances = run_cli(data, "--balances")
    assert balances.returncode == 0, balances.stderr
    ours = {row["account"]: row for row in json.loads(balances.stdout)}
    assert len(ours) > 100
    some = sorted(ours)[:: max(1, len(ours) // 20)]
    shown = timebank(data, *keep, "--json", "balance", *map(str, some))
    assert shown.returncode == 0, shown.stderr
    for row in json.loads(shown.stdout):
        mine = ours[row["account"]]
        for field in ("posted", "available", "debits_pending", "credits_pending"):
            assert Decimal(mine[field]) == Decimal(str(row[field])), (row, mine, field)


def test_a_gm_ledgers_snapshot_frontier_is_checked_in_sm3(tmp_path):
    """A 国密 ledger's tree is SM3 (FORMAT.md 13): its snapshot's Merkle frontier checks with
    SM3, and a frontier changed under a recomputed file hash does not."""
    data = tmp_path / "gm"
    assert timebank(data, "init", "--profile", "gm").returncode == 0
    for account, kind in (("1", "issuer"), ("2", "member"), ("3", "member")):
        opened = timebank(data, "account", "open", account, "--kind", kind, "--unit", "hours")
        assert opened.returncode == 0, opened.stderr
    for provider, hours in (("2", "3"), ("3", "1.25"), ("2", "0.5"), ("3", "2")):
        recorded = timebank(data, "record", "--payer", "1", "--provider", provider, "--hours",
                            hours, "--code", "101")
        assert recorded.returncode == 0, recorded.stderr
    assert timebank(data, "snapshot").returncode == 0
    mine = run_cli(data)
    assert mine.returncode == 0 and "1 snapshot(s)" in mine.stdout, mine.stdout + mine.stderr
    (path,) = (data / vl.SNAPSHOT_DIR_NAME).glob("*.tbs")
    intact = path.read_bytes()
    (length,) = vl.struct.unpack_from("<Q", intact, 80)
    changed = bytearray(intact[:-32])
    changed[vl.SNAPSHOT_HEADER_BYTES + length + 1] ^= 0x01
    file_hash = vl.blake3.blake3(bytes(changed), derive_key_context=vl.SNAPSHOT_HASH_CONTEXT)
    path.write_bytes(bytes(changed) + file_hash.digest())
    mine = run_cli(data)
    assert mine.returncode == 1, mine.stdout + mine.stderr
    assert "its Merkle frontier is not that of the journal's records 0 to" in mine.stdout


def test_a_rehashed_record_holding_an_overdraft(sample, tmp_path):
    """The first transfer (fund to alice, 2.5) rewritten to 1001 hours, past the fund's floor of
    -1000.50, with every later hash and link recomputed: without the key the bytes hold, and
    the outcomes give the overdraft; the keyed checkpoint catches it, and a replay disagrees
    with the recorded outcome."""
    data = journal(sample)
    records = frames(data)
    victim = records[2]
    body = bytearray(victim.body)
    amount_at = 3 + 43 + 32  # the first transfer's amount: after its fixed part and both sides
    body[amount_at:amount_at + 9] = struct.pack("<QB", 1001, 0)
    out = bytearray(data[:victim.offset])
    prev = records[1].stored_hash
    for frame in records[2:]:
        covered = bytearray(frame.data[:vl.OFFSET_BODY])
        covered[vl.OFFSET_PREV_HASH:vl.OFFSET_PREV_HASH + 32] = prev
        covered += body if frame is victim else frame.body
        struct.pack_into("<I", covered, vl.OFFSET_LENGTH, len(covered) + 32)
        prev = vl.record_hash(bytes(covered))
        out += covered + prev
    forged = bytes(out)
    report = vl.verify_journal(forged, None)
    fund = report.balances.accounts[1]
    assert fund["credits_posted"] - fund["debits_posted"] < Decimal("-1000.50")
    checkpoint = next(f for f in records if f.kind == vl.KIND_CHECKPOINT)
    expect_bad(forged, checkpoint.sequence, checkpoint.offset, key=KEY, contains="MAC")
    copy = tmp_path / "forged"
    shutil.copytree(sample[0], copy)
    write_image(copy, forged)
    assert run_cli(copy).returncode == 0
    # At hash speed, timebank verify sees what this verifier sees: a well-formed history.
    audited = timebank(copy, "verify", "--journal-only")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    replayed = timebank(copy, "verify", "--journal-only", "--replay")
    assert replayed.returncode == 5, replayed.stdout + replayed.stderr
    assert "replay differs at event 0: recorded ok, engine says exceeds_floor" in replayed.stderr


def test_the_key_file_is_read_as_timebank_reads_it(sample, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("  " + KEY_HEX.upper() + "\n")
    assert run_cli(sample[0], "--key-file", str(key_file)).returncode == 0
    key_file.write_bytes(KEY)
    assert run_cli(sample[0], "--key-file", str(key_file)).returncode == 2


def rechained(data: bytes, victim: int, change) -> bytes:
    """The journal with record `victim`'s bytes before its hash changed by `change` (a function
    of a bytearray), rehashed, and every later record linked and hashed again: only what
    `change` did is wrong, and no hash fails (there is no key to catch it)."""
    records = frames(data)
    out = bytearray(data[:records[victim].offset])
    prev = records[victim - 1].stored_hash
    for i, frame in enumerate(records[victim:], start=victim):
        covered = bytearray(frame.data[:-32])
        if i == victim:
            change(covered)
            struct.pack_into("<I", covered, vl.OFFSET_LENGTH, len(covered) + 32)
        else:
            covered[vl.OFFSET_PREV_HASH:vl.OFFSET_PREV_HASH + 32] = prev
        prev = vl.record_hash(bytes(covered))
        out += covered + prev
    return bytes(out)


def test_every_case_is_labelled_as_timebank_verify_labels_it(sample, tmp_path):
    """Torn tail, damage, a newer version, a truncated genesis, a wrong sequence number, a
    broken link, time going back and bodies that do not decode: the same words, record and
    place as `timebank verify`."""
    data = journal(sample)
    records = frames(data)
    last = records[-1]
    flipped = bytearray(data)
    flipped[records[2].offset + vl.OFFSET_BODY + 5] ^= 1

    def sequence(covered):
        covered[vl.OFFSET_SEQUENCE] ^= 0x40

    def link(covered):
        covered[vl.OFFSET_PREV_HASH] ^= 1

    def time(covered):
        struct.pack_into("<Q", covered, vl.OFFSET_NOW, 1)

    def tag(covered):
        covered[vl.OFFSET_BODY] = 200

    def trailing(covered):
        covered += b"\0\0\0"

    cases = {
        "torn": data[:last.offset + 10],
        "damage": bytes(flipped),
        "newer": data + future_record(last, vl.FORMAT_VERSION + 1, vl.KIND_COMMAND, b"x"),
        "genesis": data[:records[0].offset + 20],
        "sequence": rechained(data, 3, sequence),
        "link": rechained(data, 3, link),
        "time": rechained(data, 3, time),
        "tag": rechained(data, 2, tag),
        "trailing": rechained(data, 2, trailing),
    }
    for name, image in cases.items():
        with pytest.raises(vl.Bad) as caught:
            vl.verify_journal(image, None)
        ours = str(caught.value)  # "record S at byte offset O: reason"
        sequence, rest = ours.removeprefix("record ").split(" at byte offset ", 1)
        offset, reason = rest.split(": ", 1)
        copy = tmp_path / name
        shutil.copytree(sample[0], copy)
        write_image(copy, image)
        theirs = timebank(copy, "verify", "--journal-only")
        assert theirs.returncode == 5, (name, theirs.stderr)
        assert reason in theirs.stderr, (name, reason, theirs.stderr)
        # timebank names the segment and the byte offset in its file (after its header).
        place = f"segment 00000001, byte offset {int(offset) + vl.SEGMENT_HEADER_BYTES}"
        if name == "newer":
            assert f"record {sequence} ({place})" in theirs.stderr
        else:
            assert f"first bad record {sequence} ({place})" in theirs.stderr
        # And this verifier, run on the directory, names the same place.
        mine = run_cli(copy)
        assert mine.returncode == 1, (name, mine.stdout)
        assert f"record {sequence} ({place}): {reason}" in mine.stdout, (name, mine.stdout)


def amended_ledger(tmp_path) -> Path:
    """A ledger under the shipped policy, amended from 1 July 2026 with a daily cap."""
    data = tmp_path / "amended"
    at = "2026-03-01T09:00:00+08:00"
    assert timebank(data, "--at", at, "init").returncode == 0
    for account, kind in (("1", "issuer"), ("2", "member")):
        opened = timebank(data, "--at", at, "account", "open", account, "--kind", kind)
        assert opened.returncode == 0, opened.stderr
    shipped = (REPO / "ledger-core" / "policy" / "default.toml").read_text()
    policy = tmp_path / "amended.toml"
    policy.write_text(shipped + '\n[[caps]]\nunit = 1\nperiod = "day"\nlimit = "2"\n'
                                'excess = "reject"\n')
    amended = timebank(data, "--at", at, "policy", "amend", str(policy), "--from",
                       "2026-07-01T00:00:00+08:00")
    assert amended.returncode == 0, amended.stderr
    return data


def test_amendments_are_followed_and_match_timebank(tmp_path):
    data = amended_ledger(tmp_path)
    result = run_cli(data, "--policies")
    assert result.returncode == 0, result.stdout + result.stderr
    ours = json.loads(result.stdout)
    assert [v["from"] for v in ours] == [0, 1_782_835_200_000_000_000]
    for version in ours:
        at = str(max(version["from"], 1))
        shown = timebank(data, "--json", "--at", at, "policy", "show")
        assert shown.returncode == 0, shown.stderr
        theirs = json.loads(shown.stdout)
        assert theirs["from"] == version["from"]
        assert theirs["policy"] == version["policy"]
    assert ours[1]["policy"]["caps"][0]["limit"] == "2"


def test_an_amendment_that_changes_the_units_or_goes_back_in_time_is_refused(tmp_path):
    data = amended_ledger(tmp_path)
    image = read_image(data)
    records = frames(image)
    last = records[-1]
    assert last.body[0] == vl.TAG_AMEND_POLICY

    def rewritten(body: bytes) -> bytes:
        """The journal with its last record's body replaced, rehashed (no key catches it)."""
        covered = bytearray(last.data[:vl.OFFSET_BODY]) + body
        struct.pack_into("<I", covered, vl.OFFSET_LENGTH, len(covered) + 32)
        return image[:last.offset] + bytes(covered) + vl.record_hash(bytes(covered))

    start, length = struct.unpack_from("<QI", last.body, 1)
    text = last.body[13:13 + length].decode()
    rest = last.body[13 + length:]
    for policy_text, when, expected in (
        (text.replace('"scale":2', '"scale":3'), start, "units differ"),
        (text, 1, "not after the previous command's time"),
        (text.replace('{"units"', '{ "units"'), start, "one JSON form"),
    ):
        raw = policy_text.encode()
        body = bytes([vl.TAG_AMEND_POLICY]) + struct.pack("<QI", when, len(raw)) + raw + rest
        with pytest.raises(vl.Bad) as caught:
            vl.verify_journal(rewritten(body), None)
        assert expected in str(caught.value), (expected, str(caught.value))


def test_annotations_say_who_ran_a_command_and_are_checked(sample):
    """The sample's link command is by operator 4001 for reason 5 (FORMAT.md 4.5)."""
    data = journal(sample)
    records = frames(data)
    linked = next(f for f in records
                  if f.kind == vl.KIND_COMMAND and f.body[0] == vl.TAG_LINK)
    assert linked.data[vl.OFFSET_VERSION] == vl.FORMAT_VERSION
    tail = linked.body[-(1 + 11 + 7):]
    assert tail == (bytes([2, vl.ANNOTATION_OPERATOR]) + struct.pack("<HQ", 8, 4001)
                    + bytes([vl.ANNOTATION_REASON]) + struct.pack("<HI", 4, 5))
    r = vl.Reader(tail)
    assert vl.read_annotations(r, 4) == {"operator": 4001, "reason": 5}
    for bad, expected in (
        (bytes([1, 9]) + struct.pack("<H", 0), "unknown tag"),
        (bytes([1, 1]) + struct.pack("<HQ", 8, 0), "operator 0"),
        (bytes([1, 2]) + struct.pack("<HH", 2, 5), "length"),
        (bytes([2, 2]) + struct.pack("<HI", 4, 5) + bytes([1]) + struct.pack("<HQ", 8, 1),
         "ascending"),
    ):
        with pytest.raises(vl.BodyError) as caught:
            vl.read_annotations(vl.Reader(bad), 4)
        assert expected in str(caught.value)
    # A version-3 record holds none.
    with pytest.raises(vl.BodyError):
        vl.read_annotations(vl.Reader(tail), 3)


# ---------------------------------------------------------------------------------------------
# Segments (FORMAT.md 2.1)

SMALL_SEGMENTS = ("--segment-bytes", "1024")


def segmented_ledger(tmp_path) -> Path:
    """A ledger written by timebank in segments of at most 1 KiB."""
    data = tmp_path / "segmented"
    at = "2026-03-01T09:00:00+08:00"
    assert timebank(data, *SMALL_SEGMENTS, "--at", at, "init").returncode == 0
    for account, kind in (("1", "issuer"), ("2", "member"), ("3", "member")):
        opened = timebank(data, *SMALL_SEGMENTS, "--at", at, "account", "open", account,
                          "--kind", kind, "--unit", "hours", "--community", "7")
        assert opened.returncode == 0, opened.stderr
    for n in range(12):
        done = timebank(data, *SMALL_SEGMENTS, "--at", at, "record", "--payer", "1",
                        "--provider", str(2 + n % 2), "--hours", "1.5", "--code", "101")
        assert done.returncode == 0, done.stderr
    return data


def segment_file(data: Path, index: int) -> Path:
    return data / vl.JOURNAL_DIR_NAME / f"{index:08}.tbj"


def same_label(data: Path, expected: str, *extra: str) -> None:
    """This verifier and `timebank verify` both refuse, naming the problem in the same words."""
    mine = run_cli(data, *extra)
    assert mine.returncode == 1, mine.stdout + mine.stderr
    assert expected in mine.stdout, mine.stdout
    theirs = timebank(data, *extra, "verify", "--journal-only")
    assert theirs.returncode == 5, theirs.stderr
    assert expected in theirs.stderr, theirs.stderr


def test_a_segmented_journal_verifies_and_its_balances_match(tmp_path):
    data = segmented_ledger(tmp_path)
    count = len(list((data / vl.JOURNAL_DIR_NAME).glob("*.tbj")))
    assert count >= 4
    mine = run_cli(data)
    assert mine.returncode == 0, mine.stdout
    assert f"in {count} segment(s)" in mine.stdout
    balances = run_cli(data, "--balances")
    ours = {row["account"]: row for row in json.loads(balances.stdout)}
    shown = timebank(data, "--json", "balance", "1", "2", "3")
    for row in json.loads(shown.stdout):
        assert Decimal(ours[row["account"]]["posted"]) == Decimal(str(row["posted"]))


def test_a_missing_or_reordered_segment_is_labelled_as_timebank_labels_it(tmp_path):
    data = segmented_ledger(tmp_path)
    second, third = segment_file(data, 2), segment_file(data, 3)
    kept = tmp_path / "kept"
    second.rename(kept)
    same_label(data, "segment 00000002 is missing: segment 00000003 does not follow segment "
                     "00000001")
    # Segment 3 where segment 2 belongs, and segment 2 where 3 belongs.
    third.rename(second)
    kept.rename(third)
    same_label(data, "the file of segment 00000002 holds segment 00000003: segment 00000003 "
                     "does not follow segment 00000001")
    # Back in order, but segment 2 cut short at a record boundary.
    second.rename(kept)
    third.rename(second)
    kept.rename(third)
    assert run_cli(data).returncode == 0
    records = (second).read_bytes()
    last = frames(records[vl.SEGMENT_HEADER_BYTES:])[-1]
    second.write_bytes(records[:vl.SEGMENT_HEADER_BYTES + last.offset])
    same_label(data, "segment 00000003 does not follow segment 00000002")
    # Cut inside its last record: a torn end in a sealed segment.
    second.write_bytes(records[:vl.SEGMENT_HEADER_BYTES + last.offset + 7])
    same_label(data, "segment 00000002 ends in an incomplete record, but it is sealed")


def test_segments_in_an_archive_directory_are_read_with_segments_from(tmp_path):
    data = segmented_ledger(tmp_path)
    archive = tmp_path / "archive"
    archive.mkdir()
    for index in (1, 2):
        segment_file(data, index).rename(archive / f"{index:08}.tbj")
    same_label(data, "segment 00000001 is missing")
    assert run_cli(data, "--segments-from", str(archive)).returncode == 0
    theirs = timebank(data, "--segments-from", str(archive), "verify", "--journal-only")
    assert theirs.returncode == 0, theirs.stderr
    # The same segment in both places is refused by both.
    shutil.copy(archive / "00000002.tbj", segment_file(data, 2))
    same_label(data, "segment 00000002 is found twice", "--segments-from", str(archive))


def test_snapshots_are_checked_and_labelled_as_timebank_labels_them(sample, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample[0], data)
    written = timebank(data, "snapshot")
    assert written.returncode == 0, written.stderr
    (path,) = (data / vl.SNAPSHOT_DIR_NAME).glob("*.tbs")
    mine = run_cli(data)
    assert mine.returncode == 0 and "1 snapshot(s)" in mine.stdout, mine.stdout + mine.stderr
    intact = path.read_bytes()

    def same_snapshot_label(expected: str) -> None:
        mine = run_cli(data)
        assert mine.returncode == 1, mine.stdout + mine.stderr
        assert f"a snapshot is damaged: snapshots/{path.name}: " in mine.stdout, mine.stdout
        assert expected in mine.stdout, mine.stdout
        theirs = timebank(data, "verify")
        assert theirs.returncode == 5, theirs.stderr
        # The same words, the journal's extent included.
        assert mine.stdout.strip().removeprefix("FAILED: ") in theirs.stderr, theirs.stderr

    flipped = bytearray(intact)
    flipped[vl.SNAPSHOT_HEADER_BYTES] ^= 0x01
    path.write_bytes(bytes(flipped))
    same_snapshot_label("its hash does not match its bytes: damaged")

    # Bound to another history: a changed record hash under a recomputed file hash.
    rebound = bytearray(intact[:-32])
    rebound[16] ^= 0x01
    file_hash = vl.blake3.blake3(bytes(rebound), derive_key_context=vl.SNAPSHOT_HASH_CONTEXT)
    path.write_bytes(bytes(rebound) + file_hash.digest())
    same_snapshot_label("a snapshot of another ledger or of a rewritten history")

    # Another Merkle frontier (a byte of its first hash changed) under a recomputed file hash:
    # the tree of the journal's records up to the snapshot is not the one the snapshot holds.
    (length,) = vl.struct.unpack_from("<Q", intact, 80)
    refronted = bytearray(intact[:-32])
    refronted[vl.SNAPSHOT_HEADER_BYTES + length + 1] ^= 0x01
    file_hash = vl.blake3.blake3(bytes(refronted), derive_key_context=vl.SNAPSHOT_HASH_CONTEXT)
    path.write_bytes(bytes(refronted) + file_hash.digest())
    same_snapshot_label("its Merkle frontier is not that of the journal's records 0 to")

    path.write_bytes(intact[:100])
    same_snapshot_label("100 bytes, less than a header and a hash: cut short")
