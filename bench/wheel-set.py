# Writes the synthetic wheel set for bench/wheels.ts into argv[1]: one large
# wheel of machine-code-like shared libraries (incompressible runs between
# repeated instruction-like words, ~2.5x under deflate, as CUDA libraries
# are) and many small pure-Python wheels of source-like text. Deterministic
# (seeded), written by zipfile at deflate level 6 as bdist_wheel writes.
import base64, hashlib, os, random, sys, zipfile

out, big_mib, small_count, small_kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(1)
EPOCH = (2023, 11, 14, 22, 13, 20)

def rec(name, data):
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={h},{len(data)}"

def wheel(name, version, files, tag, purelib):
    dist = f"{name}-{version}.dist-info"
    meta = {
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: {'true' if purelib else 'false'}\nTag: {tag}\n".encode(),
    }
    path = os.path.join(out, f"{name}-{version}-{tag}.whl")
    tmp = path + ".tmp"
    lines = []
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for fname, gen in list(files) + [(k, lambda v=v: v) for k, v in meta.items()]:
            data = gen()
            info = zipfile.ZipInfo(fname, EPOCH)
            info.external_attr = (0o100755 if fname.endswith(".so") else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=6)
            lines.append(rec(fname, data))
        lines.append(f"{dist}/RECORD,,")
        info = zipfile.ZipInfo(f"{dist}/RECORD", EPOCH)
        info.external_attr = 0o100644 << 16
        z.writestr(info, ("\n".join(lines) + "\n").encode(), compress_type=zipfile.ZIP_DEFLATED)
    os.rename(tmp, path)

WORDS = [rng.randbytes(16) for _ in range(256)]

def machine_code(size):
    r = random.Random(7)
    parts, n = [], 0
    while n < size:
        chunk = r.randbytes(r.randint(16, 48)) + b"".join(r.choice(WORDS) for _ in range(r.randint(4, 12)))
        parts.append(chunk)
        n += len(chunk)
    return b"".join(parts)[:size]

IDENT = ["self", "value", "result", "config", "tensor", "device", "return", "import", "layer", "batch", "index", "shape"]

def source(size, seed):
    r = random.Random(seed)
    lines, n = [], 0
    while n < size:
        ind = "    " * r.randint(0, 3)
        line = ind + " ".join(r.choice(IDENT) + (f"_{r.randint(0, 999)}" if r.random() < 0.5 else "") for _ in range(r.randint(2, 9))) + "\n"
        lines.append(line)
        n += len(line)
    return "".join(lines).encode()[:size]

os.makedirs(out, exist_ok=True)
per = 25 * 1024 * 1024
nfiles = max(1, big_mib * 1024 * 1024 // per)
base = machine_code(per)
# Each library differs (a rotation of one generated image) without generating each anew.
files = [(f"bigcuda/lib/libbig{i:02d}.so", lambda i=i: base[i * 4099 :] + base[: i * 4099]) for i in range(nfiles)]
files.append(("bigcuda/__init__.py", lambda: b"# the big wheel\n"))
wheel("bigcuda", "1.0", files, "py3-none-any", False)
for k in range(small_count):
    name = f"small{k:03d}"
    per_file = 32 * 1024
    count = max(1, small_kib * 1024 // per_file)
    fs = [(f"{name}/mod{j:02d}.py", lambda j=j, k=k: source(per_file, 1000 * k + j)) for j in range(count)]
    fs.append((f"{name}/__init__.py", lambda: b""))
    wheel(name, "1.0", fs, "py3-none-any", True)
