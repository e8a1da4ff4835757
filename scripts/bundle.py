#!/usr/bin/python3
"""Builds dist/execd: the static launcher with a bundle appended (see launcher/launcher.c).

  bundle.py [--libdir DIR]... LAUNCHER STAGE OUTPUT

STAGE is an installed execd (cmake --install). The bundle holds bin/execd, the
modules in lib/execd (and the java runner's classes), lib/libexecd_core.so.0,
every shared library these need, under their sonames, and the dynamic loader;
all stripped. The libraries are found by reading the DT_NEEDED entries (readelf)
and looking each name up in the --libdir directories, in order, as the loader
would (the default: this machine's x86_64 multiarch directories); only files of
the same machine as bin/execd count. Nothing is run, so this works for a
cross-built execd too. Environment: STRIP and READELF name the tools (a cross
build's aarch64-linux-gnu-strip; readelf reads any ELF). Python from Debian,
standard library only.
"""
import hashlib, os, re, shutil, struct, subprocess, sys, tempfile, zlib

args = sys.argv[1:]
libdirs = []
while args and args[0] == "--libdir":
    libdirs.append(args[1])
    args = args[2:]
if len(args) != 3:
    sys.exit(__doc__)
launcher, stage, output = args
libdirs = libdirs or ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]
STRIP = os.environ.get("STRIP", "strip")
READELF = os.environ.get("READELF", "readelf")

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


def readelf(option, path):
    return subprocess.run([READELF, option, "-W", path], capture_output=True, text=True, check=True).stdout


def machine(path):
    """e_machine of an ELF file, None for anything else."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return struct.unpack("<H" if head[5] == 1 else ">H", head[18:20])[0]


def find_library(name, want):
    for d in libdirs:
        candidate = os.path.join(d, name)
        if os.path.isfile(candidate) and machine(candidate) == want:
            return os.path.realpath(candidate)
    sys.exit("bundle.py: %s not found in %s" % (name, ":".join(libdirs)))


files["bin/execd"] = os.path.join(stage, "bin/execd")
add_tree("lib/execd")
core = [n for n in os.listdir(os.path.join(stage, "lib")) if n.startswith("libexecd_core.so.") and not os.path.islink(os.path.join(stage, "lib", n))]
soname = re.search(r"\(SONAME\)\s+Library soname: \[(\S+)\]", readelf("-d", os.path.join(stage, "lib", core[0]))).group(1)
files["lib/" + soname] = os.path.join(stage, "lib", core[0])

target = machine(files["bin/execd"])
interp = re.search(r"Requesting program interpreter: (\S+)\]", readelf("-l", files["bin/execd"]))
if not interp:
    sys.exit("bundle.py: bin/execd names no dynamic loader")
loader = os.path.basename(interp.group(1))
files["lib/" + loader] = find_library(loader, target)

# Every library needed, transitively (what ldd would list), under its soname.
pending = [p for p in files.values() if p.endswith(".so") or "/bin/" in p or ".so." in p]
while pending:
    for name in re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", readelf("-d", pending.pop())):
        if name.startswith("libexecd_") or "lib/" + name in files:
            continue
        files["lib/" + name] = find_library(name, target)
        pending.append(files["lib/" + name])

work = tempfile.mkdtemp()
entries = bytearray()
total = 0
try:
    for rel in sorted(files):
        source = files[rel]
        copy = os.path.join(work, "f")
        shutil.copyfile(source, copy)
        if machine(source) is not None and not rel.startswith("lib/ld-linux"):
            subprocess.run([STRIP, "--strip-unneeded", copy], capture_output=True, check=True)
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
