"""The training loop: mini-batches, a budget of iterations or epochs, evaluation callbacks,
divergence detection."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from nnbench import seeding
from nnbench.core.rows import is_row_source, rows_into
from nnbench.errors import NnbenchError
from nnbench.validation import COUNT as _COUNT
from nnbench.validation import COUNT_OR_ZERO as _SEED
from nnbench.validation import not_allowed, whole_number


@dataclass
class TrainResult:
    """What :func:`train` did.

    - ``minibatch_losses``: float64, the training-mode minibatch loss (weight-decay term
      included) of every update done, in order.
    - ``iterations``: updates done; ``epochs``: ``iterations * batch_size / n_train``
      (samples seen / training-set size).
    - ``status``: "ok", or "diverged" when a minibatch loss became non-finite (training
      stopped before applying that update; its loss is ``diverged_loss``).
    - ``train_seconds``: wall time of the updates, excluding ``on_eval`` callbacks and
      the after-update losses.
    - ``losses_after_update``: with ``train(..., loss_after_update=True)``, float64, for
      every update done the loss of the same minibatch right after that update, as
      ``net.loss(x_batch, t_batch)`` computes it (inference mode, weight-decay term
      included): what the book's ch06 code logs. None otherwise.
    """

    minibatch_losses: np.ndarray
    iterations: int
    epochs: float
    status: str
    train_seconds: float
    batch_size: int = 0
    iterations_per_epoch: int = 0
    diverged_loss: float | None = None
    eval_steps: list = field(default_factory=list)
    losses_after_update: np.ndarray | None = None

    @property
    def samples_per_second(self):
        """Training throughput: samples used by updates per second of ``train_seconds``."""
        if self.train_seconds <= 0:
            return float("nan")
        return self.iterations * self.batch_size / self.train_seconds


def train(
    net,
    optimizer,
    x,
    t,
    batch_size=100,
    iterations=None,
    epochs=None,
    eval_every=1,
    on_eval=None,
    seed=0,
    progress=None,
    loss_after_update=False,
):
    """Train ``net`` in place with ``optimizer`` on (x, t) and return a :class:`TrainResult`.

    Budget: exactly one of ``iterations`` (updates) or ``epochs``. Mini-batches: at the
    start of every epoch a fresh permutation of the training set is drawn from stream
    ``"batch_order"`` of the run seed (``nnbench.seeding.rng(seed, "batch_order")``,
    independent of the network's weight and dropout streams for the same seed), and
    the epoch is its ``n // batch_size`` full
    batches, taken without replacement; the ``n % batch_size`` left-over samples (a
    different random set each epoch) are skipped that epoch, so every update sees exactly
    ``batch_size`` samples. An epoch budget of E is therefore ``E * (n // batch_size)``
    iterations; an iteration budget runs across epoch boundaries.

    ``on_eval(step, epoch)`` is called at step 0 (before any update), after every
    ``eval_every`` epochs (epoch budget) or iterations (iteration budget), and once at the
    end, never twice at the same step; ``epoch`` is ``step * batch_size / n``. Its time
    is not counted in ``train_seconds``. If a minibatch loss is not finite, training
    stops before that update with status "diverged" (``on_eval`` is still called at the end).

    x is an array, converted once to the network's dtype, or a row source
    (:mod:`nnbench.core.rows`) whose minibatches are converted as they are drawn, with
    the same values; t holds integer labels or one-hot rows.
    ``progress``: print a progress line to stderr every few seconds (default: only when
    stderr is a terminal).

    ``loss_after_update``: also record, after each update, the loss of the minibatch it
    was made on, ``net.loss(x_batch, t_batch)`` (inference mode: BN running averages,
    no dropout; the book's ch06 logging) in ``TrainResult.losses_after_update``. It
    costs one more forward pass per step, only when on, and is not counted in
    ``train_seconds``. It is recorded as computed (an update that blows the weights up
    gives a non-finite value, and the next step then stops with "diverged").
    """
    x, t, budget = _checked_budget(net, x, t, batch_size, iterations, epochs, eval_every)
    rng = seeding.rng(whole_number("seed", seed, _SEED), "batch_order")
    result = TrainResult(
        minibatch_losses=np.empty(budget.total, dtype=np.float64), iterations=0, epochs=0.0, status="ok",
        train_seconds=0.0, batch_size=budget.batch_size, iterations_per_epoch=budget.per_epoch,
        losses_after_update=np.empty(budget.total, dtype=np.float64) if loss_after_update else None,
    )

    def evaluate(step):
        if on_eval is not None:
            on_eval(step, step * budget.batch_size / budget.n)
        result.eval_steps.append(step)

    evaluate(0)
    step = _update_steps(net, optimizer, x, t, rng, budget, result, evaluate,
                         sys.stderr.isatty() if progress is None else progress)
    result.minibatch_losses = result.minibatch_losses[:step].copy()
    if result.losses_after_update is not None:
        result.losses_after_update = result.losses_after_update[:step].copy()
    result.iterations = step
    result.epochs = step * budget.batch_size / budget.n
    if result.eval_steps[-1] != step:
        evaluate(step)
    return result


@dataclass(frozen=True)
class _Budget:
    """The updates of a training: ``total``, an evaluation every ``eval_interval`` of them,
    ``per_epoch`` full batches of ``batch_size`` out of ``n`` samples."""

    n: int
    batch_size: int
    per_epoch: int
    total: int
    eval_interval: int


def _checked_budget(net, x, t, batch_size, iterations, epochs, eval_every):
    """``(x, t, budget)``: the training set as the loop reads it, and the checked budget."""
    if (iterations is None) == (epochs is None):
        raise NnbenchError(
            f"give exactly one training budget, iterations or epochs (got iterations={iterations!r}, epochs={epochs!r})"
        )
    eval_every = whole_number("eval_every", eval_every, _COUNT)
    if not is_row_source(x):
        x = np.asarray(x)
    t = np.asarray(t)
    n = x.shape[0] if len(x.shape) == 2 else 0
    if len(x.shape) != 2 or t.shape[:1] != (n,):
        raise NnbenchError(f"x must be (N, features) and t must have N rows, got x {x.shape} and t {t.shape}")
    batch_size = whole_number("batch_size", batch_size, _COUNT)
    if batch_size > n:
        raise not_allowed("batch_size", batch_size, f"at most the training set's size ({n} samples)")
    if not is_row_source(x) and x.dtype != net.dtype:
        x = x.astype(net.dtype)  # once, so the loop gathers batches without conversion
    per_epoch = n // batch_size
    if iterations is not None:
        total, eval_interval = whole_number("iterations", iterations, _COUNT), eval_every
    else:
        total, eval_interval = whole_number("epochs", epochs, _COUNT) * per_epoch, eval_every * per_epoch
    return x, t, _Budget(n, batch_size, per_epoch, total, eval_interval)


def _update_steps(net, optimizer, x, t, rng, budget, result, evaluate, progress) -> int:
    """The updates of :func:`train`, recording their losses and time in ``result``; the
    number done (fewer than ``budget.total`` when a loss is not finite)."""
    batch_size, per_epoch, total = budget.batch_size, budget.per_epoch, budget.total
    x_batch = np.empty((batch_size,) + tuple(x.shape[1:]), dtype=net.dtype)
    t_batch = np.empty((batch_size,) + t.shape[1:], dtype=t.dtype)
    losses, losses_after = result.minibatch_losses, result.losses_after_update
    train_seconds = 0.0
    last_report = time.perf_counter()
    started = time.perf_counter()
    order = None
    step = 0
    while step < total:
        position = step % per_epoch
        if position == 0:
            order = rng.permutation(budget.n)
        indices = order[position * batch_size:(position + 1) * batch_size]
        rows_into(x, indices, x_batch)
        np.take(t, indices, axis=0, out=t_batch)
        grads = net.gradient(x_batch, t_batch)
        loss = net.last_loss
        if not math.isfinite(loss):
            result.status = "diverged"
            result.diverged_loss = loss
            break
        optimizer.update(net.params, grads)
        losses[step] = loss
        if losses_after is not None:
            measuring = time.perf_counter()
            losses_after[step] = net.loss(x_batch, t_batch)
            started += time.perf_counter() - measuring  # not training time
        step += 1
        if step % budget.eval_interval == 0 and step < total:
            train_seconds += time.perf_counter() - started
            evaluate(step)
            started = time.perf_counter()
        if progress and step % 50 == 0 and time.perf_counter() - last_report > 2:
            last_report = time.perf_counter()
            print(f"\rtrain: {step}/{total} iterations, loss {loss:.4g}", end="", file=sys.stderr, flush=True)
    result.train_seconds = train_seconds + time.perf_counter() - started
    if progress:
        print(file=sys.stderr)
    return step
