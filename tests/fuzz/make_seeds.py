#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/fuzz/make_seeds.py - writes the hand-made seed inputs of tests/fuzz/corpus/.

The seeds give libFuzzer a start on the states that matter: every page kind, faults at the
head, inside the loops and in the tail of the copy kernels, every kernel configuration,
strings that run into bad pages or out of a narrowed user range, the probe rules' corner
cases. Their encoding is the one fuzz_ops.cpp and fuzz_probe.cpp decode (see the comments at
the top of each). Rerun after changing the input format:

    python3 tests/fuzz/make_seeds.py      # rewrites corpus/*/seed-*, leaves merged finds alone
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PAGES = 24

# Page kinds: nibble values that harness.h kind_from_nibble() maps to each kind.
RW, LAZY, RO, NONE, UNMAPPED, BUS = 0, 8, 9, 11, 13, 15


def page_map(kinds):
    """24 page kinds -> 12 bytes, two nibbles each (low nibble first)."""
    kinds = list(kinds) + [RW] * (PAGES - len(kinds))
    return bytes(kinds[i] | kinds[i + 1] << 4 for i in range(0, PAGES, 2))


def u24(v):
    return struct.pack("<I", v)[:3]


# ---- fuzz_ops ---------------------------------------------------------------------------------

def pos(page, offset):
    """A user position: arena page (-1: the leading guard, 24: the trailing one), offset."""
    return u24((page + 1) | (offset % 4096) << 8)


def kpos(misalign=0):
    return u24(misalign << 8)


def small(n):      # mode 0: n % 257
    return u24(n << 8)


def medium(n):     # mode 1: n % 8193
    return u24(0x40 | n << 8)


def large(n):      # mode 2: n % (max + 1)
    return u24(0x80 | (n >> 16) & 0x3F | (n & 0xFFFF) << 8)


def to_page_end(extra_pages=0, delta=0):  # mode 3: to the end of the page, + pages, + delta
    return u24(0xC0 | (delta & 0xFF) << 8 | extra_pages << 16)


# Operation numbers (ops_model.h; fuzz_ops.cpp run_operation).
COPY_FROM_USER, COPY_FROM_USER_NT, COPY_FROM_MODE, COPY_FROM_MODE_NT = 0, 1, 2, 3
COPY_FROM_USER_ALIGNED, COPY_FROM_MODE_ALIGNED, READ_STRUCT, READ_STRUCT_MODE = 4, 5, 6, 7
COPY_FROM_USER_TO_KERNEL_MODE = 8
COPY_TO_USER, COPY_TO_USER_NT, COPY_TO_MODE, COPY_TO_MODE_NT = 9, 10, 11, 12
COPY_TO_USER_ALIGNED, COPY_TO_MODE_ALIGNED, WRITE_STRUCT, WRITE_STRUCT_MODE = 13, 14, 15, 16
COPY_TO_USER_FROM_USER, COPY_FROM_USER_TO_MODE, MOVE, MOVE_NEAR = 17, 18, 19, 20
FILL, SET, ZERO, FILL_MODE, SET_MODE, ZERO_MODE, RTL_SET = 21, 22, 23, 24, 25, 26, 27
READ8, READ16, READ32, READ64, WRITE8, WRITE16, WRITE32, WRITE64 = range(28, 36)
READ_UNICODE, WRITE_UNICODE, STRLEN, INTERLOCKED = 36, 37, 38, 39

CXX, RTL = 1, 2
KERNEL_MODE = 3 << 2


def rec(op, flags, a, b, length, arg=0):
    return bytes([op, flags]) + a + b + length + bytes([arg])


def ops_input(config=(0, 0), range_mode=0, range_bytes=b"\0\0\0\0", content=0, zeros=0,
              kinds=(), records=()):
    return (bytes(config) + bytes([range_mode]) + range_bytes + bytes([content, zeros]) +
            page_map(kinds) + b"".join(records))


def ops_seeds():
    s = {}
    # Every page read-write: each copy, fill and access succeeds, at lengths of every class.
    s["all-rw-copies"] = ops_input(records=[
        rec(COPY_FROM_USER, 0, pos(2, 5), kpos(3), small(7)),
        rec(COPY_FROM_USER, CXX, pos(3, 0), kpos(0), small(200)),
        rec(COPY_TO_USER, 0, pos(4, 33), kpos(1), medium(4000)),
        rec(COPY_TO_USER_NT, CXX, pos(6, 1), kpos(9), medium(3000)),
        rec(COPY_TO_USER_FROM_USER, 0, pos(1, 7), pos(10, 64), large(20000)),
        rec(MOVE, CXX, pos(5, 0), pos(5, 40), small(250)),
        rec(FILL, 0, pos(7, 3), b"\0\0\0", medium(5000), 0x3C),
        rec(READ64, 0, pos(2, 4093), b"\0\0\0", b"\0\0\0"),
        rec(STRLEN, 0, pos(9, 0), b"\0\0\0", b"\0\0\0"),
    ])
    # Source faults on an unmapped page: head (first byte), loop and tail positions.
    s["source-unmapped-head-loop-tail"] = ops_input(
        kinds=[RW] * 4 + [UNMAPPED] + [RW] * 4, records=[
            rec(COPY_FROM_USER, 0, pos(3, 4095), kpos(0), small(64)),          # 1 byte, then hole
            rec(COPY_FROM_USER, 0, pos(3, 4000), kpos(0), medium(1000)),       # loop
            rec(COPY_FROM_USER, CXX, pos(3, 0), kpos(7), to_page_end(0, 5)),   # 5 past the end
            rec(COPY_FROM_USER_NT, 0, pos(2, 100), kpos(1), to_page_end(1, 1)),
            rec(COPY_FROM_USER, CXX, pos(4, 10), kpos(0), small(16)),          # starts in hole
        ])
    # SIGBUS pages (an empty file mapped): STATUS_IN_PAGE_ERROR at the first byte reached.
    s["sigbus-pages"] = ops_input(kinds=[RW] * 2 + [BUS] + [RW] + [BUS], records=[
        rec(COPY_FROM_USER, 0, pos(1, 4000), kpos(0), small(200)),
        rec(COPY_TO_USER, CXX, pos(3, 10), kpos(3), to_page_end(0, 9)),
        rec(COPY_TO_USER_FROM_USER, 0, pos(1, 0), pos(3, 0), medium(5000)),
        rec(FILL, CXX, pos(1, 4095), b"\0\0\0", small(2), 0x11),
        rec(READ32, 0, pos(1, 4094), b"\0\0\0", b"\0\0\0"),
        rec(STRLEN, CXX, pos(1, 4000), b"\0\0\0", b"\0\0\0"),
        rec(INTERLOCKED, 0x20, pos(2, 8), u24(1), b"\0\0\0", 1),
        rec(MOVE_NEAR, 0, pos(1, 4000), b"\0\0\0", small(200), 0x30),
    ])
    # Pages the fault resolver makes accessible on first touch, in every kind of operation.
    s["lazy-pages"] = ops_input(config=(0x22, 0), kinds=[RW, LAZY, LAZY, RW, LAZY, NONE],
                                records=[
        rec(COPY_FROM_USER, 0, pos(0, 4000), kpos(0), medium(5000)),
        rec(COPY_TO_USER, CXX, pos(0, 4090), kpos(1), to_page_end(1, 9)),
        rec(COPY_TO_USER_FROM_USER, 0, pos(0, 0), pos(3, 100), to_page_end(1, 5)),
        rec(MOVE_NEAR, CXX, pos(1, 100), b"\0\0\0", medium(3000), 0x20),
        rec(FILL, 0, pos(3, 4000), b"\0\0\0", to_page_end(1, 1), 0x42),
        rec(READ64, 0, pos(0, 4092), b"\0\0\0", b"\0\0\0"),
        rec(STRLEN, CXX, pos(1, 5), b"\0\0\0", b"\0\0\0"),
        rec(INTERLOCKED, 0x20, pos(2, 16), u24(3), b"\0\0\0", 1),
    ])
    # Destination faults on a read-only and a PROT_NONE page.
    s["destination-readonly-none"] = ops_input(
        kinds=[RW] * 3 + [RO] + [RW] * 3 + [NONE], records=[
            rec(COPY_TO_USER, 0, pos(2, 4032), kpos(0), small(100)),
            rec(COPY_TO_USER, CXX, pos(2, 0), kpos(3), to_page_end(0, 1)),
            rec(COPY_TO_USER_NT, 0, pos(4, 17), kpos(5), to_page_end(2, 64)),
            rec(WRITE_STRUCT, CXX, pos(6, 4092), kpos(0), small(8)),            # one access
            rec(WRITE_STRUCT, CXX, pos(6, 4090), kpos(0), small(24)),           # a copy
            rec(FILL, 0, pos(5, 9), b"\0\0\0", to_page_end(1, 3), 0x77),
            rec(ZERO, CXX, pos(6, 4095), b"\0\0\0", small(2)),
        ])
    # Every kernel configuration: the same faulting copy under each variant and preset.
    for variant in range(6):
        for preset in range(4):
            if (variant + preset) % 2:
                continue
            s[f"config-{variant}-{preset}"] = ops_input(
                config=(variant | preset << 4, 0x35), kinds=[RW] * 6 + [UNMAPPED] + [RO] * 2,
                records=[
                    rec(COPY_FROM_USER, 0, pos(1, 13), kpos(5), to_page_end(4, 7)),
                    rec(COPY_TO_USER, CXX, pos(1, 0), kpos(2), to_page_end(5, 127)),
                    rec(FILL_MODE, 0, pos(3, 63), b"\0\0\0", to_page_end(2, 100), 0xA5),
                    rec(MOVE_NEAR, 0, pos(5, 2000), b"\0\0\0", to_page_end(0, 40), 0x21),
                    rec(MOVE_NEAR, CXX, pos(5, 2000), b"\0\0\0", to_page_end(0, 40), 0xE0),
                ])
    # Pinned thresholds at size-class edges (preset 4).
    s["config-pinned"] = ops_input(config=(0x42, 0x57), kinds=[RW] * 10 + [NONE], records=[
        rec(COPY_TO_USER_FROM_USER, 0, pos(0, 1), pos(9, 0), to_page_end(0, 3)),
        rec(COPY_TO_USER_FROM_USER, CXX, pos(0, 0), pos(5, 0), medium(2112)),
        rec(FILL, 0, pos(8, 1), b"\0\0\0", to_page_end(1, 8), 1),
    ])
    # Overlapping moves both ways, into a read-only page (forward) and from a hole (backward).
    s["moves-overlapping"] = ops_input(
        kinds=[RW] * 4 + [RO] + [RW] * 2 + [UNMAPPED] + [RW] * 2, records=[
            rec(MOVE_NEAR, 0, pos(3, 3000), b"\0\0\0", to_page_end(1, 9), 0xF0),  # dst below
            rec(MOVE_NEAR, CXX, pos(5, 100), b"\0\0\0", to_page_end(1, 30), 0x10),  # dst above
            rec(MOVE_NEAR, 0, pos(6, 4000), b"\0\0\0", small(90), 0x08),
            rec(MOVE, CXX | RTL, pos(1, 0), pos(1, 1), medium(8000)),
        ])
    # Strings: NULs at 1/8 density, strings that run into a hole, odd wide strings.
    s["strings"] = ops_input(zeros=32, kinds=[RW] * 2 + [RO] + [UNMAPPED] + [RW] + [NONE],
                             records=[
        rec(STRLEN, 0, pos(0, 0), b"\0\0\0", b"\0\0\0"),
        rec(STRLEN, CXX | 0x10, pos(0, 1), b"\0\0\0", b"\0\0\0"),                 # wide, odd
        rec(STRLEN, 0, pos(2, 4090), b"\0\0\0", b"\0\0\0"),
        rec(STRLEN, CXX | 0x40, pos(4, 4095), b"\0\0\0", b"\0\0\0"),              # Rtl
        rec(STRLEN, 0x10 | 0x20 | KERNEL_MODE, pos(1, 8), b"\0\0\0", b"\0\0\0"),  # kernel mode
    ])
    s["strings-no-terminator"] = ops_input(zeros=0, kinds=[RW] * 3 + [UNMAPPED], records=[
        rec(STRLEN, 0, pos(0, 17), b"\0\0\0", b"\0\0\0"),
        rec(STRLEN, CXX | 0x10, pos(2, 4093), b"\0\0\0", b"\0\0\0"),
    ])
    # A user range narrowed to part of the arena: refusals before any access.
    s["narrow-range"] = ops_input(range_mode=2, range_bytes=struct.pack("<HH", 2400, 7000),
                                  kinds=[RW] * 8, records=[
        rec(COPY_FROM_USER, 0, pos(1, 0), kpos(0), small(100)),
        rec(COPY_TO_USER, CXX, pos(3, 10), kpos(0), medium(8000)),
        rec(STRLEN, 0, pos(2, 0), b"\0\0\0", b"\0\0\0"),
        rec(READ32, CXX, pos(5, 4094), b"\0\0\0", b"\0\0\0"),
        rec(COPY_TO_USER_FROM_USER, 0, pos(3, 0), pos(7, 0), small(64)),
    ])
    # Scalars and descriptors straddling into read-only, PROT_NONE and unmapped pages.
    s["scalars-straddling"] = ops_input(kinds=[RW, RO, RW, NONE, RW, UNMAPPED], records=[
        rec(READ64, 0, pos(2, 4093), b"\0\0\0", b"\0\0\0"),
        rec(READ32, CXX | 0x40, pos(4, 4094), b"\0\0\0", b"\0\0\0"),
        rec(WRITE16, 0, pos(0, 4095), b"\0\0\0", b"\0\0\0", 9),
        rec(WRITE64, CXX | 0x80, pos(0, 4090), b"\0\0\0", b"\0\0\0", 3),
        rec(READ_UNICODE, 0, pos(2, 4088), b"\0\0\0", b"\0\0\0"),
        rec(WRITE_UNICODE, CXX, pos(0, 4086), b"\0\0\0", b"\0\0\0"),
        rec(READ8, CXX | RTL, pos(3, 0), b"\0\0\0", b"\0\0\0"),
    ])
    s["interlocked"] = ops_input(kinds=[RW, RO, NONE, UNMAPPED], records=[
        rec(INTERLOCKED, 0x20, pos(0, 8), u24(77), b"\0\0\0", 0),
        rec(INTERLOCKED, CXX | 0x20 | 0x40 | 0x10, pos(0, 16), u24(5), b"\0\0\0", 0),
        rec(INTERLOCKED, 0x20, pos(1, 0), u24(1), b"\0\0\0", 1),
        rec(INTERLOCKED, CXX | 0x20, pos(2, 0), u24(1), b"\0\0\0", 2),
        rec(INTERLOCKED, 0, pos(0, 3), u24(1), b"\0\0\0", 2),                     # misaligned
        rec(INTERLOCKED, 0x80 | KERNEL_MODE, pos(0, 4), u24(1), b"\0\0\0", 1),
    ])
    # Aligned copies: misaligned, not a power of two, aligned and faulting.
    s["aligned-copies"] = ops_input(kinds=[RW] * 2 + [NONE], records=[
        rec(COPY_FROM_USER_ALIGNED, 3 << 4, pos(0, 4), kpos(0), small(16)),
        rec(COPY_FROM_USER_ALIGNED, 10 << 4, pos(0, 4), kpos(0), small(16)),
        rec(COPY_TO_USER_ALIGNED, CXX | 2 << 4, pos(1, 4092), kpos(0), small(16)),
        rec(COPY_FROM_MODE_ALIGNED, KERNEL_MODE | 3 << 4, pos(0, 1), kpos(0), small(8)),
    ])
    return s


# ---- fuzz_probe -------------------------------------------------------------------------------

READ, WRITE, ALIGNMENT, ALIGNMENT_AS = 0, 1, 2, 3


def probe_record(kind, cxx, addr_mode, addr, len_mode, length, align_mode, align_raw=0):
    return (bytes([kind | (4 if cxx else 0), addr_mode]) + struct.pack("<Q", addr) +
            bytes([len_mode]) + struct.pack("<Q", length) + bytes([align_mode]) +
            struct.pack("<I", align_raw))


def probe_input(range_mode=0, a=0, b=0, kinds=(), records=()):
    return bytes([range_mode]) + struct.pack("<QQ", a, b) + page_map(kinds) + b"".join(records)


def pow2(k):
    return k & 31


def probe_seeds():
    s = {}
    s["zero-length-and-alignments"] = probe_input(records=[
        probe_record(READ, 0, 1, 3, 1, 0, pow2(3)),             # length 0 at a misaligned NULL
        probe_record(WRITE, 1, 3, 0, 1, 0, 4 << 5 | 3),         # length 0, alignment 3
        probe_record(READ, 1, 1, 0x1000, 1, 8, 4 << 5 | 0),     # alignment 0
        probe_record(ALIGNMENT, 0, 1, 0x1002, 1, 8, pow2(2)),   # misaligned
        probe_record(READ, 0, 1, 0x1000, 1, 8, 6 << 5 | 2),     # 5: not a power of two
        probe_record(READ, 1, 1, 0x1000, 1, 8, pow2(31)),       # 2^31
    ])
    s["range-end-and-wrap"] = probe_input(records=[
        probe_record(READ, 0, 2, 0xFFF0, 2, 0, pow2(0)),        # ends exactly at the end
        probe_record(READ, 1, 2, 0xFFF0, 2, 1, pow2(0)),        # one byte past it
        probe_record(ALIGNMENT, 0, 3, 15, 1, 32, pow2(0)),      # wraps
        probe_record(READ, 1, 1, 0x1000, 3, 0, pow2(0)),        # SIZE_MAX
        probe_record(READ, 0, 1, 0x1000, 4, 0, pow2(0)),        # ends exactly at 2^64
        probe_record(WRITE, 1, 7, 0x10000, 1, 16, pow2(3)),     # the kernel half
        probe_record(READ, 0, 7, 5, 1, 16, pow2(0)),            # non-canonical
    ])
    s["probe-write-pages"] = probe_input(kinds=[RW, LAZY, RW, RO, RW, UNMAPPED, NONE, RW, BUS],
                                         records=[
        probe_record(WRITE, 0, 4, 16 * 4096 + 100, 5, 5, pow2(2)),
        probe_record(WRITE, 1, 4, 16 * 4096, 5, 3, pow2(0)),
        probe_record(WRITE, 0, 4, 16 * 4096 + 4 * 4096 + 1, 5, 1 << 8 | 10, pow2(0)),
        probe_record(WRITE, 1, 4, 16 * 4096 + 6 * 4096 - 1, 1, 2, pow2(0)),
        probe_record(WRITE, 0, 4, 15 * 4096, 1, 1, pow2(0)),    # the leading guard
        probe_record(WRITE, 1, 4, 24 * 4096 - 3, 1, 9, pow2(0)),  # into the SIGBUS page
    ])
    # Range mode 1: offsets from the start of the leading guard (16 pages before the arena).
    s["narrowed-range"] = probe_input(range_mode=1, a=16 * 4096 + 64,
                                      b=16 * 4096 + 8 * 4096, records=[
        probe_record(READ, 0, 5, 0, 1, 16, pow2(0)),            # at the range's begin
        probe_record(READ, 1, 5, 0xFFFF, 1, 16, pow2(0)),       # one below it
        probe_record(WRITE, 0, 6, 0xFFF8, 2, 0, pow2(3)),       # ends at the range's end
        probe_record(WRITE, 1, 6, 0xFFF8, 2, 1, pow2(3)),       # one past
        probe_record(ALIGNMENT_AS, 0, 6, 0, 1, 4, pow2(2)),
        probe_record(ALIGNMENT_AS | 8, 1, 5, 2, 1, 4, pow2(2)),
    ])
    s["nested-ranges"] = probe_input(range_mode=4, a=(16 * 4096) | (30 * 4096) << 32,
                                     b=(18 * 4096) | (20 * 4096) << 32, records=[
        probe_record(READ, 0, 5, 0, 5, 2, pow2(0)),             # the inner range, exactly
        probe_record(READ, 1, 5, 0, 5, 2 | 1 << 8, pow2(0)),    # one byte more
    ])
    s["cxx-scope-refused"] = probe_input(range_mode=0x80, a=0x2000, b=0x1000, records=[
        probe_record(READ, 1, 1, 0x1000, 1, 8, pow2(0)),
    ])
    return s


# ---- fuzz_race --------------------------------------------------------------------------------

# Page nibbles (fuzz_race.cpp race_kind_from_nibble): static read-write, raced, raced memfd,
# static read-only, static PROT_NONE.
S, R, F, O, N = 0, 5, 10, 12, 14
RACE_PAGES = 12
# Racing actions and operations (fuzz_race.cpp ActionKind, Operation).
A_NONE, A_READ, A_UNMAP, A_MREMAP, A_DONTNEED, A_TRUNCATE = range(6)
R_COPY_FROM_USER, R_COPY_FROM_USER_NT, R_COPY_TO_USER, R_COPY_TO_USER_NT = 0, 1, 2, 3
R_COPY_USER_USER, R_MOVE, R_MOVE_NEAR, R_FILL, R_ZERO, R_STRLEN = 4, 5, 6, 7, 8, 9


def rpos(page, offset):
    """A position in the raced region: page 0-11 (no leading guard here), offset."""
    return u24(page | (offset % 4096) << 8)


def rounds(n):
    """flags bits 4-6: the operation is laid, raced and checked n times (1-8)."""
    return (n - 1) << 4


def race_map(kinds):
    kinds = list(kinds) + [S] * (RACE_PAGES - len(kinds))
    return bytes(kinds[i] | kinds[i + 1] << 4 for i in range(0, RACE_PAGES, 2))


def action(page, kind, delay_us=0, hold_us=0, times8=False):
    return bytes([page, kind, delay_us, hold_us | (64 if times8 else 0)])


def race_input(config=(0, 0), content=0, zeros=0, kinds=(), actions=(), records=()):
    acts = list(actions) + [action(0, 0)] * (8 - len(actions))
    return (bytes(config) + bytes([content, zeros]) + race_map(kinds) + bytes([len(actions)]) +
            b"".join(acts) + b"".join(records))


def race_seeds():
    s = {}
    # Copies out into a raced page just before a PROT_NONE one (the first fault there, the
    # retry into the raced page), every kind of disturbance; also the self-test's shape: a
    # raced page, then a stable one, then the hole.
    s["copy-out-before-hole"] = race_input(
        kinds=[S, S, R, S, N, S, R, N], actions=[
            action(0, A_READ, 0, 3), action(1, A_NONE, 1, 2), action(0, A_UNMAP, 2, 1),
            action(1, A_MREMAP, 0, 4), action(0, A_DONTNEED, 1)], records=[
            rec(R_COPY_TO_USER, rounds(8), rpos(1, 2000), kpos(3), to_page_end(1, 0)),
            rec(R_COPY_TO_USER, 1 | rounds(8), rpos(2, 100), kpos(0), to_page_end(1, 64)),
            rec(R_COPY_TO_USER_NT, rounds(4), rpos(6, 3000), kpos(1), to_page_end(0, 9)),
            rec(R_FILL, rounds(8), rpos(2, 7), b"\0\0\0", to_page_end(1, 0), 0x3C),
            rec(R_ZERO, 1 | rounds(4), rpos(5, 4000), b"\0\0\0", to_page_end(1, 1)),
        ])
    # Issue 16's race, as tests/mapping_race_test.cpp toggles it: the page before a hole
    # write-protected and back, again and again with no pause, while copies and fills run
    # into the hole (their first fault), so that the byte retry finds it read-only.
    toggle = []
    for k in range(8):
        op = [R_COPY_TO_USER, R_FILL, R_COPY_USER_USER, R_COPY_TO_USER_NT][k % 4]
        b = (kpos(k) if op in (R_COPY_TO_USER, R_COPY_TO_USER_NT)
             else rpos(0, 64 * k) if op == R_COPY_USER_USER else b"\0\0\0")
        toggle.append(rec(op, (k & 1) | rounds(8), rpos(3, 4096 - 100 - 300 * k), b,
                          to_page_end(0, 64), 0x3C))
    s["toggle-before-hole"] = race_input(
        config=(0x30, 0), kinds=[S, S, S, R, N],
        actions=[action(0, A_READ, 0, 1), action(0, A_READ, 1, 0)], records=toggle)
    # User-to-user copies longer than 8 x VEC whose first fault is a read in the first loop
    # iteration (the source runs into the hole), the destination page write-protected and
    # back meanwhile: the head-vector race fixed for issue 16 (fuzz_race.cpp keeps it seeded).
    head = []
    for k in range(8):
        head.append(rec(R_MOVE if k % 2 else R_COPY_USER_USER, (k & 1) | rounds(8),
                        rpos(3, 4096 - 40 - 40 * k), rpos(3, 1024 + 64 - 1 - 9 * k),
                        large(2819)))
    s["head-vector-read-fault"] = race_input(
        config=(0x30, 0), kinds=[S, S, S, R, N],
        actions=[action(0, A_READ, 0, 1), action(0, A_READ, 1, 0)], records=head)
    # Copies in from raced pages: anonymous, and memfd pages truncated (SIGBUS) or unmapped.
    s["copy-in-raced-source"] = race_input(
        kinds=[S, R, F, S, F, N], actions=[
            action(0, A_TRUNCATE, 0, 5), action(1, A_UNMAP, 1, 3), action(2, A_MREMAP, 0, 2),
            action(0, A_DONTNEED, 3), action(1, A_TRUNCATE, 0, 1)], records=[
            rec(R_COPY_FROM_USER, rounds(8), rpos(0, 1000), kpos(5), medium(8000)),
            rec(R_COPY_FROM_USER_NT, 1 | rounds(4), rpos(1, 10), kpos(0), to_page_end(3, 0)),
            rec(R_COPY_FROM_USER, 1 | rounds(8), rpos(2, 4000), kpos(7), small(200)),
            rec(R_COPY_USER_USER, rounds(8), rpos(1, 0), rpos(6, 0), to_page_end(2, 0)),
        ])
    # User to user: copies, moves apart and forward overlapping moves, both sides raced.
    s["user-to-user"] = race_input(
        kinds=[S, R, R, S, S, R, S, S, N], actions=[
            action(0, A_NONE, 0, 2), action(2, A_READ, 1, 1), action(1, A_UNMAP, 0, 2),
            action(2, A_MREMAP, 2, 1)], records=[
            rec(R_COPY_USER_USER, 1 | rounds(8), rpos(1, 64), rpos(4, 32), medium(7000)),
            rec(R_MOVE, rounds(8), rpos(5, 5), rpos(1, 900), to_page_end(1, 3)),
            rec(R_MOVE_NEAR, 1 | rounds(8), rpos(2, 300), b"\0\0\0", to_page_end(0, 0), 40),
            rec(R_MOVE_NEAR, rounds(8), rpos(6, 10), b"\0\0\0", to_page_end(2, 0), 200),
        ])
    # Every variant and preset, with long holds and no delay (whole-operation outages).
    for config in [(0, 0), (1, 0), (2, 0x10), (3, 0x20), (4, 0x30), (5, 0x35), (0x31, 0x35)]:
        s[f"config-{config[0]:02x}"] = race_input(
            config=config, kinds=[S, R, S, R, N], actions=[
                action(0, A_READ, 0, 20, True), action(1, A_NONE, 0, 30),
                action(0, A_UNMAP, 5, 2), action(1, A_DONTNEED, 2)], records=[
                rec(R_COPY_TO_USER, rounds(8), rpos(0, 17), kpos(2), to_page_end(3, 0)),
                rec(R_FILL, 1 | rounds(8), rpos(1, 99), b"\0\0\0", to_page_end(2, 0), 0xA5),
                rec(R_COPY_FROM_USER, rounds(4), rpos(0, 0), kpos(9), to_page_end(3, 0)),
            ])
    # Strings over raced pages zeroed or taken away meanwhile.
    s["strings"] = race_input(
        zeros=2, kinds=[S, R, F, S, N], actions=[
            action(0, A_DONTNEED, 0), action(1, A_TRUNCATE, 1, 2), action(0, A_NONE, 0, 3)],
        records=[
            rec(R_STRLEN, rounds(8), rpos(0, 4000), b"\0\0\0", b"\0\0\0"),
            rec(R_STRLEN, 1 | 2 | rounds(8), rpos(1, 1), b"\0\0\0", b"\0\0\0"),
            rec(R_STRLEN, 2 | rounds(4), rpos(2, 4095), b"\0\0\0", b"\0\0\0"),
        ])
    return s


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    write("fuzz_ops", ops_seeds())
    write("fuzz_probe", probe_seeds())
    write("fuzz_race", race_seeds())
