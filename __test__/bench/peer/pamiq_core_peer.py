"""The same work as __test__/bench/cases/records.ts, through PAMIQ-Core (Python): a SequentialBuffer
registered in a StateStore, filled with the same records, saved (StateStore.save_state, then an fsync of
every file of the state and of its directories, so the save is as durable as ours) and loaded into a
fresh buffer, --reps times. Prints one result line in the bench's protocol.

  python pamiq_core_peer.py --dir DIR --shape fields|bytes --records N [--reps 1]
"""

import argparse
import gc
import json
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np
from pamiq_core.data.impls import SequentialBuffer
from pamiq_core.state_persistence import StateStore

RESULT_MARK = "@@pamiq-bench-result@@ "


def field_record(i):
    return {"obs": math.sin(i * 0.01), "action": i % 4, "reward": (i % 1000) * 0.25 - 100, "value": math.sqrt(i)}


def bytes_record(i):
    j = np.arange(4096, dtype=np.int64)
    obs = ((i * 31 + j * 7 + (j >> 5)) & 0xFF).astype(np.uint8)
    return {"obs": obs, "reward": (i % 100) * 0.5}


def fsync_tree(root: Path):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(root.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def same(a, b):
    if a.keys() != b.keys():
        return False
    for k, v in b.items():
        if isinstance(v, np.ndarray):
            if not np.array_equal(a[k], v):
                return False
        elif a[k] != v:
            return False
    return True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--shape", choices=["fields", "bytes"], required=True)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    make = field_record if a.shape == "fields" else bytes_record
    n = a.records
    states = Path(a.dir)
    states.mkdir(parents=True, exist_ok=True)
    buf = SequentialBuffer(n)
    for i in range(n):
        buf.add(make(i))
    store = StateStore(states)
    store.register("buf", buf)
    samples = {"saveMs": [], "loadMs": [], "totalMs": []}
    facts = {}
    for _ in range(a.reps):
        gc.collect()
        t0 = time.perf_counter()
        path = store.save_state()
        fsync_tree(path)
        t1 = time.perf_counter()
        facts["stateBytes"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        gc.collect()
        fresh = SequentialBuffer(n)
        loader = StateStore(states)
        loader.register("buf", fresh)
        t2 = time.perf_counter()
        loader.load_state(path)
        t3 = time.perf_counter()
        items = fresh.get_data()
        if len(items) != n or not all(same(items[i], make(i)) for i in (0, n // 2, n - 1)):
            raise SystemExit("the loaded records differ from the saved ones")
        samples["saveMs"].append((t1 - t0) * 1000)
        samples["loadMs"].append((t3 - t2) * 1000)
        samples["totalMs"].append((t1 - t0 + t3 - t2) * 1000)
        shutil.rmtree(path)
    import pamiq_core
    import sys

    facts["version"] = getattr(pamiq_core, "__version__", "?")
    facts["python"] = sys.version.split()[0]
    print("\n" + RESULT_MARK + json.dumps({"backend": "pamiq-core", "samples": samples, "facts": facts}), flush=True)


if __name__ == "__main__":
    main()
