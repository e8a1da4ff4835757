#!/usr/bin/python3
"""Builds dist/execd: the static launcher with a bundle appended (see launcher/launcher.c).

  bundle.py LAUNCHER STAGE OUTPUT

STAGE is an installed execd (cmake --install). The bundle holds bin/execd, the
modules in lib/execd (and the java runner's classes), lib/libexecd_core.so.0,
every shared library these need as ldd resolves them on this machine, under
their sonames, and the dynamic loader; all stripped. Python from Debian,
standard library only.
"""
import hashlib, os, re, shutil, struct, subprocess, sys, tempfile, zlib

launcher, stage, output = sys.argv[1:4]
STRIP = os.environ.get("STRIP", "strip")
LDD = os.environ.get("LDD", "ldd")

files = {}   # path in the bundle -> source path


def add_tree(sub):
    root = os.path.join(stage, sub)
    for dirpath, _, names in os.walk(root):
        for name in names:
            source = os.path.join(dirpath, name)
            rel = os.path.relpath(source, stage)
            if os.path.islink(source):
                continue
            files[rel] = source


files["bin/execd"] = os.path.join(stage, "bin/execd")
add_tree("lib/execd")
core = [n for n in os.listdir(os.path.join(stage, "lib")) if n.startswith("libexecd_core.so.") and not os.path.islink(os.path.join(stage, "lib", n))]
soname = subprocess.run(["objdump", "-p", os.path.join(stage, "lib", core[0])], capture_output=True, text=True, check=True).stdout
soname = re.search(r"SONAME\s+(\S+)", soname).group(1)
files["lib/" + soname] = os.path.join(stage, "lib", core[0])

loader = None
elves = [p for p in files.values() if p.endswith(".so") or "/bin/" in p or ".so." in p]
for elf in elves:
    out = subprocess.run([LDD, elf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+) \(", line)
        if m and not m.group(1).startswith("libexecd_"):
            files.setdefault("lib/" + m.group(1), os.path.realpath(m.group(2)))
        m = re.match(r"\s*(/\S*ld-linux\S*) \(", line)
        if m:
            loader = m.group(1)
if not loader:
    sys.exit("bundle.py: no dynamic loader found by ldd")
files["lib/" + os.path.basename(loader)] = os.path.realpath(loader)

work = tempfile.mkdtemp()
entries = bytearray()
total = 0
try:
    for rel in sorted(files):
        source = files[rel]
        copy = os.path.join(work, "f")
        shutil.copyfile(source, copy)
        if rel.endswith(".class") is False and not rel.startswith("lib/ld-linux"):
            subprocess.run([STRIP, "--strip-unneeded", copy], capture_output=True)
        data = open(copy, "rb").read()
        mode = 0o755 if (os.stat(source).st_mode & 0o111) or ".so" in rel else 0o644
        entries += b"%s\0%o\0%d\0" % (rel.encode(), mode, len(data))
        entries += data
        total += len(data)
finally:
    shutil.rmtree(work)
payload = zlib.compress(bytes(entries), 9)
digest = hashlib.sha256(payload).hexdigest().encode()
with open(output + ".tmp", "wb") as out:
    out.write(open(launcher, "rb").read())
    out.write(payload)
    out.write(struct.pack("<Q", len(payload)))
    out.write(digest)
    out.write(b"EXECDBN1")
os.chmod(output + ".tmp", 0o755)
os.replace(output + ".tmp", output)
print("%s: %d files, %.1f MB unpacked, %.1f MB in the file" % (output, len(files), total / 1e6, os.path.getsize(output) / 1e6))
