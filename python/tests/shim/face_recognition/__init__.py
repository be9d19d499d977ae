"""A stand-in for the face_recognition package that is facenet.face_recognition: put this folder on
PYTHONPATH (scripts/test_python.sh does) and `import face_recognition`, `from face_recognition import api`,
`face_recognition.face_recognition_cli` all resolve to facenet's modules. Nothing of face_recognition's own."""

import sys

import facenet.face_recognition as _ours
from facenet.face_recognition import api, face_detection_cli, face_recognition_cli

for _name, _module in (("api", api), ("face_recognition_cli", face_recognition_cli),
                       ("face_detection_cli", face_detection_cli)):
    sys.modules[__name__ + "." + _name] = _module
sys.modules[__name__] = _ours
