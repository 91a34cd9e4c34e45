"""Makes a clean rendered page look scanned: skew, turned pages, noise, blur, uneven light, JPEG."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

_NOISE_TILE = 512  # noise is drawn for one tile and repeated: far cheaper, and looks the same


@dataclass(frozen=True)
class PageDegradation:
    """What was done to one page. skew_deg is counter-clockwise as seen on screen; a deskewer
    must turn the page clockwise by it (after undoing upside_down) to straighten it."""

    skew_deg: float
    upside_down: bool
    blur_sigma: float
    noise_sigma: float
    jpeg_quality: int | None
    paper_level: int
    ink_level: int
    lighting: float
    speckles: int
    edge_shadow: str | None

    def as_meta(self, page: int) -> dict[str, Any]:
        return {"page": page, **asdict(self)}


NO_DEGRADATION = PageDegradation(0.0, False, 0.0, 0.0, None, 255, 0, 0.0, 0, None)


def draw_degradation(rng: np.random.Generator) -> PageDegradation:
    """Draws a plausible set of scanner artefacts for one page."""
    return PageDegradation(
        skew_deg=round(float(rng.uniform(-3.0, 3.0)), 2),
        upside_down=bool(rng.random() < 0.05),
        blur_sigma=round(float(rng.uniform(0.5, 1.1)), 2) if rng.random() < 0.4 else 0.0,
        noise_sigma=round(float(rng.uniform(1.5, 6.0)), 2),
        jpeg_quality=int(rng.integers(50, 86)) if rng.random() < 0.4 else None,
        paper_level=int(rng.integers(228, 251)),
        ink_level=int(rng.integers(0, 55)),
        lighting=round(float(rng.uniform(0.0, 0.14)), 3),
        speckles=int(rng.integers(0, 150)) if rng.random() < 0.5 else 0,
        edge_shadow=str(rng.choice(["left", "right", "top", "bottom"]))
        if rng.random() < 0.08
        else None,
    )


def _smooth_field(
    rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]
) -> np.ndarray:
    """A smooth random surface in [0, 1] (coarse grid blown up with bicubic interpolation)."""
    coarse = rng.random(cells).astype(np.float32)
    return np.clip(cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC), 0, 1)


def degrade_page(page: np.ndarray, d: PageDegradation, rng: np.random.Generator) -> np.ndarray:
    """Applies d to a greyscale uint8 page (white paper, black ink); returns a new array."""
    h, w = page.shape
    # Ink is never quite black: map 0..255 onto ink_level..255.
    img = cv2.convertScaleAbs(page, alpha=(255 - d.ink_level) / 255.0, beta=d.ink_level)
    if d.skew_deg:
        matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), d.skew_deg, 1.0)
        img = cv2.warpAffine(
            img,
            matrix,
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=255,
        )
    if d.blur_sigma:
        img = cv2.GaussianBlur(img, (0, 0), d.blur_sigma)

    # Paper tone, a faint texture, and light falling off across the scanner bed.
    light = np.float32(1.0) - np.float32(d.lighting) * _smooth_field(rng, (h, w), (3, 4))
    gy, gx = rng.uniform(-1, 1, 2)
    ramp_y = np.linspace(-gy, gy, h, dtype=np.float32)[:, None]
    ramp_x = np.linspace(-gx, gx, w, dtype=np.float32)[None, :]
    light = light * (np.float32(1.0) - np.float32(d.lighting * 0.5) * (ramp_y + ramp_x + 2) / 4)
    texture = (_smooth_field(rng, (h, w), (h // 24, w // 24)) - 0.5) * np.float32(6.0)
    out = img.astype(np.float32) * np.float32(d.paper_level / 255.0) * light + texture
    if d.noise_sigma:
        tile = rng.standard_normal((_NOISE_TILE, _NOISE_TILE), dtype=np.float32)
        reps = (h // _NOISE_TILE + 2, w // _NOISE_TILE + 2)
        oy, ox = rng.integers(0, _NOISE_TILE, 2)
        out += np.tile(tile, reps)[oy : oy + h, ox : ox + w] * np.float32(d.noise_sigma)
    img = np.clip(out, 0, 255).astype(np.uint8)

    if d.speckles:
        ys = rng.integers(0, h, d.speckles)
        xs = rng.integers(0, w, d.speckles)
        radii = rng.integers(1, max(2, w // 800) + 2, d.speckles)
        shades = rng.integers(20, 140, d.speckles)
        for y, x, r, s in zip(ys, xs, radii, shades, strict=True):
            cv2.circle(img, (int(x), int(y)), int(r), int(s), -1, lineType=cv2.LINE_AA)
    if d.edge_shadow:
        band = int(w * 0.012) + 2
        shade = np.linspace(60, 200, band, dtype=np.float32)
        if d.edge_shadow in ("left", "right"):
            strip = np.broadcast_to(shade[None, :], (h, band))
            if d.edge_shadow == "left":
                img[:, :band] = np.minimum(img[:, :band], strip.astype(np.uint8))
            else:
                img[:, w - band :] = np.minimum(img[:, w - band :], strip[:, ::-1].astype(np.uint8))
        else:
            strip = np.broadcast_to(shade[:, None], (band, w))
            if d.edge_shadow == "top":
                img[:band] = np.minimum(img[:band], strip.astype(np.uint8))
            else:
                img[h - band :] = np.minimum(img[h - band :], strip[::-1].astype(np.uint8))
    if d.upside_down:
        img = cv2.rotate(img, cv2.ROTATE_180)
    if d.jpeg_quality:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg_quality])
        if not ok:
            raise RuntimeError("OpenCV could not JPEG-encode a page")
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        if decoded is None:
            raise RuntimeError("OpenCV could not decode its own JPEG")
        img = decoded
    return img
