#!/usr/bin/env python3
"""face_recognition 1.3.0 (dlib 20.0.1) against facenet.face_recognition, in one process, on the same photos:
median milliseconds of load_image_file, face_locations, face_encodings (detection included), compare_faces,
and the whole face_encodings(load_image_file(p)) call; the speed-up of each; and whether the answers agree
(locations identical, encodings' largest difference). scripts/bench_face_recognition.sh sets up the venv.

Usage: bench_face_recognition.py REPEAT PHOTO...
"""

import statistics
import sys
import time

import face_recognition as dlib_fr
import numpy as np

from facenet import face_recognition as ours


def median_ms(call, repeat):
    call()  # warm: models loaded, caches filled
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def stages(fr, photo, repeat):
    image = fr.load_image_file(photo)
    encodings = fr.face_encodings(image)
    known = [encodings[0]] * 100 if encodings else [np.zeros(128)] * 100
    return {
        "load": median_ms(lambda: fr.load_image_file(photo), repeat),
        "locate": median_ms(lambda: fr.face_locations(image), repeat),
        "encode": median_ms(lambda: fr.face_encodings(image), repeat),
        "compare x100": median_ms(lambda: fr.compare_faces(known, known[0]), repeat),
        "encodings(load(p))": median_ms(lambda: fr.face_encodings(fr.load_image_file(photo)), repeat),
    }


def agreement(photo):
    a, b = dlib_fr.load_image_file(photo), ours.load_image_file(photo)
    same_pixels = np.array_equal(a, b)
    same_boxes = dlib_fr.face_locations(a) == ours.face_locations(b)
    ea, eb = dlib_fr.face_encodings(a), ours.face_encodings(b)
    worst = max((float(np.abs(x - y).max()) for x, y in zip(ea, eb)), default=float("nan"))
    return "pixels equal {}, locations equal {}, {} faces, largest encoding difference {:.2e}".format(
        same_pixels, same_boxes, len(eb), worst)


def main():
    repeat, photos = int(sys.argv[1]), sys.argv[2:]
    totals = {"dlib": {}, "facenet": {}}
    for photo in photos:
        print("==", photo, "--", agreement(photo))
        for name, fr in (("dlib", dlib_fr), ("facenet", ours)):
            for stage, ms in stages(fr, photo, repeat).items():
                totals[name].setdefault(stage, []).append(ms)
                print("  {:8} {:20} {:9.1f} ms".format(name, stage, ms))
    print("== median over photos: face_recognition (dlib) / facenet.face_recognition = speed-up")
    for stage in totals["dlib"]:
        d, f = statistics.median(totals["dlib"][stage]), statistics.median(totals["facenet"][stage])
        print("  {:20} {:9.1f} ms {:9.1f} ms  {:6.1f}x".format(stage, d, f, d / f))


if __name__ == "__main__":
    main()
