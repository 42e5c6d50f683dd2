"""The shared training loop: it solves least squares, follows warmup_cosine_lr step by step (checked against
torch's AdamW + LambdaLR driven by hand), is reproducible from its generator alone, leaves torch's global RNG
untouched, and eval_mode / evaluate restore every module's mode."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.models.utils import init_parameters_
from coursekit.training.loop import FitConfig, History, eval_mode, evaluate, fit
from coursekit.training.schedules import warmup_cosine_lr

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def mse(model, batch):
    X, y = batch
    return ((model(X)[:, 0] - y) ** 2).mean()


def regression_problem(n=200, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([1.5, -2.0, 0.5], dtype=torch.float64) + 0.7 + 0.3 * torch.randn(n, generator=g,
                                                                                             dtype=torch.float64)
    return X, y


def linear_model(d=3, seed=1):
    return init_parameters_(nn.Linear(d, 1, dtype=torch.float64), torch.Generator().manual_seed(seed))


def test_fit_solves_linear_regression_to_the_closed_form():
    X, y = regression_problem()
    model = linear_model()
    config = FitConfig(epochs=400, batch_size=len(y), lr=0.05)          # full batch: deterministic descent
    history = fit(model, mse, (X, y), config, torch.Generator().manual_seed(2), progress=False)
    A = np.hstack([X.numpy(), np.ones((len(y), 1))])                     # (n, d + 1) with the intercept
    w_star, *_ = np.linalg.lstsq(A, y.numpy(), rcond=None)
    w = np.append(model.weight.detach().numpy()[0], model.bias.item())
    # Tolerance: an Adam step moves each weight by about lr_t at most, and the last rates of the cosine are
    # 0.05 · (1 - cos(π k / 400)) / 2 < 1e-6 for the last step, < 3e-5 ten steps before; the jitter left around
    # the minimum is of that order, so 1e-5 holds with room, while a run 4x shorter is still off by ~0.1.
    np.testing.assert_allclose(w, w_star, rtol=0, atol=1e-5,
                               err_msg="fit's weights differ from the least-squares solution")
    min_mse = float(np.mean((A @ w_star - y.numpy()) ** 2))
    # The loss is quadratic around w*: an error of 1e-5 in w changes the MSE by ~1e-10 relative.
    assert history.loss[-1] == pytest.approx(min_mse, rel=1e-8), "the last epoch's loss is not the minimum MSE"
    assert len(history.loss) == 400 and history.val == [] and history.seconds > 0


def reference_adamw(model, X, y, config, steps):
    """torch's own AdamW + LambdaLR(warmup_cosine_lr) + clip_grad_norm_, full batch (order cannot matter)."""
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    W = round(config.warmup_fraction * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: warmup_cosine_lr(t, 1.0, W, steps, config.min_lr / config.lr))
    for _ in range(steps):
        opt.zero_grad()
        mse(model, (X, y)).backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        sched.step()
    return model


def test_fit_follows_warmup_cosine_with_adamw_weight_decay_and_clipping_like_torch():
    X, y = regression_problem(n=64)
    config = FitConfig(epochs=30, batch_size=64, lr=0.1, weight_decay=0.05, warmup_fraction=0.2, min_lr=0.01,
                       grad_clip=0.5)
    model = linear_model()
    history = fit(model, mse, (X, y), config, torch.Generator().manual_seed(0), progress=False)
    T, W = 30, 6
    expected = [warmup_cosine_lr(t, 0.1, W, T, 0.01) for t in range(T)]
    assert history.lr == expected, "the per-step rates are not warmup_cosine_lr(t, lr, W, T, min_lr)"
    ref = reference_adamw(linear_model(), X, y, config, T)
    # Tolerance: float64, the same operations up to the order of the batch sum and LambdaLR's lr·(rate/lr)
    # rounding, i.e. a few ulps per step over 30 steps.
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), dict(ref.named_parameters())[name].detach().numpy(),
                                   rtol=0, atol=1e-12, err_msg=f"{name} differs from torch's AdamW run")


def test_every_epoch_visits_each_example_once_and_the_loss_is_the_example_mean():
    n, seen = 10, []
    X = torch.arange(n, dtype=torch.float64)[:, None]                  # (n, 1): the loss is the mean index

    def loss_fn(model, batch):
        (x,) = batch
        seen.append(x[:, 0].long().tolist())
        return model(x).sum() * 0 + x.mean()

    history = fit(linear_model(1), loss_fn, (X,), FitConfig(epochs=3, batch_size=4), torch.Generator(),
                  progress=False)
    assert [len(b) for b in seen] == [4, 4, 2] * 3 and len(history.lr) == 9
    for e in range(3):
        assert sorted(sum(seen[3 * e:3 * e + 3], [])) == list(range(n)), f"epoch {e} is not a permutation"
    assert seen[:3] != seen[3:6], "the order must be re-drawn every epoch"
    assert history.loss == pytest.approx([4.5] * 3, abs=1e-12)          # batch means weighted by batch size


def dropout_net(seed=0):
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm1d(16), nn.Linear(16, 2))
    return init_parameters_(net, torch.Generator().manual_seed(seed))


def classification_data():
    g = torch.Generator().manual_seed(5)
    X = torch.randn(96, 4, generator=g)
    return X, (X[:, 0] + X[:, 1] > 0).long()


def ce(model, batch):
    return F.cross_entropy(model(batch[0]), batch[1])


def accuracy(model, val):
    return float((model(val[0]).argmax(1) == val[1]).float().mean())


def run(seed, model=None):
    X, y = classification_data()
    model = dropout_net() if model is None else model
    h = fit(model, ce, (X, y), FitConfig(epochs=4, batch_size=32, lr=1e-2, warmup_fraction=0.25),
            torch.Generator().manual_seed(seed), val=(X, y), metric=accuracy, progress=False)
    return model, h


def test_same_generator_same_history_and_weights_even_with_dropout():
    (m1, h1), (m2, h2), (m3, h3) = run(0), run(0), run(1)
    assert (h1.loss, h1.val, h1.lr) == (h2.loss, h2.val, h2.lr)
    for (name, a), b in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(a, b), f"{name} differs between two runs with the same generator"
    assert h1.loss != h3.loss, "another seed must give another batch order and dropout masks"
    assert len(h1.val) == 4 and not m1.training, "the model is left in eval mode"


def test_fit_leaves_the_global_rng_untouched():
    model = dropout_net()                    # constructing torch.nn layers draws from the global RNG: not fit
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    run(0, model)
    assert torch.equal(torch.random.get_rng_state(), before), "fit consumed torch's global generator"


def test_eval_mode_restores_each_submodule_mode_also_on_error():
    net = dropout_net()
    net.train()
    net[3].eval()                                                      # a frozen BatchNorm inside
    modes = [m.training for m in net.modules()]
    with eval_mode(net) as inner:
        assert inner is net and not any(m.training for m in net.modules())
    assert [m.training for m in net.modules()] == modes
    with pytest.raises(RuntimeError), eval_mode(net):
        raise RuntimeError("boom")
    assert [m.training for m in net.modules()] == modes


def test_evaluate_concatenates_batches_in_eval_mode_without_grad():
    net = dropout_net()
    X, y = classification_data()
    out = evaluate(net, lambda m, b: m(b[0]), (X,), batch_size=7)      # 96 = 13·7 + 5: a ragged last batch
    with torch.no_grad(), eval_mode(net):
        full = net(X)
    assert net.training and not out.requires_grad
    # Tolerance: the same float32 ops on row blocks; BLAS may block the products differently by batch size.
    torch.testing.assert_close(out, full, rtol=1e-6, atol=1e-6)
    pred, correct = evaluate(net, lambda m, b: (m(b[0]).argmax(1), m(b[0]).argmax(1) == b[1]), (X, y))
    assert pred.shape == (96,) and correct.dtype == torch.bool


@pytest.mark.parametrize("change, message", [
    (dict(epochs=0), "epochs"), (dict(batch_size=0), "batch_size"), (dict(batch_size=2.5), "batch_size"),
    (dict(lr=0.0), "lr"), (dict(weight_decay=-1.0), "weight_decay"), (dict(warmup_fraction=1.0), "warmup"),
    (dict(min_lr=1.0), "min_lr"), (dict(grad_clip=0.0), "grad_clip"),
])
def test_bad_config_raises(change, message):
    X, y = regression_problem(n=8)
    with pytest.raises(ValueError, match=message):
        fit(linear_model(), mse, (X, y), FitConfig(**change), torch.Generator(), progress=False)


def test_bad_arguments_raise():
    X, y = regression_problem(n=8)
    model, g, cfg = linear_model(), torch.Generator(), FitConfig(epochs=1)
    with pytest.raises(ValueError, match="nn.Module"):
        fit(lambda x: x, mse, (X, y), cfg, g)
    with pytest.raises(ValueError, match="same, non-zero number of rows"):
        fit(model, mse, (X, y[:5]), cfg, g)
    with pytest.raises(ValueError, match="tuple of tensors"):
        fit(model, mse, (X.numpy(), y.numpy()), cfg, g)
    with pytest.raises(ValueError, match="generator"):
        fit(model, mse, (X, y), cfg, 0)
    with pytest.raises(ValueError, match="together"):
        fit(model, mse, (X, y), cfg, g, val=(X, y))
    with pytest.raises(ValueError, match="scalar"):
        fit(model, lambda m, b: (m(b[0])[:, 0] - b[1]) ** 2, (X, y), cfg, g, progress=False)
    with pytest.raises(ValueError, match="FitConfig"):
        fit(model, mse, (X, y), {"epochs": 1}, g)
    frozen = linear_model().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(frozen, mse, (X, y), cfg, g)
    with pytest.raises(ValueError, match="batch_size"):
        evaluate(model, lambda m, b: m(b[0]), X, batch_size=0)


def test_a_diverging_loss_stops_with_an_actionable_error():
    X, y = regression_problem(n=8)
    with pytest.raises(FloatingPointError, match="lower config.lr"):
        fit(linear_model(), lambda m, b: mse(m, b) * math.inf, (X, y), FitConfig(epochs=1), torch.Generator(),
            progress=False)


def test_history_is_a_plain_record():
    h = History(loss=[1.0], val=[], lr=[0.1], seconds=0.5)
    assert (h.loss, h.val, h.lr, h.seconds) == ([1.0], [], [0.1], 0.5)
