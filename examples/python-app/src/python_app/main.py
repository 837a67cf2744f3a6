"""Prints what the image gives the application: its interpreter, its user,
and the CUDA runtime it ships (found by the dynamic loader, as a framework
would find it). Runs without a GPU: the device count then says why none."""

import ctypes
import os
import platform
import sys

from tabulate import tabulate


def cuda_facts() -> list[tuple[str, str]]:
    try:
        cudart = ctypes.CDLL("libcudart.so.12")
    except OSError:
        return [("cuda runtime", "not found")]
    version = ctypes.c_int()
    if cudart.cudaRuntimeGetVersion(ctypes.byref(version)) != 0:
        return [("cuda runtime", "unreadable")]
    facts = [("cuda runtime", f"{version.value // 1000}.{version.value % 1000 // 10}")]
    count = ctypes.c_int()
    status = cudart.cudaGetDeviceCount(ctypes.byref(count))
    if status == 0:
        facts.append(("gpus", str(count.value)))
    else:
        cudart.cudaGetErrorString.restype = ctypes.c_char_p
        facts.append(("gpus", f"none ({cudart.cudaGetErrorString(status).decode()})"))
    return facts


def main() -> int:
    rows = [
        ("python", platform.python_version()),
        ("uid", str(os.getuid())),
        ("executable", sys.executable),
        *cuda_facts(),
    ]
    print(tabulate(rows, headers=["fact", "value"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
