"""POSIX access control lists, read and written through the kernel's xattr interface.

The grading sandbox grants its users and group access to a path, or denies it, with ACL
entries rather than mode bits: an instructor's own permissions (owner, group, others) stay
what they were, and a grant to one sandbox user never opens the path to another. Debian's
`acl` package (setfacl) does the same; writing the xattr directly spares a dependency.

The xattr holds a little-endian header (version 2) and then one (tag, perm, id) entry per
line of `getfacl`, sorted by tag and id, which is the order the kernel insists on.
"""
import errno
import os
import struct

ACCESS = "system.posix_acl_access"
DEFAULT = "system.posix_acl_default"

USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
NO_ID = 0xFFFFFFFF  # the id field of the owner, owning group, mask and other entries

_HEADER = struct.Struct("<I")
_ENTRY = struct.Struct("<HHI")


def read(path, which=ACCESS) -> dict:
    """{(tag, id): perm} of the path's ACL; a path without one gets the entries its mode implies."""
    try:
        data = os.getxattr(path, which, follow_symlinks=False)
    except OSError as error:
        if error.errno != errno.ENODATA:
            raise
        if which == DEFAULT:
            return {}
        mode = os.lstat(path).st_mode
        return {(USER_OBJ, NO_ID): (mode >> 6) & 7, (GROUP_OBJ, NO_ID): (mode >> 3) & 7, (OTHER, NO_ID): mode & 7}
    entries = {}
    for offset in range(_HEADER.size, len(data), _ENTRY.size):
        tag, perm, ident = _ENTRY.unpack_from(data, offset)
        entries[(tag, ident)] = perm
    return entries


def write(path, entries: dict, which=ACCESS) -> None:
    """Write the entries, with the mask recomputed as setfacl does: the union of the group class."""
    entries = {key: perm for key, perm in entries.items() if key[0] != MASK}
    named = [key for key in entries if key[0] in (USER, GROUP)]
    if named:
        group_class = [perm for (tag, _), perm in entries.items() if tag in (USER, GROUP, GROUP_OBJ)]
        mask = 0
        for perm in group_class:
            mask |= perm
        entries[(MASK, NO_ID)] = mask
    data = _HEADER.pack(2) + b"".join(_ENTRY.pack(tag, perm, ident) for (tag, ident), perm in sorted(entries.items()))
    os.setxattr(path, which, data, follow_symlinks=False)


def set_entry(path, tag: int, ident: int, perm: int, default: bool = False) -> None:
    """Give user or group `ident` exactly `perm` (0-7) on the path, or on what a directory creates."""
    which = DEFAULT if default else ACCESS
    entries = read(path, which)
    if default and not entries:
        entries = read(path, ACCESS)  # a default ACL needs the owner, group and other entries too
        entries.pop((MASK, NO_ID), None)
        entries = {key: perm for key, perm in entries.items() if key[0] not in (USER, GROUP)}
    if entries.get((tag, ident)) == perm and (not default or (MASK, NO_ID) in entries):
        return
    entries[(tag, ident)] = perm
    write(path, entries, which)


def remove_entry(path, tag: int, ident: int) -> None:
    entries = read(path)
    if entries.pop((tag, ident), None) is not None:
        write(path, entries)
