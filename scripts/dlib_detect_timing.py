"""dlib's HOG detector speed, as face_recognition calls it: get_frontal_face_detector()(img, upsample), median
of REPEAT runs after one warm-up, per photo (decoded by Pillow, as face_recognition's load_image_file).
Usage: $PEERS_HOME/dlib/bin/python dlib_detect_timing.py UPSAMPLE REPEAT IMAGE..."""
import os, statistics, sys, time
import dlib, numpy as np
from PIL import Image

upsample, repeat, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
hog = dlib.get_frontal_face_detector()
for path in paths:
    img = np.array(Image.open(path).convert("RGB"))
    faces = len(hog(img, upsample))
    ms = []
    for _ in range(repeat):
        t = time.perf_counter()
        hog(img, upsample)
        ms.append((time.perf_counter() - t) * 1000)
    print(f"{os.path.basename(path):<12} {img.shape[1]:>4}×{img.shape[0]:<4} {faces} faces {statistics.median(ms):8.1f} ms")
