"""Write the benchmark's extra photos into lae_nb/assets/photos from Debian's lomiri-wallpapers-16.04 package.

    apt-get download lomiri-wallpapers-16.04        # version 20.04.0-2, or any mirror's copy of the .deb
    dpkg-deb -x lomiri-wallpapers-16.04_*_all.deb wallpapers
    python tools/add_photos.py wallpapers/usr/share/backgrounds

Each photo is scaled down (area interpolation) to a shorter side of 512 px, the size of scikit-image's photos,
and stored as JPEG at quality 92. Only the CC BY 4.0 and CC0 photos are taken (licences from the package's
debian/copyright; `lae_nb.photos.PHOTOS` records them). The CC BY-SA ones are left out (share-alike would
bind the derived benchmark), and so is umang_by_Abhishek_Mudgal.jpg (CC BY 4.0, but a synthetic colour
gradient, not a photo).
"""
import sys
from pathlib import Path

import cv2

from lae_nb.photos import PHOTOS, photo_path

SHORT_SIDE, QUALITY = 512, 92

def main(folder: str) -> None:
    for name, (package, file, licence, credit) in PHOTOS.items():
        if package != 'lae_nb': continue
        original = Path(folder) / file
        img = cv2.imread(str(original), cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"{original}: missing or not an image; give the folder holding the package's backgrounds.")
        scale = SHORT_SIDE / min(img.shape[:2])
        small = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
        out = photo_path(name)
        out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out), small, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        print(f"{out.name}: {img.shape[1]}x{img.shape[0]} -> {small.shape[1]}x{small.shape[0]}, "
              f"{out.stat().st_size // 1024} KB ({licence})")

if __name__ == '__main__':
    if len(sys.argv) != 2: raise SystemExit(__doc__)
    main(sys.argv[1])
