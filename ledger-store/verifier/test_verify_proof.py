"""Tests of verify_proof.py: the primitives against their standards' vectors, the RFC 9162 tree
against its definition, and the proofs the Rust `timebank` wrote (testdata/, both profiles),
which the Rust and JavaScript verifiers check too."""

import copy
import json
import pathlib

import pytest

import verify_proof as vp

HERE = pathlib.Path(__file__).parent
DATA = HERE / "testdata"
PROFILES = ["standard", "gm"]
KINDS = ["inclusion", "statement", "consistency"]


def mth(profile, leaves):
    """RFC 9162 §2.1.1, straight from the text (generation, independent of the verifier)."""
    if not leaves:
        return vp.tree_digest(profile, b"")
    if len(leaves) == 1:
        return vp.leaf_hash(profile, leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return vp.node_hash(profile, mth(profile, leaves[:k]), mth(profile, leaves[k:]))


def path(profile, m, leaves):
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(profile, m, leaves[:k]) + [mth(profile, leaves[k:])]
    return path(profile, m - k, leaves[k:]) + [mth(profile, leaves[:k])]


def subproof(profile, m, leaves, whole):
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(profile, leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(profile, m, leaves[:k], whole) + [mth(profile, leaves[k:])]
    return subproof(profile, m - k, leaves[k:], False) + [mth(profile, leaves[:k])]


RFC_LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"]]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_rfc_test_vectors():
    for n, root in enumerate(RFC_ROOTS, start=1):
        assert mth("standard", RFC_LEAVES[:n]).hex() == root
    a = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
    b = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
    c = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
    assert [h.hex() for h in path("standard", 0, RFC_LEAVES)] == [a, b, c]
    vp.verify_inclusion("standard", 0, 8, RFC_LEAVES[0], [bytes.fromhex(h) for h in (a, b, c)],
                        bytes.fromhex(RFC_ROOTS[7]))
    proof = subproof("standard", 6, RFC_LEAVES, True)
    assert proof[0].hex() == "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
    vp.verify_consistency("standard", 6, 8, bytes.fromhex(RFC_ROOTS[5]),
                          bytes.fromhex(RFC_ROOTS[7]), proof)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_generated_proof_verifies_and_altered_ones_do_not(profile):
    leaves = [bytes([i]) * 32 for i in range(19)]
    for n in range(1, 20):
        root = mth(profile, leaves[:n])
        for m in range(n):
            p = path(profile, m, leaves[:n])
            vp.verify_inclusion(profile, m, n, leaves[m], p, root)
            for i in range(len(p)):
                bad = list(p)
                bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
                with pytest.raises(vp.Invalid):
                    vp.verify_inclusion(profile, m, n, leaves[m], bad, root)
        for m in range(1, n + 1):
            proof = subproof(profile, m, leaves[:n], True)
            vp.verify_consistency(profile, m, n, mth(profile, leaves[:m]), root, proof)
            if proof:
                with pytest.raises(vp.Invalid):
                    vp.verify_consistency(profile, m, n, mth(profile, leaves[:m]), root,
                                          proof[:-1])


def test_sm3_gb_t_32905_vectors():
    assert vp.sm3(b"abc").hex() == \
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert vp.sm3(b"abcd" * 16).hex() == \
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm2_gb_t_32918_vector():
    public = bytes.fromhex(
        "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
        "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
    signature = bytes.fromhex(
        "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
        "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa")
    assert vp.sm2_verify(public, b"message digest", signature)
    assert not vp.sm2_verify(public, b"message digesT", signature)


def test_ed25519_rfc_8032_vector():
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert vp.ed25519_verify(public, b"", signature)
    assert not vp.ed25519_verify(public, b"x", signature)


def fixture(profile, kind):
    return json.loads((DATA / f"{profile}.{kind}.json").read_text())


def key(profile, name="public-key"):
    return bytes.fromhex((DATA / f"{profile}.{name}").read_text().strip())


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_rust_proofs_verify_with_the_public_key(profile, kind):
    assert vp.verify_document(fixture(profile, kind), key(profile)) == kind
    with pytest.raises(vp.WrongKey):
        vp.verify_document(fixture(profile, kind), key(profile, "other-public-key"))


def flip_hex(text, at):
    return text[:at] + ("1" if text[at] != "1" else "2") + text[at + 1:]


@pytest.mark.parametrize("profile", PROFILES)
def test_altering_any_part_of_a_proof_fails_it(profile):
    doc = fixture(profile, "inclusion")
    cases = []
    for at in range(0, len(doc["record"]), 7):
        cases.append(("record", at))
    for at in range(0, 64, 5):
        cases.append(("root", at))
    for name, at in cases:
        bad = copy.deepcopy(doc)
        bad[name] = flip_hex(bad[name], at)
        with pytest.raises((vp.Invalid, vp.Malformed)):
            vp.verify_document(bad, key(profile))
    for i in range(len(doc["path"])):
        bad = copy.deepcopy(doc)
        bad["path"][i] = flip_hex(bad["path"][i], i)
        with pytest.raises(vp.Invalid):
            vp.verify_document(bad, key(profile))
    bad = copy.deepcopy(doc)
    bad["transfer"] = "999"
    with pytest.raises(vp.Invalid):
        vp.verify_document(bad, key(profile))
    # An altered checkpoint names the key but its signature fails: not "another key".
    line = doc["checkpoint"].split(" ")
    line[4] = flip_hex(line[4], 0)
    bad = copy.deepcopy(doc)
    bad["checkpoint"] = " ".join(line)
    with pytest.raises(vp.Invalid):
        vp.verify_document(bad, key(profile))


def test_the_command_line_exit_codes(capsys):
    proof = str(DATA / "gm.statement.json")
    assert vp.main([proof, "--public-key", key("gm").hex()]) == 0
    assert vp.main([proof, "--public-key", key("gm", "other-public-key").hex()]) == 3
    assert vp.main([str(DATA / "standard.public-key")]) == 2
    line = (DATA / "standard.checkpoint-1").read_text()
    assert vp.main(["--checkpoint", line, "--public-key", key("standard").hex()]) == 0
    assert vp.main(["--checkpoint", line.replace(" standard ", " gm "),
                    "--public-key", key("standard").hex()]) == 2


@pytest.mark.parametrize("profile", PROFILES)
def test_a_document_with_another_or_a_missing_member_is_not_a_proof(profile):
    for kind in KINDS:
        doc = fixture(profile, kind)
        bad = copy.deepcopy(doc)
        bad["extra"] = None
        with pytest.raises(vp.Malformed):
            vp.verify_document(bad, key(profile))
        bad = copy.deepcopy(doc)
        del bad["path" if kind != "statement" else "records"]
        with pytest.raises(vp.Malformed):
            vp.verify_document(bad, key(profile))
    doc = fixture(profile, "inclusion")
    doc["Transfer"] = doc.pop("transfer")
    with pytest.raises(vp.Malformed):
        vp.verify_document(doc, key(profile))
