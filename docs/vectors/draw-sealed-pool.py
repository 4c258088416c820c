#!/usr/bin/env python3
"""Writes draw-sealed-pool.json: a bidhall-draw/1 expert draw over a sealed pool, computed from
docs/draw.md with Python's standard library only (independently of the Rust and JS code, which both
read the file). Run from anywhere: python3 docs/vectors/draw-sealed-pool.py"""

import hashlib
import hmac
import json
import os
import struct
import unicodedata

ALGORITHM = "bidhall-draw/1"
COMMIT_DOMAIN = "bidhall-draw/1/commit"
MEMBER_DOMAIN = "bidhall-draw/1/pool-member"


def lp(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def member_message(draw_id, cid, name, salt):
    return (lp(MEMBER_DOMAIN.encode()) + lp(draw_id.encode()) + lp(cid.encode())
            + lp(nfc(name).encode()) + salt)


def party_commitment(draw_id, party, r):
    return sha256(lp(COMMIT_DOMAIN.encode()) + lp(draw_id.encode()) + lp(party.encode()) + r)


def seed_of(draw_id, pool_hash, reveals, beacon=b""):
    salt = lp(ALGORITHM.encode()) + lp(draw_id.encode())
    ikm = lp(pool_hash) + struct.pack(">I", len(reveals))
    for party, c, r in sorted(reveals, key=lambda x: x[0].encode()):
        ikm += lp(party.encode()) + lp(c) + lp(r)
    ikm += lp(beacon)
    return hmac.new(salt, ikm, hashlib.sha256).digest()


class Stream:
    def __init__(self, seed):
        self.seed, self.block, self.words = seed, 0, []

    def word(self):
        if not self.words:
            tag = hmac.new(self.seed, b"drbg" + struct.pack(">Q", self.block), hashlib.sha256).digest()
            self.block += 1
            self.words = [struct.unpack(">Q", tag[8 * k:8 * k + 8])[0] for k in range(4)]
        return self.words.pop(0)

    def uniform(self, m):
        limit = 2**64 - (2**64 % m)
        while True:
            x = self.word()
            if x < limit:
                return x % m


def canonical(v) -> str:
    # RFC 8785 for this data: ASCII member names, integers, strings without control characters.
    return json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


draw_id = "draw-2026-0101"
# Listed out of id order on purpose; one name is written decomposed (NFD) and is committed in NFC.
members = [
    ("EX-0105", "王建国"),
    ("EX-0017", "李秀英"),
    ("EX-0230", "Mu\u0308ller Hans"),
    ("EX-0002", "张伟"),
    ("EX-0099", "刘洋"),
    ("EX-0311", "陈静"),
    ("EX-0046", "赵磊"),
]
members.sort(key=lambda m: m[0].encode())
salts = [sha256(f"bidhall sealed-pool vector salt {i}".encode()) for i in range(1, len(members) + 1)]
positions = []
for i, ((cid, name), salt) in enumerate(zip(members, salts), start=1):
    msg = member_message(draw_id, cid, name, salt)
    positions.append({
        "position": i, "id": cid, "name": name, "name_nfc": nfc(name), "salt_hex": salt.hex(),
        "message_hex": msg.hex(), "commitment_hex": sha256(msg).hex(),
    })
commitments = [p["commitment_hex"] for p in positions]
lines = "".join(f"{i}\tsealed\t{c}\n" for i, c in enumerate(commitments, start=1))
pool_hash = sha256(lines.encode())

parties = []
for k, party in enumerate(["platform", "agent", "supervisor"]):
    r = bytes((16 * k + j) & 0xFF for j in range(32))
    parties.append({"id": party, "reveal_hex": r.hex(), "commit_hex": party_commitment(draw_id, party, r).hex()})
seed = seed_of(draw_id, pool_hash, [(p["id"], bytes.fromhex(p["commit_hex"]), bytes.fromhex(p["reveal_hex"])) for p in parties])

select, reserves = 3, 2
a = [str(i) for i in range(1, len(members) + 1)]
stream = Stream(seed)
for i in range(select + reserves):
    j = i + stream.uniform(len(a) - i)
    a[i], a[j] = a[j], a[i]
selected, reserve_order = a[:select], a[select:select + reserves]

sealed_transcript = {
    "algorithm": ALGORITHM,
    "beacon": None,
    "commitments": [{"commitment": p["commit_hex"], "party": p["id"]} for p in parties],
    "deadlines": {"beacon": None, "commit": "2026-03-02T02:00:00Z", "reveal": "2026-03-02T02:30:00Z"},
    "draw_id": draw_id,
    "missed_reveal_rule": "fail_draw",
    "missed_reveals": [],
    "parties": [p["id"] for p in parties],
    "pool_hash": pool_hash.hex(),
    "purpose": "评标专家抽取 for tender T-2026-0042 (sealed-pool vector)",
    "replacements": [],
    "reserve_count": reserves,
    "result": {"reserves": reserve_order, "selected": selected},
    "reveals": [{"party": p["id"], "r": p["reveal_hex"]} for p in parties],
    "sealed_pool": commitments,
    "seed": seed.hex(),
    "select_count": select,
}
opened = json.loads(json.dumps(sealed_transcript))
opened["replacements"] = [{"reason": "declined", "replaced": selected[1], "replacement": reserve_order[0]}]
opened["openings"] = [{"id": p["id"], "name": p["name_nfc"], "position": p["position"], "salt": p["salt_hex"]}
                      for p in positions]
by_position = {str(p["position"]): p for p in positions}


def other_salt():
    return sha256(b"another salt").hex()


# Each tamper case edits the opened transcript: "set" puts `value` at `path` (member names and
# array indices, 0-based), in order.
o = opened["openings"]
nfd_index = next(k for k, m in enumerate(members) if m[1] != nfc(m[1]))
tamper = [
    {"name": "a wrong salt", "step": "opening_mismatch",
     "set": [{"path": ["openings", 2, "salt"], "value": other_salt()}]},
    {"name": "two names swapped between openings", "step": "opening_mismatch",
     "set": [{"path": ["openings", 0, "name"], "value": o[1]["name"]},
             {"path": ["openings", 1, "name"], "value": o[0]["name"]}]},
    {"name": "an opening moved to another position", "step": "opening_mismatch",
     "set": [{"path": ["openings", 3, "position"], "value": 5},
             {"path": ["openings", 4, "position"], "value": 4}]},
    {"name": "a selected position moved", "step": "selection_mismatch",
     "set": [{"path": ["result", "selected", 0], "value": reserve_order[1]}]},
    {"name": "a name written in NFD opens as its NFC form", "step": None,
     "set": [{"path": ["openings", nfd_index, "name"], "value": "Mu\u0308ller Hans"}]},
    {"name": "a position without an opening", "step": "opening_missing",
     "set": [{"path": ["openings"], "value": o[:6]}]},
    {"name": "an opening of position 0", "step": "opening_invalid",
     "set": [{"path": ["openings", 0, "position"], "value": 0}]},
    {"name": "the same position opened twice", "step": "opening_invalid",
     "set": [{"path": ["openings", 1, "position"], "value": 1}]},
    {"name": "a salt of 31 bytes", "step": "wrong_length",
     "set": [{"path": ["openings", 0, "salt"], "value": o[0]["salt"][:62]}]},
    {"name": "a sealed commitment changed", "step": "pool_hash_mismatch",
     "set": [{"path": ["sealed_pool", 0], "value": "00" * 32}]},
    {"name": "an open pool beside the sealed one", "step": "malformed_transcript",
     "set": [{"path": ["pool"], "value": [{"id": m[0], "name": nfc(m[1])} for m in members]}]},
]
vectors = {
    "spec": "bidhall-draw/1 sealed pools, docs/draw.md section 10; generated by draw-sealed-pool.py",
    "draw_id": draw_id,
    "member_domain": MEMBER_DOMAIN,
    "members": positions,
    "sealed_lines_utf8": lines,
    "pool_hash_hex": pool_hash.hex(),
    "parties": parties,
    "seed_hex": seed.hex(),
    "select": select,
    "reserves": reserves,
    "selected": selected,
    "reserve_order": reserve_order,
    "selected_names": [by_position[h]["name_nfc"] for h in selected],
    "transcript_sealed": canonical(sealed_transcript),
    "transcript_opened": canonical(opened),
    "tamper": tamper,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "draw-sealed-pool.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(vectors, f, ensure_ascii=False, indent=1)
    f.write("\n")
