"""Pictures of training, with matplotlib (the optional plot extra), Agg backend.

Both pictures are PNGs of WIDTH × HEIGHT pixels, written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from . import engine
from .errors import TutorError
from .files import write_file
from .i18n import _
from .training import TrainResult, is_classification

WIDTH, HEIGHT, DPI = 800, 500, 100
INSTALL = ("pip install matplotlib (in tutor's source directory: pip install -e '.[plot]', "
           "the plot extra of the backprop-tutor distribution)")


def require_matplotlib():
    """matplotlib.pyplot on the Agg backend, or one clear line on how to get it."""
    try:
        import matplotlib
    except ImportError:
        raise TutorError(_("pictures need matplotlib, which is not installed: {install}").format(
                             install=INSTALL)) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    require_matplotlib().close(fig)
    write_file(path, buf.getvalue())


# Families tried in turn for each character (matplotlib's font fallback): Latin, Greek and
# mathematics from DejaVu, Hangul from Nanum (Debian's fonts-nanum) or Noto CJK.
FAMILIES = ("DejaVu Sans", "NanumGothic", "Noto Sans CJK KR", "Noto Sans KR")


# Where Debian puts them (a font installed after matplotlib made its font cache is found here).
FONT_FILES = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
              "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _families() -> list[str]:
    from matplotlib import font_manager
    have = {f.name for f in font_manager.fontManager.ttflist}
    if not have & set(FAMILIES[1:]):
        for path in FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in FAMILIES if f in have] or ["sans-serif"]


def _figure(plt):
    plt.rcParams["font.family"] = _families()
    return plt.figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")


def loss_curve(result: TrainResult, path: Path) -> None:
    """The loss against the epoch on a log scale; for a sweep every seed faintly and the median
    boldly. The plateau of a constant prediction is drawn as a dashed line."""
    plt = require_matplotlib()
    fig = _figure(plt)
    ax = fig.add_subplot()
    epochs = np.arange(result.epochs)
    L = np.where(np.isfinite(result.losses), result.losses, np.nan)
    if result.sweep:
        ax.plot(epochs, L, color="tab:blue", alpha=min(0.5, 8 / L.shape[1]), linewidth=0.8)
        ax.plot(epochs, np.nanmedian(L, axis=1), color="black", linewidth=2.2,
                label=_("median of {n} seeds").format(n=L.shape[1]))
    else:
        ax.plot(epochs, L, color="tab:blue", linewidth=2, label=_("loss L"))
    base = result.verdicts()[0].baseline
    if base > 0:
        ax.axhline(base, color="tab:red", linestyle="--", linewidth=1,
                   label=_("constant prediction ({L})").format(L=f"{base:.4f}"))
    if np.nanmin(L, initial=np.inf) > 0:
        from matplotlib.ticker import FormatStrFormatter, NullFormatter
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        # Within one decade the minor ticks are the only labels; across more, labelling
        # every one of them (2, 3, …, 9 per decade) makes the axis unreadable.
        finite = L[np.isfinite(L)]
        wide = finite.size and np.log10(finite.max() / finite.min()) >= 1
        ax.yaxis.set_minor_formatter(NullFormatter() if wide else FormatStrFormatter("%g"))
    ax.set_xlabel(_("epoch"))
    ax.set_ylabel(_("loss (log scale)"))
    ax.set_title(_("{problem}: {network}, lr {lr}").format(
        problem=result.problem.name, network=result.problem.network.describe(),
        lr=f"{result.settings.lr:g}"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    _save(fig, path)


def decision_boundary(result: TrainResult, path: Path) -> None:
    """For a 2-input problem: the network's output over the plane around the data, the
    boundary where the predicted class changes, and the data points coloured by target.
    For a sweep, the run with the median final loss."""
    p = result.problem
    if p.network.inputs != 2:
        raise TutorError(_("--boundary needs a problem with 2 inputs; {name} has {inputs}").format(
                             name=p.name, inputs=p.network.inputs))
    plt = require_matplotlib()
    c = None
    if result.sweep:
        finals = np.where(np.isfinite(result.final_loss), result.final_loss, np.inf)
        c = int(np.argsort(finals)[len(finals) // 2])
    params = {k: (v[c] if c is not None else v) for k, v in result.params.items()}
    X = p.inputs
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(0.25 * (hi - lo), 0.5)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 300)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], 300)
    G0, G1 = np.meshgrid(g0, g1)
    grid = np.column_stack([G0.ravel(), G1.ravel()])
    with np.errstate(over="ignore", invalid="ignore"):
        out = engine.forward(p.network, params, grid).output
    fig = _figure(plt)
    ax = fig.add_subplot()
    classify = is_classification(p)
    if out.shape[-1] > 1:
        from matplotlib.colors import ListedColormap
        k = out.shape[-1]
        colours = [plt.get_cmap("tab10")(i % 10) for i in range(k)]
        field = out.argmax(axis=-1).reshape(G0.shape)
        ax.contourf(G0, G1, field, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colours),
                    alpha=0.3)
        points = [colours[c] for c in p.targets.argmax(axis=-1)]
        label = _("the class of the largest output")
        ax.scatter(X[:, 0], X[:, 1], c=points, edgecolors="black", s=120, linewidths=1.5,
                   zorder=3)
    else:
        field = out[:, 0].reshape(G0.shape)
        # Classification outputs are probabilities: keep the colours absolute, 0 to 1.
        levels = np.linspace(0, 1, 21) if classify else 20
        cs = ax.contourf(G0, G1, field, levels=levels, cmap="RdBu_r", alpha=0.75)
        fig.colorbar(cs, ax=ax, label="ŷ")
        if classify:
            ax.contour(G0, G1, field, levels=[0.5], colors="black", linewidths=2)
        label = _("ŷ (black line: ŷ = 0.5)") if classify else "ŷ"
        ax.scatter(X[:, 0], X[:, 1], c=p.targets[:, 0], cmap="RdBu_r",
                   vmin=min(0.0, p.targets.min()), vmax=max(1.0, p.targets.max()),
                   edgecolors="black", s=120, linewidths=1.5, zorder=3)
    for x, y in zip(X, p.targets):
        ax.annotate(" ".join(f"{v:g}" for v in y), x, textcoords="offset points",
                    xytext=(9, 9), fontsize=11, weight="bold",
                    fontfamily="DejaVu Sans")   # (digits: no Hangul font needed)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    which = (_(", seed {s} (median loss)").format(s=result.seeds[c]) if c is not None
             else "")
    ax.set_title(_("{problem}: {what} after {n} epochs{which}").format(
        problem=p.name, what=label, n=result.epochs, which=which))
    _save(fig, path)
