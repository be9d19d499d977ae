"""Load client for `facenet serve` (loopback only, bounded in time and requests): N concurrent clients for T
seconds mixing recognize, add-example, list and detect on real photos. Prints throughput, p50/p99 latency per
endpoint, errors and timeouts, and the embedding batch-size distribution from /metrics.

Usage: python load_client.py PORT RECOGNITION_KEY DETECTION_KEY CLIENTS SECONDS MAX_REQUESTS PHOTO...
The environment variable LOAD_MIX replaces the mix, e.g. LOAD_MIX=recognize:1 (recognize only).
"""
import os
import http.client
import json
import random
import sys
import threading
import time
import uuid

port, rkey, dkey = int(sys.argv[1]), sys.argv[2], sys.argv[3]
clients, seconds, max_requests = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
photos = [open(p, "rb").read() for p in sys.argv[7:]]
MIX = [("recognize", 0.5), ("add", 0.15), ("list", 0.15), ("detect", 0.2)]
if os.environ.get("LOAD_MIX"):
    shares = dict((name, float(share)) for name, share in
                  (part.split(":") for part in os.environ["LOAD_MIX"].split(",")))
    MIX = [(name, shares.get(name, 0.0) / sum(shares.values())) for name, _ in MIX]
TIMEOUT_S = 120

lock = threading.Lock()
latencies = {name: [] for name, _ in MIX}
errors = {name: 0 for name, _ in MIX}
timeouts = {name: 0 for name, _ in MIX}
issued = 0


def multipart(photo):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def request(conn, name, client):
    photo = random.choice(photos)
    if name == "recognize":
        body, ctype = multipart(photo)
        return "POST", "/api/v1/recognition/recognize", body, ctype, rkey
    if name == "add":
        body, ctype = multipart(photo)
        return "POST", f"/api/v1/recognition/faces?subject=client{client % 20}", body, ctype, rkey
    if name == "list":
        return "GET", "/api/v1/recognition/faces?size=20", None, "application/json", rkey
    body, ctype = multipart(photo)
    return "POST", "/api/v1/detection/detect", body, ctype, dkey


def pick():
    r, acc = random.random(), 0.0
    for name, share in MIX:
        acc += share
        if r < acc:
            return name
    return MIX[-1][0]


def client(index, deadline):
    global issued
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    while time.time() < deadline:
        with lock:
            if issued >= max_requests:
                return
            issued += 1
        name = pick()
        method, path, body, ctype, key = request(conn, name, index)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers={"x-api-key": key, "Content-Type": ctype})
            response = conn.getresponse()
            response.read()
            ok = 200 <= response.status < 300
        except TimeoutError:
            with lock:
                timeouts[name] += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            continue
        except (ConnectionError, http.client.HTTPException):
            ok = False
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        elapsed = time.perf_counter() - start
        with lock:
            if ok:
                latencies[name].append(elapsed)
            else:
                errors[name] += 1


def percentile_ms(values, p):
    """The p-th percentile in ms, or None (JSON null) for an endpoint that answered no request."""
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1e3, 1)


def batch_histogram():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics", headers={"x-api-key": rkey})
    text = conn.getresponse().read().decode()
    buckets = [(line.split('le="')[1].split('"')[0], float(line.split()[-1]))
               for line in text.splitlines() if line.startswith("facenet_embedding_batch_faces_bucket")]
    out, previous = {}, 0.0
    for bound, cumulative in buckets:
        out[f"<={bound}"] = int(cumulative - previous)
        previous = cumulative
    return out


start = time.time()
threads = [threading.Thread(target=client, args=(i, start + seconds)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.time() - start
total = sum(len(v) for v in latencies.values())
report = {
    "clients": clients, "seconds": round(wall, 1), "requests_ok": total,
    "throughput_rps": round(total / wall, 2),
    "errors": sum(errors.values()), "timeouts": sum(timeouts.values()),
    "endpoints": {name: {"ok": len(v), "rps": round(len(v) / wall, 2),
                         "p50_ms": percentile_ms(v, 50), "p99_ms": percentile_ms(v, 99),
                         "errors": errors[name], "timeouts": timeouts[name]} for name, v in latencies.items()},
    "batch_faces_histogram": batch_histogram(),
}
print(json.dumps({k: v for k, v in report.items() if k != "batch_faces_histogram"}, indent=2))
print("batch_faces_histogram:", json.dumps(report["batch_faces_histogram"]))
