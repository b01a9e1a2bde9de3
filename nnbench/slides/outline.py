"""The lecture's outline, slide for slide (the seed deck, ``docs/STUDY.md``'s slide table).

Each slide of the seed deck that makes a claim or shows a figure is one :class:`ContentSlide`:
its section number and title, the claim as the deck writes it, the figure that measures it
(a name in ``reports/manifest.json``, ``{dataset}`` standing for the dataset's slug) and the
findings (``claim_id`` of :data:`nnbench.analysis.findings.CLAIMS`) whose verdicts it shows.

Every text is an English msgid marked with :func:`~nnbench.i18n.N_`; the Korean catalog
gives the deck's own words (for a quote: the deck's sentence, verbatim). Nothing here is a
number: estimates and verdicts come from ``reports/tables/findings.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnbench.i18n import N_

__all__ = ["ContentSlide", "CONTENT_SLIDES", "DECK_TITLE", "DECK_SUBTITLE", "INTRODUCTION",
           "PROBLEMS", "TECHNIQUES_TITLE", "TECHNIQUES", "CORRECTIONS", "CLOSING", "PART_TITLES"]


@dataclass(frozen=True)
class ContentSlide:
    """One content slide of the seed deck (see the module docstring)."""

    section: str  # the deck's number, e.g. "2.2.3"
    part: str  # 1 (the problems) or 2 (the techniques): :data:`PART_TITLES`
    title: str  # msgid
    quote: str  # msgid: the deck's sentence (its English translation; ko: the deck's words)
    figure: str  # figure name in the manifest; "{dataset}" matches a dataset's slug
    study: str  # the study that draws the figure (named when it did not run)
    claims: tuple[str, ...] = ()  # claim_ids whose verdicts the slide shows


PART_TITLES = {"1": N_("1. INTRODUCTION"), "2": N_("2. Techniques for training")}

DECK_TITLE = N_("TRAINING NEURAL NETWORK")
DECK_SUBTITLE = N_("Introduction to deep learning study group (neural networks)")

INTRODUCTION = N_("INTRODUCTION")
PROBLEMS = (N_("overfitting: the problem and how to solve it"),
            N_("too slow: the problem and how to solve it"),
            N_("vanishing gradient: the problem and how to solve it"))
TECHNIQUES_TITLE = N_("Techniques for training")
TECHNIQUES = (N_("mini-batch"), N_("initial weights"), N_("batch normalization"),
              N_("preventing overfitting"))

_OVERFITTING = N_("overfitting: too many neurons")
_VANISHING = N_("vanishing gradient: the gradient disappears")
_MINIBATCH = N_("mini-batch")
_BATCH_NORM = N_("batch normalization")

#: The seed deck's content slides, in its order.
CONTENT_SLIDES = (
    ContentSlide("1.1", "1", _OVERFITTING,
                 N_("A state where the model fits only the training data and cannot handle "
                    "any other data."),
                 "overfitting_capacity_{dataset}_gap", "overfitting_capacity",
                 ("overfitting_grows_with_capacity",)),
    ContentSlide("1.1", "1", N_("overfitting: too many neurons: DROPOUT"),
                 N_("Drop neurons at random."),
                 "overfitting_dropout_{dataset}_gap", "overfitting_dropout",
                 ("dropout_narrows_gap",)),
    ContentSlide("1.2", "1", N_("too slow: computation takes long"),
                 N_("In deep learning, gradient descent takes too long / use other "
                    "optimizers"),
                 "optimizers_{dataset}_loss", "optimizers",
                 ("sgd_slowest", "adaptive_lowest_loss")),
    ContentSlide("1.3", "1", _VANISHING,
                 N_("vanishing gradient: the gradient disappears (the slope disappears)"),
                 "vanishing_gradient_{dataset}_grad_norm", "vanishing_gradient",
                 ("sigmoid_gradients_vanish",)),
    ContentSlide("1.3", "1", _VANISHING,
                 N_("With the sigmoid function as the activation function, the gradient "
                    "vanishes and learning becomes slow."),
                 "vanishing_gradient_{dataset}_loss", "vanishing_gradient"),
    ContentSlide("1.3", "1", _VANISHING,
                 N_("Using ReLU as the activation function can solve the problem, but a "
                    "negative input makes the derivative 0, so no learning happens."),
                 "vanishing_gradient_{dataset}_dead_units", "vanishing_gradient"),
    ContentSlide("2.1", "2", _MINIBATCH,
                 N_("There is too much training data to compute and sum the loss of every "
                    "example, so we learn from mini-batches drawn from it."),
                 "minibatch_noise_{dataset}_spread", "minibatch_noise",
                 ("minibatch_variance",)),
    ContentSlide("2.1", "2", _MINIBATCH,
                 N_("Reflect as much of the data as possible while cutting the training time."),
                 "batch_size_{dataset}_loss_seconds", "batch_size"),
    ContentSlide("2.2.1", "2", N_("What if the initial values are equal?"),
                 N_("Whatever the number of neurons, they all output the same value, which "
                    "makes them meaningless."),
                 "weight_init_{dataset}_distinct_units", "weight_init"),
    ContentSlide("2.2.2", "2", N_("Distribution of activations in the hidden layers"),
                 N_("Weights from a normal distribution with standard deviation 1 ➡ lean to 0 "
                    "and 1, vanishing gradient / with standard deviation 0.01 ➡ gather near "
                    "0.5, limited expressiveness"),
                 "activation_histograms_grid", "activation_histograms"),
    ContentSlide("2.2.3", "2", N_("Xavier initial value"),
                 N_("Xavier: if the previous layer has n nodes, draw the initial weights from "
                    "a normal distribution with standard deviation 1/√n (suits sigmoid and "
                    "tanh)."),
                 "activation_histograms_mean_abs_grad", "activation_histograms"),
    ContentSlide("2.2.4", "2", N_("He initial value"),
                 N_("He: to spread the weights wider, use a normal distribution whose "
                    "standard deviation is Xavier's times 2, 2/√n (suits ReLU)."),
                 "weight_init_{dataset}_loss", "weight_init",
                 ("he_beats_xavier", "small_init_no_learning")),
    ContentSlide("2.3", "2", _BATCH_NORM,
                 N_("Advantages of batch normalization: 1. learning is fast 2. it does not "
                    "depend much on the initial values 3. it suppresses overfitting"),
                 "factorial_main_effects", "factorial", ("bn_robust_to_init",)),
    ContentSlide("2.3", "2", _BATCH_NORM,
                 N_("Insert a 'batch normalization' layer that normalizes the data's "
                    "distribution / normalize per mini-batch to mean 0 and variance 1"),
                 "factorial_heatmap", "factorial"),
    ContentSlide("2.3", "2", _BATCH_NORM,
                 N_("Batch normalization makes learning progress faster."),
                 "batch_norm_{dataset}_grid", "batch_norm"),
    ContentSlide("2.4", "2", N_("remedy for overfitting: weight decay"),
                 N_("Weight decay: give large weights a correspondingly large penalty."),
                 "overfitting_weight_decay_{dataset}_gap", "overfitting_weight_decay",
                 ("weight_decay_narrows_gap",)),
)

#: The corrections slide: what the deck gets wrong or leaves ambiguous.
CORRECTIONS = (
    N_("He initial value: the standard deviation is √(2/n), not 2/√n (Xavier's times √2)."),
    N_("\"adadelata\" is Adadelta (Zeiler 2012), which sizes its steps without a learning "
       "rate (here lr 1.0, the paper's rule; ρ 0.95, ε 1e-6)."),
    N_("The book's \"Xavier\" is the fan-in form √(1/n) (n: nodes of the previous layer); "
       "Glorot and Bengio's √(2/(n_in + n_out)) is a separate initializer, \"glorot\"."),
)
CLOSING = N_("Thank you")
