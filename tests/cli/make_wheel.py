#!/usr/bin/env python3
"""Writes a pure-Python wheel by hand, for the tests that install with the real pip offline (no setuptools or
wheel package needed): make_wheel.py OUTDIR NAME VERSION [--requires SPEC]... [--script CMD=MODULE:FUNC]...

The wheel has the module NAME (dashes as underscores) with VERSION and a main() that prints it, METADATA with
the summary "zsyncctl test package NAME" and any Requires-Dist, console scripts as entry points, and a RECORD
with each file's sha256, as pip checks it."""
import argparse
import base64
import hashlib
import os
import zipfile

parser = argparse.ArgumentParser()
parser.add_argument("outdir")
parser.add_argument("name")
parser.add_argument("version")
parser.add_argument("--requires", action="append", default=[])
parser.add_argument("--script", action="append", default=[])
args = parser.parse_args()

mod = args.name.replace("-", "_")
dist = "%s-%s" % (mod, args.version)
meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: zsyncctl test package %s\n" % (
    args.name, args.version, args.name)
meta += "".join("Requires-Dist: %s\n" % r for r in args.requires)
files = {
    "%s/__init__.py" % mod: "VERSION = %r\n\n\ndef main():\n    print(VERSION)\n" % args.version,
    "%s.dist-info/METADATA" % dist: meta,
    "%s.dist-info/WHEEL" % dist: "Wheel-Version: 1.0\nGenerator: zsyncctl-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
if args.script:
    files["%s.dist-info/entry_points.txt" % dist] = "[console_scripts]\n" + "".join(
        "%s = %s\n" % tuple(s.split("=", 1)) for s in args.script)
record = []
os.makedirs(args.outdir, exist_ok=True)
with zipfile.ZipFile(os.path.join(args.outdir, "%s-py3-none-any.whl" % dist), "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append("%s.dist-info/RECORD,," % dist)
    z.writestr("%s.dist-info/RECORD" % dist, "\n".join(record) + "\n")
