#!/usr/bin/env python3
# make_apkindex.py FILE "NAME VERSION" ...: writes an APKINDEX.tar.gz in apk's signed format with one record
# per package (the letters of apk-package(5)): abuild-sign's signature segment (a gzip'd tar of one
# .SIGN.RSA.* entry with its end-of-archive blocks cut) followed by the gzip'd tar of DESCRIPTION and APKINDEX.
# Used by the apk tests (apk itself cannot run here).
import base64, gzip, hashlib, io, sys, tarfile, time
out, rows = sys.argv[1], sys.argv[2:]
text = ""
for row in rows:
    name, version = row.split()
    text += ("C:Q1" + base64.b64encode(hashlib.sha1((name + version).encode()).digest()).decode() + "\n"
             "P:%s\nV:%s\nA:armv7\nS:12345\nI:40960\nT:%s package\nU:https://alpinelinux.org\nL:MIT\n"
             "o:%s\nm:Someone <someone@example.invalid>\nt:1625000000\nc:0123456789abcdef0123456789abcdef01234567\n"
             "D:so:libc.musl-armv7.so.1\n\n") % (name, version, name, name)
def tar(entries, cut):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name); info.size = len(data); info.mtime = int(time.time()); info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    if cut:  # abuild-tar --cut: no end-of-archive blocks, so the next segment continues the archive
        size = sum(512 + (len(d) + 511) // 512 * 512 for _, d in entries)
        raw = raw[:size]
    return gzip.compress(raw, mtime=0)
sig = tar([(".SIGN.RSA.alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub", bytes(range(256)) * 2)], True)
idx = tar([("DESCRIPTION", b"v3.14.10-0-gabcdef0 [https://dl-cdn.alpinelinux.org/alpine/v3.14/main]"),
           ("APKINDEX", text.encode())], False)
open(out, "wb").write(sig + idx)
