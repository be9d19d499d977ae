"""One round of the official CompreFace Python SDK (PyPI compreface-sdk, unchanged) against `facenet serve`.

Usage: python compreface_sdk_round.py PORT RECOGNITION_KEY DETECTION_KEY VERIFICATION_KEY OBAMA OBAMA2 BIDEN
Exits non-zero with the failing check's message; prints "sdk round ok" at the end.
"""
import sys

from compreface import CompreFace
from compreface.service import DetectionService, RecognitionService, VerificationService

port, recognition_key, detection_key, verification_key, obama, obama2, biden = sys.argv[1:8]
compre_face = CompreFace("http://127.0.0.1", port, {"limit": 0, "det_prob_threshold": 0.8, "prediction_count": 1,
                                                  "face_plugins": "landmarks", "status": "true"})


def check(condition, message, value):
    if not condition:
        sys.exit(f"FAILED: {message}: {value}")


recognition: RecognitionService = compre_face.init_face_recognition(recognition_key)
subjects = recognition.get_subjects()
check(subjects.add("carol") == {"subject": "carol"}, "subjects.add", subjects.list())
faces = recognition.get_face_collection()
added = faces.add(image_path=obama, subject="obama")
check("image_id" in added and added.get("subject") == "obama", "face_collection.add", added)
faces.add(image_path=biden, subject="biden")
listed = faces.list()
check(listed.get("total_elements") == 2, "face_collection.list", listed)
check(sorted(subjects.list()["subjects"]) == ["biden", "carol", "obama"], "subjects.list", subjects.list())

answer = recognition.recognize(image_path=obama2)
best = answer["result"][0]["subjects"][0]
check(best["subject"] == "obama" and best["similarity"] > 0.5, "recognize", answer)
check(len(answer["result"][0]["landmarks"]) == 5, "recognize landmarks", answer)

verified = faces.verify(image_path=obama2, image_id=added["image_id"])
check(verified["result"][0]["similarity"] > 0.5, "face_collection.verify", verified)

detection: DetectionService = compre_face.init_face_detection(detection_key)
detected = detection.detect(image_path=biden, options={"face_plugins": "calculator"})
check(len(detected["result"]) >= 1 and len(detected["result"][0]["embedding"]) > 100, "detect", detected)

verification: VerificationService = compre_face.init_face_verification(verification_key)
compared = verification.verify(source_image_path=obama, target_image_path=biden)
check(compared["result"][0]["face_matches"][0]["similarity"] < 0.5, "verification.verify", compared)

check(subjects.update("carol", "caroline") == {"updated": True}, "subjects.update", subjects.list())
deleted = faces.delete(added["image_id"])
check(deleted.get("subject") == "obama", "face_collection.delete", deleted)
check(faces.delete_all("biden") == {"deleted": 1}, "face_collection.delete_all", faces.list())
check(subjects.delete("caroline") == {"subject": "caroline"}, "subjects.delete", subjects.list())
check(subjects.delete_all().get("deleted") == 2, "subjects.delete_all", subjects.list())
print("sdk round ok")
