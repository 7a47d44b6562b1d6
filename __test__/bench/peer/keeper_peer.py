"""PAMIQ-Core's LatestStatesKeeper over a states directory, for the keeper bench case (cases/keeper.ts).

    python keeper_peer.py construct DIR REPS   -> {"constructMs": [...]}  (glob + stat of every state)
    python keeper_peer.py cleanup DIR KEEP     -> {"constructMs": x, "cleanupMs": y}  (then removes all but KEEP)

Prints one JSON line. The directory is consumed by `cleanup`.
"""

import json
import logging
import sys
import time

from pamiq_core.state_persistence import LatestStatesKeeper

logging.disable(logging.CRITICAL)


def main() -> None:
    mode, states_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "construct":
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            LatestStatesKeeper(states_dir, 10)
            samples.append((time.perf_counter() - t) * 1e3)
        print(json.dumps({"constructMs": samples}))
    else:
        t = time.perf_counter()
        keeper = LatestStatesKeeper(states_dir, n)
        construct = (time.perf_counter() - t) * 1e3
        t = time.perf_counter()
        removed = keeper.cleanup()
        cleanup = (time.perf_counter() - t) * 1e3
        print(json.dumps({"constructMs": construct, "cleanupMs": cleanup, "removed": len(removed)}))


main()
