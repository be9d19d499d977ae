#!/usr/bin/env python3
"""Rebuilds crates/facenet/tests/fixtures/face_recognition_reference.json with face_recognition 1.3.0 (the dlib
peer: ../shared/peers/setup.sh dlib, then ~/.cache/facenet-peers/dlib/bin/python scripts/face_recognition_reference.py):
face_locations at upsample 1 and 0, 5-point landmarks, and face_encodings with the small and large landmark models."""
import json, os, face_recognition as fr
A=os.path.expanduser('~/.cache/facenet/assets')
out={}
for name in ['obama.jpg','obama2.jpg','biden.jpg']:
    img=fr.load_image_file(os.path.join(A,name))
    locs=fr.face_locations(img)
    out[name]={
      'face_locations': locs,
      'face_locations_upsample0': fr.face_locations(img, 0),
      'landmarks_small': [[list(p) for p in v] for v in [[ (pt.x,pt.y) for pt in s.parts()] for s in fr.api._raw_face_landmarks(img, locs, 'small')]],
      'encodings_small': [e.round(6).tolist() for e in fr.face_encodings(img, locs)],
      'encodings_large': [e.round(6).tolist() for e in fr.face_encodings(img, locs, model='large')],
    }
json.dump(out, open(os.path.join(os.path.dirname(__file__), '..', 'crates', 'facenet', 'tests', 'fixtures', 'face_recognition_reference.json'),'w'), indent=None)
