"""dlib's detector speed, as face_recognition calls it: get_frontal_face_detector()(img, upsample), or with
--cnn MODEL cnn_face_detection_model_v1(MODEL)(img, upsample) (model="cnn"); median of REPEAT runs after one
warm-up (HOG; the CNN takes tens of seconds a photo, so its first timed run gives the face count), per photo
(decoded by Pillow, as face_recognition's load_image_file).
Usage: $PEERS_HOME/dlib/bin/python dlib_detect_timing.py [--cnn MODEL] UPSAMPLE REPEAT IMAGE..."""
import os, statistics, sys, time
import dlib, numpy as np
from PIL import Image

args = sys.argv[1:]
cnn = args[1] if args[0] == "--cnn" else None
if cnn:
    args = args[2:]
upsample, repeat, paths = int(args[0]), int(args[1]), args[2:]
detect = dlib.cnn_face_detection_model_v1(cnn) if cnn else dlib.get_frontal_face_detector()
for path in paths:
    img = np.array(Image.open(path).convert("RGB"))
    faces = None if cnn else len(detect(img, upsample))
    ms = []
    for _ in range(repeat):
        t = time.perf_counter()
        found = detect(img, upsample)
        ms.append((time.perf_counter() - t) * 1000)
        faces = len(found) if faces is None else faces
    print(f"{os.path.basename(path):<12} {img.shape[1]:>4}×{img.shape[0]:<4} {faces} faces {statistics.median(ms):8.1f} ms")
