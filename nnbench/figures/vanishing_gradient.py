"""Section "vanishing gradient" (slide 1.3, studies 3 and 5): activation histograms per
layer, mean |gradient| per layer, gradient norm per layer at the start and end of
training, learning curves and dead ReLU units."""

from __future__ import annotations

from nnbench.figures.captions import BAND_TEXT, INTERVAL_TEXT, diverged_note, smoothing_text
from nnbench.figures.labels import (ACTIVATION_ORDER, activation_color, activation_label, init_color,
                                    curve_label, init_label, init_sort_key)
from nnbench.figures.plotting import (draw_curves, learning_curve_figure, legend_outside, new_figure,
                                      plot_band)
from nnbench.figures.sections import build_studies, curves_by_dataset, no_curves, write_final_table
from nnbench.formatting import fmt_number
from nnbench.statistics import mean_interval
from nnbench.i18n import N_, _

TITLE = N_("Vanishing gradient: sigmoid saturates")
STUDIES = ("activation_histograms", "vanishing_gradient")


def _config_label(activation, init) -> str:
    return f"{activation_label(activation)}, {init_label(init)}"


def _configs(frame):
    pairs = frame[["activation", "init"]].drop_duplicates().itertuples(index=False)
    rank = {a: i for i, a in enumerate(ACTIVATION_ORDER)}
    return sorted(pairs, key=lambda p: (rank.get(p[0], 99), init_sort_key(p[1])))


def histograms_figure(histograms):
    """One histogram per (activation, init) row and layer column; counts summed over
    seeds and shown as the fraction of activations per bin."""
    configs = _configs(histograms)
    layers = sorted(histograms["layer"].astype(int).unique())
    fig, axes = new_figure(len(configs), len(layers), width=3.0, height=2.2, sharey="row")
    totals = histograms.groupby(["activation", "init", "layer", "bin_left", "bin_right"],
                                as_index=False)["count"].sum()
    for i, (activation, init) in enumerate(configs):
        rows = totals[(totals["activation"] == activation) & (totals["init"] == init)]
        for j, layer in enumerate(layers):
            ax = axes[i, j]
            part = rows[rows["layer"].astype(int) == layer].sort_values("bin_left")
            total = part["count"].sum()
            if total > 0:
                # one filled step outline per panel, not a patch per bin: the same picture,
                # drawn and saved several times faster (the bins are contiguous)
                edges = list(part["bin_left"]) + [part["bin_right"].iloc[-1]]
                ax.stairs(part["count"] / total, edges, fill=True, color=activation_color(activation),
                          linewidth=0)
            if i == 0:
                ax.set_title(_("layer {layer}").format(layer=layer))
            if j == 0:
                ax.set_ylabel(_config_label(activation, init).replace(", ", "\n"),
                              fontsize=11)
            ax.tick_params(labelsize=9)
    fig.supxlabel(_("activation value"))
    fig.tight_layout()
    return fig


def mean_abs_grad_figure(forward):
    """Mean |gradient| per layer (log scale) for each (activation, init), mean over seeds."""
    rows = forward[forward["metric"] == "mean_abs_grad"].assign(
        layer=lambda f: f["layer"].astype(float))
    rows = rows.assign(config=[_config_label(a, i) for a, i in zip(rows["activation"],
                                                                   rows["init"])])
    stats = mean_interval(rows, ["activation", "init", "config", "layer"], "value")
    styles = {"sigmoid": "-", "tanh": "--", "relu": ":", "leaky_relu": "-."}
    fig, axes = new_figure(width=9.0, height=5.5)
    ax = axes[0, 0]
    for activation, init in _configs(stats):
        part = stats[(stats["activation"] == activation) & (stats["init"] == init)]
        plot_band(ax, part, "layer", _config_label(activation, init), init_color(init),
                    linestyle=styles.get(activation, "-"), marker="o")
    ax.set_yscale("log")
    ax.set_xlabel(_("layer"))
    ax.set_ylabel(_("mean |gradient| (log scale)"))
    legend_outside(ax, fontsize=10)
    fig.tight_layout()
    return fig


def _per_layer_start_end(curves, metric, *, ylabel, xlabel, log):
    """``metric`` per layer at the first and last logged step (two panels), one band per
    activation."""
    rows = curves[curves["metric"] == metric].copy()
    rows["layer"] = rows["layer"].astype(float)
    first, last = rows["step"].min(), rows["step"].max()
    fig, axes = new_figure(1, 2, width=6.5, height=5.0, sharey=True)
    for ax, step, when in ((axes[0, 0], first, _("start")), (axes[0, 1], last, _("end"))):
        stats = mean_interval(rows[rows["step"] == step], ["activation", "layer"], "value")
        draw_curves(ax, stats, "activation", color=activation_color,
                      label=activation_label, order=ACTIVATION_ORDER, x="layer")
        if log:
            ax.set_yscale("log")
        ax.set_title(_("{when} (iteration {step})").format(when=when, step=int(step)))
        ax.set_xlabel(xlabel)
    axes[0, 0].set_ylabel(ylabel)
    legend_outside(axes[0, 1])
    fig.tight_layout()
    return fig


def grad_norm_figure(curves):
    """Gradient norm per layer (log scale) at the first and last logged step, one band
    per activation."""
    return _per_layer_start_end(curves, "grad_norm", ylabel=_("‖dL/dW‖ (log scale)"),
                                xlabel=_("affine layer (1 = input side)"), log=True)


def dead_units_figure(curves):
    """Fraction of dead units (ReLU output 0 for every diagnostic sample) per layer at the
    first and last logged step."""
    return _per_layer_start_end(curves, "dead_fraction", ylabel=_("fraction of dead units"), xlabel=_("hidden layer"), log=False)


def _histograms(results, writer):
    import pandas as pd

    findings = []
    runs = results.runs("activation_histograms")
    seeds = runs["seed"].nunique()
    hist = results.table("activation_histograms", "histograms")
    forward = results.table("activation_histograms", "curves")
    setup = (_("1000 inputs from N(0, 1) through five 100-unit layers without bias, 1 seed") if seeds == 1 else
             _("1000 inputs from N(0, 1) through five 100-unit layers without bias, {count} seeds").format(
                 count=seeds))
    if hist is not None and len(hist):
        writer.figure(histograms_figure(hist), "activation_histograms_grid",
                      _("Activation histograms per layer (30 bins; fraction of activations; counts summed over "
                        "seeds). {setup}. Rows: activation and initial weight std (Xavier √(1/n), He "
                        "√(2/n)).").format(setup=setup), "activation_histograms")
        totals = hist.groupby(["activation", "init", "layer", "bin_left"], as_index=False)[
            "count"].sum()
        last_layer = totals["layer"].max()
        saturation = {}
        for (activation, init), part in totals[totals["layer"] == last_layer].groupby(
                ["activation", "init"]):
            part = part.sort_values("bin_left")
            total = part["count"].sum()
            if total:
                saturation[(activation, init)] = (part["count"].iloc[0]
                                                  + part["count"].iloc[-1]) / total
        if saturation:
            worst = max(saturation, key=saturation.get)
            findings.append(
                _("Activation histograms: at layer {layer}, {config} puts {share} of activations in the two "
                  "outermost bins (saturated or collapsed), the most of all rows.").format(
                    layer=int(last_layer), config=_config_label(*worst), share=f"{saturation[worst]:.0%}"))
    if forward is not None and (forward["metric"] == "mean_abs_grad").any():
        writer.figure(mean_abs_grad_figure(forward), "activation_histograms_mean_abs_grad",
                      _("Mean |gradient| per layer from one backward pass. {setup}. {band}.").format(
                          setup=setup, band=_(BAND_TEXT)),
                      "activation_histograms")
        rows = forward[forward["metric"].isin(["activation_mean", "activation_std",
                                               "mean_abs_grad"])]
        table = mean_interval(rows, ["activation", "init", "layer", "metric"], "value")
        table = table.pivot_table(index=["activation", "init", "layer"], columns="metric",
                                  values=["mean", "low", "high"]).reset_index()
        table.columns = [f"{metric}_{stat}" if metric else stat for stat, metric in
                         table.columns]
        writer.table(pd.DataFrame(table), "activation_histograms_layers",
                     _("Per layer: activation mean and std, mean |gradient| (mean with {interval}). "
                       "{setup}.").format(interval=_(INTERVAL_TEXT), setup=setup), "activation_histograms")
        grads = rows[rows["metric"] == "mean_abs_grad"].groupby(
            ["activation", "init", "layer"])["value"].mean().reset_index()
        ratios = {}
        for (activation, init), part in grads.groupby(["activation", "init"]):
            part = part.sort_values("layer")
            if len(part) > 1 and part["value"].iloc[0] > 0:
                ratios[(activation, init)] = part["value"].iloc[-1] / part["value"].iloc[0]
        if ratios:
            smallest = min(ratios, key=ratios.get)
            findings.append(
                _("Mean |gradient| of the last layer relative to the first: smallest for {smallest} "
                  "({smallest_ratio}×), largest for {largest} ({largest_ratio}×).").format(
                    smallest=_config_label(*smallest), smallest_ratio=fmt_number(ratios[smallest]),
                    largest=_config_label(*max(ratios, key=ratios.get)),
                    largest_ratio=fmt_number(max(ratios.values()))))
    return findings


def _vanishing(results, writer):
    runs, parts = curves_by_dataset(results, "vanishing_gradient")
    if parts is None:
        return no_curves("vanishing_gradient")
    findings = []
    for part in parts:
        metrics = set(part.curves["metric"])
        if "grad_norm" in metrics:
            writer.figure(grad_norm_figure(part.curves), f"vanishing_gradient_{part.name}_grad_norm",
                          _("L2 norm of dL/dW per affine layer at the start and the end of training (log "
                            "scale). {setup}. {band}.").format(setup=part.setup, band=_(BAND_TEXT))
                          + diverged_note(part.runs), "vanishing_gradient")
            findings += _grad_norm_findings(part)
        if (part.curves["split"] == "minibatch").any():
            window, smooth = smoothing_text(part.curves, "vanishing_gradient")
            writer.figure(
                learning_curve_figure(part.curves, "activation", split="minibatch", metric="loss",
                                      color=activation_color, label=activation_label,
                                      order=ACTIVATION_ORDER, window=window, log_y=True,
                                      title=part.label, ylabel=curve_label("minibatch", "loss")),
                f"vanishing_gradient_{part.name}_loss",
                _("Minibatch training loss vs iteration per activation. {setup}. {band}; {smoothing}.").format(
                    setup=part.setup, band=_(BAND_TEXT), smoothing=smooth)
                + diverged_note(part.runs), "vanishing_gradient")
        if "dead_fraction" in metrics:
            writer.figure(dead_units_figure(part.curves), f"vanishing_gradient_{part.name}_dead_units",
                          _("Fraction of dead units per hidden layer (output 0 for every sample of the "
                            "diagnostic batch) at the start and end. {setup}. {band}.").format(
                              setup=part.setup, band=_(BAND_TEXT)), "vanishing_gradient")
            findings += _dead_unit_findings(part)
    write_final_table(writer, runs, "vanishing_gradient", of=_("per activation"))
    return findings


def _grad_norm_findings(part) -> list[str]:
    grads = part.curves[part.curves["metric"] == "grad_norm"]
    first = grads[grads["step"] == grads["step"].min()].assign(
        layer=lambda f: f["layer"].astype(float))
    means = first.groupby(["activation", "layer"])["value"].mean().reset_index()
    ratios = {}
    for activation, rows in means.groupby("activation"):
        rows = rows.sort_values("layer")
        if rows["value"].iloc[-1] > 0:
            ratios[activation] = rows["value"].iloc[0] / rows["value"].iloc[-1]
    if not ratios:
        return []
    text = "; ".join(f"{activation_label(a)} {fmt_number(r)}"
                     for a, r in sorted(ratios.items(), key=lambda kv: kv[1]))
    return [_("{dataset}: gradient norm of the first layer relative to the last at the start of training: "
              "{ratios}.").format(dataset=part.label, ratios=text)]


def _dead_unit_findings(part) -> list[str]:
    dead = part.curves[part.curves["metric"] == "dead_fraction"]
    worst = dead[dead["step"] == dead["step"].max()].groupby("activation")["value"].mean().sort_values()
    if not len(worst):
        return []
    return [_("{dataset}: at the end, {activation} has the most dead units ({share} averaged over "
              "layers).").format(dataset=part.label, activation=activation_label(worst.index[-1]),
                                 share=f"{worst.iloc[-1]:.1%}")]


def build(results, writer) -> list[str]:
    return build_studies(results, writer, (("activation_histograms", _histograms),
                                           ("vanishing_gradient", _vanishing)))
