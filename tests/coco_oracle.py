"""The COCO oracle shared by the detection tests: pycocotools' COCOeval on coursekit-style inputs."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def cocoeval_stats(detections, ground_truth, K):
    """The oracle: COCOeval on the same boxes (xyxy -> xywh), gt area = box area, ids from 1."""
    images = [{"id": i + 1} for i in range(len(ground_truth))]
    anns = []
    for i, g in enumerate(ground_truth):
        for b, l in zip(np.asarray(g["boxes"]).reshape(-1, 4), g["labels"]):
            w, h = b[2] - b[0], b[3] - b[1]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(l) + 1,
                         "bbox": [float(b[0]), float(b[1]), float(w), float(h)], "area": float(w * h), "iscrowd": 0})
    gt = COCO()
    gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": k + 1} for k in range(K)]}
    res = []
    for i, d in enumerate(detections):
        for b, s, l in zip(np.asarray(d["boxes"]).reshape(-1, 4), d["scores"], d["labels"]):
            res.append({"image_id": i + 1, "category_id": int(l) + 1, "score": float(s),
                        "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]})
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes(res)
        E = COCOeval(gt, dt, "bbox")
        E.evaluate()
        E.accumulate()
        E.summarize()
    return E.stats, E.eval["precision"]
