"""dlib's 5-point landmarks, chips and descriptors on the pixels facenet decodes, from dlib's reference boxes.

JPEG decoders differ by a level or two on ~0.5 % of pixels (libjpeg-turbo, used by dlib's reference through
PIL, versus the `image` crate's decoder); dlib's tree-based landmark predictor then moves a point by a pixel
or more now and then. Running dlib on facenet's own decoded pixels separates the predictor (which must be
exactly dlib's) from the decoder. Prints the JSON fixture crates/facenet-vision/tests/fixtures/
dlib_on_decoded_pixels.json; writes dlib's chips of those pixels to OUT_DIR (never commit them).

Usage (photos from the asset cache, boxes from crates/facenet-nn/tests/fixtures/dlib_reference.json):
  for f in PHOTOS; do cargo run --release -p facenet-vision --example decode_to_png -- $f decoded/$f.png; done
  ~/.cache/facenet-peers/dlib/bin/python scripts/dlib_on_decoded_pixels.py REFERENCE.json decoded OUT_DIR
"""
import json, os, sys
import dlib, numpy as np, face_recognition_models as m
from PIL import Image

reference, decoded_dir, out_dir = sys.argv[1:4]
os.makedirs(out_dir, exist_ok=True)
sp = dlib.shape_predictor(m.pose_predictor_five_point_model_location())
net = dlib.face_recognition_model_v1(m.face_recognition_model_location())
photos = json.load(open(reference))["photos"]
out = {"_about": "dlib 20.0.1 shape_predictor_5_face_landmarks on facenet-decoded pixels, from the reference boxes; "
                  "made by scripts/dlib_on_decoded_pixels.py", "photos": {}}
for name, photo in photos.items():
    img = np.array(Image.open(os.path.join(decoded_dir, name + ".png")).convert("RGB"))
    faces = []
    for k, face in enumerate(photo["faces"]):
        shape = sp(img, dlib.rectangle(*face["box_ltrb"]))
        chip = dlib.get_face_chip(img, shape, size=150, padding=0.25)
        Image.fromarray(chip).save(os.path.join(out_dir, f"{name.rsplit('.', 1)[0]}_{k}.png"))
        faces.append({"box_ltrb": face["box_ltrb"], "landmarks5": [[shape.part(i).x, shape.part(i).y] for i in range(5)],
                      "descriptor_from_chip": [round(float(v), 7) for v in net.compute_face_descriptor(chip)]})
    out["photos"][name] = {"faces": faces}
print(json.dumps(out))
