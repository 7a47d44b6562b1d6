"""Drives a running system with PAMIQ-Core's own WebApiClient (unchanged, from PyPI).

Usage: python drive.py HOST PORT. Prints one JSON object with what the client saw, and the
/metrics text parsed by prometheus_client's reference parser.
"""

import json
import sys
import time

import httpx
from pamiq_core.console.system_status import SystemStatus
from pamiq_core.console.web_api import WebApiClient
from prometheus_client.parser import text_string_to_metric_families

host, port = sys.argv[1], int(sys.argv[2])
client = WebApiClient(host, port)
seen = {}


def wait_for(status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = client.get_status()
        if s is status:
            return s.name
        time.sleep(0.02)
    return client.get_status().name


seen["initial"] = client.get_status().name
seen["pause"] = client.pause()
seen["after_pause"] = wait_for(SystemStatus.PAUSED)
seen["save_state"] = client.save_state()
seen["resume"] = client.resume()
seen["after_resume"] = wait_for(SystemStatus.ACTIVE)
seen["offline_elsewhere"] = WebApiClient(host, 1).get_status().name

families = {f.name: f for f in text_string_to_metric_families(httpx.get(f"http://{host}:{port}/metrics").text)}
phases = {}
for s in families["pamiq_save_phase_seconds"].samples:
    if s.name.endswith("_count"):
        phases[s.labels["phase"]] = s.value
seen["metrics"] = {
    "types": {n: f.type for n, f in families.items() if n.startswith("pamiq_")},
    "phase_counts": phases,
    "period_count": next(
        s.value
        for s in families["pamiq_loop_period_seconds"].samples
        if s.name.endswith("_count") and s.labels.get("loop") == "inference"
    ),
    "steps": next(s.value for s in families["pamiq_loop_steps"].samples if s.labels.get("loop") == "inference"),
}

seen["shutdown"] = client.shutdown()
deadline = time.monotonic() + 60
while client.get_status() is not SystemStatus.OFFLINE and time.monotonic() < deadline:
    time.sleep(0.05)
seen["after_shutdown"] = client.get_status().name
client.close()
print(json.dumps(seen))
