"""coursekit.training.digits: the digits split, the chapter's CNN reaching ~99% on it with the shared loop, a
validation split held out of train, accuracy(), and bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit import data as ckdata
from coursekit import training

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)



def test_digits_split_is_fixed_stratified_and_in_unit_range():
    a, b = ckdata.load_digits_split(16, seed=0), ckdata.load_digits_split(16, seed=0)
    assert a.X_train.shape[1:] == (1, 16, 16) and len(a.y_train) + len(a.y_test) == 1797
    assert torch.equal(a.y_test, b.y_test)
    assert 0.0 <= float(a.X_train.min()) and float(a.X_train.max()) <= 1.0
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 47           # 25% of ~180 per class, stratified
    assert ckdata.load_digits_split(8).X_test.shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="size"):
        ckdata.load_digits_split(2)
    with pytest.raises(ValueError, match="test_size"):
        ckdata.load_digits_split(16, test_size=1.5)


def test_small_cnn_reaches_97_percent_on_digits():
    result = training.train_digits(training.DigitsConfig(), ckdata.load_digits_split(), _gen(0), progress=False)
    # The target. Measured 98.9–99.6% test accuracy over generator seeds 0–3 (AdamW, warmup-cosine, 10%
    # of train held out); 97% leaves room for BLAS differences.
    assert result.accuracy >= 0.97
    epochs = training.DigitsConfig().epochs
    for key in ("loss", "train_accuracy", "val_accuracy", "test_accuracy"):
        assert len(result.history[key]) == epochs, key
    # 135 held-out training images: measured 97.0–99.3% over seeds 0–3; one image is 0.74%.
    assert result.history["val_accuracy"][-1] >= 0.95
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert not result.model.training
    data = ckdata.load_digits_split()
    assert training.accuracy(result.model, data.X_test, data.y_test) == result.accuracy


def test_accuracy_counts_matches_in_eval_mode():
    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False), nn.Dropout(0.99))
    with torch.no_grad():
        model[1].weight.copy_(torch.eye(2))
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 2.0], [0.0, 5.0]])[:, None]   # (4, 1, 2)
    # eval mode: dropout off, so the predictions are argmax(x) = 0, 1, 0, 1
    assert training.accuracy(model, X, torch.tensor([0, 1, 1, 1]), batch_size=3) == 0.75
    assert model.training
    with pytest.raises(ValueError, match="one label per image"):
        training.accuracy(model, X, torch.tensor([0, 1]))


def test_train_digits_rejects_bad_input():
    data = ckdata.load_digits_split(8)
    with pytest.raises(ValueError, match="DigitsConfig"):
        training.train_digits({"epochs": 1}, data, _gen())
    with pytest.raises(ValueError, match="DigitsSplit"):
        training.train_digits(training.DigitsConfig(), (data.X_train, data.y_train), _gen())
    with pytest.raises(ValueError, match="generator"):
        training.train_digits(training.DigitsConfig(), data, 0)
    with pytest.raises(ValueError, match="val_fraction"):
        training.train_digits(training.DigitsConfig(val_fraction=0.0), data, _gen())
