"""Figure functions and ``make_all``: stable names, files, captions, absent studies."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from nnbench import statistics, vocabulary
from nnbench.choice import GroupChoice, TunedChoice, choice_path
from nnbench.figures import SECTIONS, captions, labels, make_all, optimizers
from nnbench.figures.plotting import setup_matplotlib
from nnbench.results import Results
from report_synthetic import write_synthetic_results


def test_colours_are_fixed_per_optimizer_and_init():
    setup_matplotlib()
    colours = [labels.optimizer_color(name) for name in labels.OPTIMIZER_ORDER]
    assert len(set(colours)) == len(colours)  # seven distinct colours
    assert labels.optimizer_color("Adam") == labels.optimizer_color("adam")
    inits = ["constant", "0.01", "xavier", "he", "1", "glorot"]
    assert len({labels.init_color(i) for i in inits}) == len(inits)
    assert labels.init_color("0.010") == labels.init_color(0.01)
    activations = {labels.activation_color(name) for name in vocabulary.ACTIVATIONS}
    assert len(activations) == len(vocabulary.ACTIVATIONS)


def test_figure_orders_and_colours_cover_the_vocabulary():
    assert labels.OPTIMIZER_ORDER == vocabulary.OPTIMIZERS
    assert labels.ACTIVATION_ORDER == vocabulary.ACTIVATIONS
    named = [name for name in labels.INIT_ORDER if not name.replace(".", "").isdigit()]
    assert sorted(named) == sorted(vocabulary.INITIALIZERS)
    assert set(labels._ACTIVATION_COLOR) == set(vocabulary.ACTIVATIONS)
    assert set(named) <= set(labels._INIT_COLOR)


def test_datasets_are_drawn_in_the_vocabulary_order():
    import pandas as pd

    frame = pd.DataFrame({"dataset": ["digits", "fashion-mnist", "mnist", "digits"]})
    assert labels.datasets_of(frame) == list(vocabulary.DATASETS)
    assert labels.datasets_of(pd.DataFrame({"x": [1]})) == [""]


def test_smoothing_keeps_raw_values_and_is_a_trailing_mean():
    import pandas as pd

    curves = pd.DataFrame({"run_id": ["a"] * 4 + ["b"] * 2, "step": [0, 1, 2, 3, 0, 1],
                           "value": [4.0, 2.0, 0.0, 2.0, 10.0, 20.0]})
    smoothed = statistics.smooth_runs(curves, 2).set_index(["run_id", "step"])
    assert smoothed.loc[("a", 3), "value"] == 2.0
    assert smoothed.loc[("a", 2), "value_smooth"] == 1.0
    assert smoothed.loc[("b", 0), "value_smooth"] == 10.0  # runs are not mixed


def test_figure_functions_return_figures(tmp_path):
    from matplotlib.figure import Figure

    write_synthetic_results(tmp_path, studies=["optimizers", "optimizer_paths"])
    setup_matplotlib()
    results = Results(tmp_path)
    curves = results.table("optimizers", "curves")
    mnist = curves[curves["dataset"] == "mnist"]
    fig = optimizers.loss_figure(mnist, window=3, book=optimizers.BOOK_LOSS_1900)
    assert isinstance(fig, Figure)
    lines = [line for line in fig.axes[0].get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == [
        "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adadelta", "Adam"]
    assert len(fig.axes[0].collections) >= 7 + 4  # one band per optimizer + book stars
    paths = results.table("optimizer_paths", "curves")
    fig2 = optimizers.paths_figure(paths[paths["split"] == "path"])
    assert len([ax for ax in fig2.axes if ax.axison]) == 7
    from matplotlib import pyplot as plt

    plt.close("all")


def test_make_all_writes_every_listed_file(rendered):
    manifest, reports = rendered["manifest"], rendered["reports"]
    assert json.loads((reports / "manifest.json").read_text()) == manifest
    names = {f["name"] for f in manifest["figures"]}
    for expected in ("optimizers_mnist_loss", "optimizers_fashion_mnist_test_accuracy",
                     "optimizer_paths_contour", "optimizers_lr_sweep_mnist_sensitivity",
                     "optimizers_tuned_mnist_loss", "activation_histograms_grid",
                     "activation_histograms_mean_abs_grad", "weight_init_mnist_loss",
                     "weight_init_mnist_distinct_units", "vanishing_gradient_mnist_grad_norm",
                     "vanishing_gradient_mnist_dead_units", "minibatch_noise_mnist_spread",
                     "batch_size_mnist_loss_epoch", "batch_size_mnist_loss_seconds",
                     "batch_size_mnist_throughput", "batch_norm_mnist_grid",
                     "overfitting_weight_decay_mnist_curves", "overfitting_dropout_mnist_gap",
                     "overfitting_capacity_fashion_mnist_gap", "factorial_heatmap",
                     "factorial_main_effects", "factorial_mnist_interactions"):
        assert expected in names, expected
    assert manifest["language"] == "en"
    for figure in manifest["figures"]:
        assert set(figure["files"]) == {"png", "svg", "pdf"}
        assert all(path.startswith("figures/en/") for path in figure["files"].values())
        assert figure["caption"] and figure["section"] in {s for s, _ in SECTIONS}
        png = reports / figure["files"]["png"]
        with Image.open(png) as image:
            assert image.info["dpi"][0] == pytest.approx(150, abs=1)
        assert (reports / figure["files"]["svg"]).read_text().lstrip().startswith("<?xml")
        assert (reports / figure["files"]["pdf"]).read_bytes().startswith(b"%PDF")
    tables = {t["name"] for t in manifest["tables"]}
    assert {"optimizers_final", "optimizers_mnist_book", "weight_init_mnist_book",
            "factorial_best_worst", "custom_final"} <= tables
    for table in manifest["tables"]:
        assert set(table["files"]) == {"csv", "md", "tex"}
        for path in table["files"].values():
            assert (reports / path).stat().st_size > 0


def test_captions_say_seeds_band_and_book(rendered):
    figures = {f["name"]: f["caption"] for f in rendered["manifest"]["figures"]}
    caption = figures["optimizers_mnist_loss"]
    assert "3 seeds" in caption and captions.INTERVAL_TEXT in caption
    assert "MNIST" in caption and "2000 iterations" in caption and "784-(100 x 4)-10" in caption
    assert "moving average" in caption and captions.BOOK_LABEL in caption
    assert captions.BOOK_LABEL not in figures["optimizers_fashion_mnist_loss"]
    assert "train_seconds / epochs" in figures["batch_size_mnist_loss_seconds"]
    # the synthetic sweep has diverged SGD runs at lr 1: the caption says so
    assert "diverged" in figures["optimizers_lr_sweep_mnist_sensitivity"]


def test_findings_are_generated_from_the_numbers(tmp_path):
    # Same study twice with the BN effect at std 0.29 reversed: the text must follow.
    import pandas as pd

    write_synthetic_results(tmp_path / "a", studies=["batch_norm"])
    first = make_all(tmp_path / "a", tmp_path / "out_a")
    bn = {s["id"]: s for s in first["sections"]}["batch_norm"]["findings"]
    assert any("without BN wins" in f for f in bn)
    runs_path = tmp_path / "a" / "batch_norm" / "runs.csv"
    runs = pd.read_csv(runs_path)
    runs.loc[runs["batchnorm"], "final_train_acc"] = 1.0  # BN now always best
    runs.to_csv(runs_path, index=False)
    second = make_all(tmp_path / "a", tmp_path / "out_b")
    bn = {s["id"]: s for s in second["sections"]}["batch_norm"]["findings"]
    assert any("here BN helps" in f for f in bn)
    assert any("higher at 16 of 16" in f for f in bn)


def test_absent_studies_are_skipped_and_named(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths"])
    manifest = make_all(tmp_path / "results", tmp_path / "reports")
    sections = {s["id"]: s for s in manifest["sections"]}
    assert sections["optimizers"]["studies"] == ["optimizer_paths"]
    assert "optimizers" in sections["optimizers"]["missing"]
    assert sections["batch_norm"]["missing"] == ["batch_norm"]
    assert [f["name"] for f in manifest["figures"]] == ["optimizer_paths_contour"]


def test_figures_are_byte_identical_on_rerun(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths"])
    make_all(tmp_path / "results", tmp_path / "one")
    make_all(tmp_path / "results", tmp_path / "two")
    for ext in ("png", "svg", "pdf"):
        name = f"figures/en/optimizer_paths_contour.{ext}"
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_bad_results_folder_is_a_clear_error(tmp_path):
    from nnbench.errors import NnbenchError

    with pytest.raises(NnbenchError, match="does not exist"):
        make_all(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NnbenchError, match="runs.csv"):
        make_all(tmp_path / "empty", tmp_path / "out")
    bad = tmp_path / "bad" / "optimizers"
    bad.mkdir(parents=True)
    (bad / "runs.csv").write_text("a,b\n1,2\n")
    with pytest.raises(NnbenchError, match="run_id|study"):
        make_all(tmp_path / "bad", tmp_path / "out")


def test_batch_norm_grid_names_both_lines_and_marks_panels_where_all_seeds_diverged():
    import pandas as pd

    from nnbench.figures import batch_norm

    rows = []
    for std in ("1", "0.01"):
        for flag in (False, True):
            if std == "1" and not flag:
                continue  # every seed without BN diverged at std 1: its curves were left out
            for seed in (0, 1):
                for epoch in (0, 1, 2):
                    rows.append({"init": std, "batchnorm": flag, "seed": seed, "epoch": epoch,
                                 "split": "train", "metric": "accuracy", "value": 0.1 + 0.2 * epoch + 0.01 * seed})
    curves = pd.DataFrame(rows)
    fig = batch_norm.grid_figure(curves)
    assert [text.get_text() for text in fig.legends[0].get_texts()] == ["with BN", "without BN"]
    panel_texts = [text.get_text() for ax in fig.axes for text in ax.texts]
    assert panel_texts == ["without BN: diverged"]


def test_lr_sensitivity_rings_the_lr_the_tuned_study_chose(tmp_path):
    import numpy as np
    import pandas as pd

    runs = pd.DataFrame({"optimizer": ["sgd"] * 4, "lr": [0.01, 0.01, 0.1, 0.1], "seed": [0, 1, 0, 1],
                         "status": ["ok"] * 4, "dataset": ["mnist"] * 4,
                         "final_validation_acc": [0.90, 0.92, 0.95, 0.97]})

    def ringed(fig):
        from matplotlib.collections import PathCollection

        # the ring is the only scatter (PathCollection) drawn with an unfilled marker
        rings = [col for col in fig.axes[0].collections
                 if isinstance(col, PathCollection) and not len(col.get_facecolor())]
        return [tuple(np.round(point, 9)) for ring in rings for point in np.asarray(ring.get_offsets())]

    # without a choice file: the best mean accuracy (lr 0.1)
    fig = optimizers.lr_sensitivity_figure(runs, metric="final_validation_acc")
    assert ringed(fig) == [(0.1, 0.96)]
    # with the tuned study's choice file, its lr is ringed, whatever the plot's best mean
    TunedChoice(key="optimizer.lr", metric="final_validation_acc", goal="max",
                group_keys=["dataset", "optimizer.name"], choices=[
                    GroupChoice({"dataset": "mnist", "optimizer.name": "sgd"}, 0.01, 0.91, 2),
                    GroupChoice({"dataset": "fashion-mnist", "optimizer.name": "sgd"}, 0.1, 0.9, 2)],
                ).write(choice_path(tmp_path, "optimizers_tuned"))
    metric, chosen = optimizers.read_choice(Results(tmp_path), "mnist")
    assert (metric, chosen) == ("final_validation_acc", {"sgd": 0.01})
    fig = optimizers.lr_sensitivity_figure(runs, metric=metric, chosen=chosen)
    assert ringed(fig) == [(0.01, 0.91)]


def test_sections_drawn_in_parallel_give_the_same_files_and_manifest(rendered, tmp_path):
    parallel = make_all(rendered["results"], tmp_path / "parallel", config=rendered["config"], jobs=3)
    serial = rendered["manifest"]
    assert {**parallel, "generated": None} == {**serial, "generated": None}
    assert [section["id"] for section in parallel["sections"]][-1] == "other"  # the user's study, last
    for kind, extension in (("figures/en", "png"), ("figures/en", "pdf"), ("tables", "csv"), ("tables", "tex")):
        names = sorted(path.name for path in (rendered["reports"] / kind).glob(f"*.{extension}"))
        assert names and names == sorted(path.name for path in (tmp_path / "parallel" / kind).glob(f"*.{extension}"))
        for name in names:
            assert (tmp_path / "parallel" / kind / name).read_bytes() == \
                (rendered["reports"] / kind / name).read_bytes(), name


def test_jobs_must_be_a_positive_count(tmp_path):
    from nnbench.errors import NnbenchError

    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths"])
    for jobs in (0, -1, 1.5, True):
        with pytest.raises(NnbenchError, match=f"jobs: {jobs!r} is not allowed; expected a whole number >= 1"):
            make_all(tmp_path / "results", tmp_path / "out", jobs=jobs)
    assert not (tmp_path / "out").exists()


def test_the_figure_sections_draw_the_vocabularys_studies_each_once_in_its_order():
    """Each figures module lists the studies it draws (STUDIES); together they are vocabulary.STUDIES."""
    from nnbench.figures import SECTIONS, section_module

    drawn = [study for _, module in SECTIONS for study in section_module(module).STUDIES]
    assert sorted(drawn) == sorted(vocabulary.STUDIES) and len(drawn) == len(set(drawn))


def test_activation_histograms_draw_each_panel_as_one_filled_step_of_the_fractions(tmp_path):
    from matplotlib.patches import StepPatch

    from nnbench.figures import vanishing_gradient

    write_synthetic_results(tmp_path, studies=["activation_histograms"])
    hist = Results(tmp_path).table("activation_histograms", "histograms")
    fig = vanishing_gradient.histograms_figure(hist)
    totals = hist.groupby(["activation", "init", "layer", "bin_left", "bin_right"], as_index=False)["count"].sum()
    configs = vanishing_gradient._configs(hist)
    layers = sorted(hist["layer"].astype(int).unique())
    axes = fig.axes
    assert len(axes) == len(configs) * len(layers)
    for index, ax in enumerate(axes):
        (activation, init), layer = configs[index // len(layers)], layers[index % len(layers)]
        part = totals[(totals["activation"] == activation) & (totals["init"] == init)
                      & (totals["layer"].astype(int) == layer)].sort_values("bin_left")
        [step] = [patch for patch in ax.patches if isinstance(patch, StepPatch)]  # not a bar per bin
        values, edges, _baseline = step.get_data()
        assert list(edges) == list(part["bin_left"]) + [part["bin_right"].iloc[-1]]
        assert values == pytest.approx(part["count"] / part["count"].sum())


def _tight_png_savefig(fig):
    import io

    import numpy as np
    from PIL import Image

    from nnbench.figures.writer import FIGURE_FORMATS

    raw = io.BytesIO()
    fig.savefig(raw, format="png", bbox_inches="tight", **FIGURE_FORMATS["png"])
    return np.asarray(Image.open(io.BytesIO(raw.getvalue())).convert("RGB"))


def _png_pixels(data):
    import io

    import numpy as np

    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "P" and image.info["dpi"][0] == pytest.approx(150, abs=1)
        return np.asarray(image.convert("RGB"))


def test_one_drawing_gives_the_png_savefig_s_tight_png_would_be():
    """render_png draws once and cuts the tight box out: the picture savefig's two passes
    give, up to the box's rounding to whole pixels and the 256-colour palette."""
    import numpy as np

    from nnbench.figures.plotting import legend_outside, new_figure
    from nnbench.figures.writer import FIGURE_FORMATS, render_png

    setup_matplotlib("ko")
    fig, axes = new_figure(1, 2)
    for ax in axes[0]:
        ax.plot([0, 1, 2], [3, 1, 2], label="학습 손실")
        ax.set_xlabel("반복")
    legend_outside(axes[0, 1])
    fig.tight_layout()
    expected = _tight_png_savefig(fig)
    png, bbox = render_png(fig, FIGURE_FORMATS["png"])
    pixels = _png_pixels(png)
    assert abs(pixels.shape[0] - expected.shape[0]) <= 8 and abs(pixels.shape[1] - expected.shape[1]) <= 8
    assert (bbox.width * 150, bbox.height * 150) == pytest.approx((pixels.shape[1], pixels.shape[0]), abs=1)
    rows, columns = min(pixels.shape[0], expected.shape[0]), min(pixels.shape[1], expected.shape[1])
    # the same picture: a plot is mostly background, and the ink sits in the same places
    ink, ink_expected = pixels[:rows, :columns].min(axis=2) < 128, expected[:rows, :columns].min(axis=2) < 128
    assert ink.mean() > 0.005 and abs(ink.mean() - ink_expected.mean()) < 0.2 * ink_expected.mean()
    # ... in the same places (ink per 16-pixel block: a crop flipped or shifted by more than
    # the rounding would not correlate)
    blocks = (rows // 16, columns // 16)

    def per_block(mask):
        return mask[:blocks[0] * 16, :blocks[1] * 16].reshape(blocks[0], 16, blocks[1], 16).mean(axis=(1, 3)).ravel()

    assert np.corrcoef(per_block(ink), per_block(ink_expected))[0, 1] > 0.9
    assert (pixels[:5] >= 250).all()  # the padding is the white background (the palette: 254)


def test_a_figure_drawn_beyond_its_canvas_is_cropped_by_savefig_instead():
    """A legend placed right of the figure's edge (no tight_layout) is outside the one
    drawing's pixels: the PNG is drawn cropped to the whole box, legend included."""
    from nnbench.figures.plotting import new_figure
    from nnbench.figures.writer import FIGURE_FORMATS, render_png

    setup_matplotlib()
    fig, axes = new_figure()
    axes[0, 0].plot([0, 1], [0, 1], label="a long legend entry that does not fit")
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.5, 1.0))
    width_inches = fig.get_size_inches()[0]
    png, bbox = render_png(fig, FIGURE_FORMATS["png"])
    assert bbox.x1 > width_inches  # the box reaches past the canvas ...
    assert _png_pixels(png).shape[1] == pytest.approx(bbox.width * 150, abs=2)  # ... and the PNG with it


def test_the_png_is_cut_to_its_ink_with_the_savefig_padding_on_every_side():
    """A laid-out figure is cropped where its pixels differ from the background, padded by
    savefig.pad_inches (0.1 in: 15 pixels at 150 dpi) on each side."""
    import numpy as np
    from matplotlib import rcParams

    from nnbench.figures.plotting import new_figure
    from nnbench.figures.writer import FIGURE_FORMATS, render_png

    setup_matplotlib("ko")
    fig, axes = new_figure()
    axes[0, 0].plot([0, 1, 2], [3, 1, 2])
    axes[0, 0].set_xlabel("반복")
    fig.tight_layout()
    png, bbox = render_png(fig, FIGURE_FORMATS["png"])
    ink = _png_pixels(png).min(axis=2) < 250
    pad = round(rcParams["savefig.pad_inches"] * 150)
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert (rows[0], columns[0]) == (pad, pad)
    assert (ink.shape[0] - 1 - rows[-1], ink.shape[1] - 1 - columns[-1]) == (pad, pad)
    assert (bbox.width * 150, bbox.height * 150) == pytest.approx((ink.shape[1], ink.shape[0]), abs=1)


@pytest.mark.parametrize("reach", ["ink on the edge", "title past the edge"])
def test_a_drawing_that_may_go_on_past_its_canvas_is_boxed_as_savefig_boxes_it(reach):
    """Ink on the canvas's edge, or a title placed past it, may go on beyond the pixels:
    the box is then the figure's tight box (savefig's), not the ink's."""
    from matplotlib import rcParams

    from nnbench.figures.plotting import new_figure
    from nnbench.figures.writer import FIGURE_FORMATS, render_png

    setup_matplotlib()
    fig, axes = new_figure()
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1])
    if reach == "ink on the edge":
        ax.set_position([0, 0, 1, 1])  # the axes' frame on the canvas's border
    else:
        fig.tight_layout()
        ax.set_title("a title above the canvas", y=1.6)
    png, bbox = render_png(fig, FIGURE_FORMATS["png"])
    fig.dpi = 150
    fig.canvas.draw()
    expected = fig.get_tightbbox(fig.canvas.get_renderer()).padded(rcParams["savefig.pad_inches"])
    assert (bbox.x0, bbox.y0, bbox.x1, bbox.y1) == pytest.approx((expected.x0, expected.y0, expected.x1, expected.y1))
    if reach == "title past the edge":
        assert bbox.y1 > fig.get_size_inches()[1]  # the title is in the box, and in the PNG
        assert _png_pixels(png).shape[0] == pytest.approx(bbox.height * 150, abs=2)
