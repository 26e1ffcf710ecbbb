"""Recipes: frozen dataclasses loaded from YAML, with dotted overrides (`--set model.channels=64`).

A recipe is data, so it is validated like data: an unknown key or a value of the wrong type is
an error naming the key, never silently ignored (a typo in `lr_g` must not train with defaults).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from saae_augment.errors import RecipeError
from saae_augment.schema import apply_overrides, build_dataclass, parse_override, short_repr  # noqa: F401 (part of config's API)
from saae_augment.yamlfiles import builtin_folder, builtin_names, load_named_yaml


@dataclass(frozen=True)
class DataConfig:
    """Which data, at which size: every image is brought to `size` (H, W) by the one fit policy."""

    # None: the data's own (its most common size, rounded up to a multiple of 4, at least 16;
    # data/sizing.py); training writes the size it chose here, so checkpoints always hold one
    size: tuple[int, int] | None = None
    mode: Literal["L", "RGB"] = "L"
    val_fraction: float = 0.2  # held-out real images: styles the judge and monitors never trained on
    charset: str | None = None  # preset name or literal characters; None = every label's characters
    # chars: one character per image, a (k+1)-class discriminator. lines: plates, words, text lines
    # (the content is the rendered line; a CTC recognizer beside a real/fake discriminator).
    task: Literal["chars", "lines"] = "chars"
    # lines: where new texts come from when none are given (a plate preset such as plate-cn, or a
    # pattern such as {province}{letter}{alnum:5}); None = the training set's own labels
    pattern: str | None = None


@dataclass(frozen=True)
class GlyphConfig:
    """How content glyphs are rendered (the content encoder's input)."""

    font: str | None = None  # None = DejaVu Sans from matplotlib
    invert: bool = False  # False: white ink on black, like the embedded digits
    # Content variety for the cross-content branch of training and for synthesis: glyphs drawn from
    # `fonts` fonts (this recipe's font first, then installed fonts that cover the charset) and
    # warped at random with strength `warp` (rotation ±10°, scale ±10%, shear, shift at 1.0).
    # 1 and 0.0 give the paper's single clean glyph per class.
    fonts: int = 16
    warp: float = 1.0


@dataclass(frozen=True)
class ModelConfig:
    """`arch: paper` is the published configuration (64 channels); `fast` the same topology, narrower."""

    arch: Literal["paper", "fast"] = "fast"
    channels: int | None = None  # None = the arch's width (paper 64, fast 32)
    style_dim: int = 64
    style_grid: int = 4  # the style vector is decoded to a style_grid² map, then resized to the content map
    # concat: the paper's decoder (content map beside a spatial style map); film: the style vector
    # scales and shifts the decoder's feature channels, so it cannot carry its own glyph's shape
    style_inject: Literal["concat", "film"] = "film"
    disc: Literal["kplus1", "binary"] = "kplus1"
    # flat: the paper's full-resolution generator; unet: the content placed by an affine map
    # predicted from the style, then an encoder-decoder with skips (model/placed.py), for lines;
    # layered: the same network writing ink and background layers through the placed text's mask
    generator: Literal["flat", "unet", "layered"] = "flat"
    disc_channels: int = 32
    disc_hidden: int = 128

    @property
    def width(self) -> int:
        """Channels of the first layers: the recipe's, else the arch's default width."""
        return self.channels or {"paper": 64, "fast": 32}[self.arch]


@dataclass(frozen=True)
class LossConfig:
    """Weights of the three steps; `rec` is the pixel loss of the reconstruction terms."""

    rec: Literal["l1", "mse", "bce"] = "l1"
    w_rec: float = 10.0  # step 1: reconstruction (10: measured steadier than 1 on digits)
    w_adv: float = 1.0  # step 3: D must read G(glyph(y'), x) as y'
    w_rec_g: float = 10.0  # step 3: reconstruction kept beside the adversarial term
    w_style: float = 0.0  # step 3: style consistency, |Enc_s(G(c', s)) - Enc_s(s)| (0 = off)
    w_ctc: float = 1.0  # lines, step 3: the recognition head must read G(line(t'), x) as t' (CTC)


@dataclass(frozen=True)
class OptimConfig:
    """Adam settings for G and D (beta1 0.5, as GANs usually train)."""

    lr_g: float = 2e-3
    lr_d: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999


@dataclass(frozen=True)
class TrainConfig:
    """Budgets, seeds, cadence of logs/evals/checkpoints, and speed switches of a run."""

    batch_size: int = 64
    max_steps: int = 1500
    # A run that starts from a base model (`--init`) trains at most this many steps: fine-tuning
    # longer on a few images per class forgets what the base knew (recipes/README.md); None = max_steps.
    base_steps: int | None = None
    minutes: float | None = None  # wall-clock budget; stops at whichever of steps/minutes comes first
    seed: int = 0
    # The style image of step 1: the target itself (the paper), an augmented copy of it, another
    # image of the same class, or any other training image.
    style_source: Literal["self", "augmented", "same-class", "other"] = "self"
    # DiffAugment strength for what the discriminator sees (0 = off): keeps D from memorising a
    # small real set; see training/diffaug.py.
    d_augment: float = 1.0
    ema: float = 0.0  # decay of an exponential moving average of G's weights (0 = off); synthesis uses it
    log_every: int = 25
    eval_every: int = 250
    grid_every: int = 500
    ckpt_every: int = 250
    keep_every: int = 0  # also keep checkpoints/step-N.pt every N steps (0 = only last.pt)
    eval_samples: int = 1000  # cross-content samples per content-accuracy measurement
    judge_epochs: int = 15
    threads: int | None = None  # torch CPU threads; None = torch's default
    channels_last: bool = True
    # auto: bf16 autocast on CUDA; on a CPU that computes bf16 natively (AMX or AVX512-BF16,
    # core/device.py) for a character run's steps and the line readers' fits (judge, pretraining)
    # but not a line run's adversarial steps; fp32 elsewhere
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # Under torchrun: BatchNorm statistics over the global batch (true: the run is the single-process
    # run, at any world size) or per process (false: no BatchNorm all-reduces, faster where they are slow).
    sync_bn: bool = True


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a run except its data: one typed, frozen value, validated from YAML."""

    name: str = "custom"
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    glyph: GlyphConfig = field(default_factory=GlyphConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


RECIPE_DIR = builtin_folder("recipes")


def recipe_from_dict(values: dict[str, Any]) -> Recipe:
    """Validate plain data (a YAML mapping, a checkpoint's copy) into a Recipe, ranges included."""
    if not isinstance(values, dict):
        raise RecipeError("a recipe must be a mapping of sections (data, glyph, model, loss, optim, train)")
    recipe = build_dataclass(Recipe, values)
    _check_ranges(recipe)
    return recipe


def _check_ranges(r: Recipe) -> None:
    checks = [
        (r.data.size is None or all(4 <= s <= 1024 for s in r.data.size), "data.size must be between 4 and 1024"),
        (0.0 < r.data.val_fraction < 1.0, "data.val_fraction must be between 0 and 1"),
        (r.model.width >= 1 and r.model.style_dim >= 1 and r.model.style_grid >= 1, "model sizes must be positive"),
        (r.model.width <= 1024, "model.channels must be at most 1024"),
        (r.model.style_dim <= 4096, "model.style_dim must be at most 4096"),
        (r.model.style_grid <= 64, "model.style_grid must be at most 64"),
        (1 <= r.model.disc_channels <= 1024, "model.disc_channels must be between 1 and 1024"),
        (1 <= r.model.disc_hidden <= 8192, "model.disc_hidden must be between 1 and 8192"),
        (r.train.batch_size <= 65536, "train.batch_size must be at most 65536"),
        (r.train.eval_samples <= 1_000_000, "train.eval_samples must be at most 1,000,000"),
        (0 <= r.train.judge_epochs <= 1000, "train.judge_epochs must be between 0 and 1000"),
        (r.train.keep_every >= 0, "train.keep_every must be 0 or more"),
        (r.train.threads is None or 1 <= r.train.threads <= 1024, "train.threads must be between 1 and 1024"),
        (1 <= r.glyph.fonts <= 64, "glyph.fonts must be between 1 and 64"),
        (0.0 <= r.glyph.warp <= 2.0, "glyph.warp must be between 0 and 2"),
        (0.0 <= r.train.d_augment <= 2.0, "train.d_augment must be between 0 and 2"),
        (0.0 <= r.train.ema < 1.0, "train.ema must be at least 0 and below 1"),
        (r.loss.w_ctc >= 0, "loss.w_ctc must be 0 or more"),
        (r.train.batch_size >= 2, "train.batch_size must be at least 2"),
        (r.train.max_steps >= 1, "train.max_steps must be at least 1"),
        (r.train.base_steps is None or r.train.base_steps >= 1, "train.base_steps must be at least 1 (or null)"),
        (r.train.minutes is None or r.train.minutes > 0, "train.minutes must be positive"),
        (min(r.optim.lr_g, r.optim.lr_d) > 0, "learning rates must be positive"),
        (r.train.eval_samples >= 1, "train.eval_samples must be at least 1"),
        (
            min(r.train.log_every, r.train.eval_every, r.train.grid_every, r.train.ckpt_every) >= 1,
            "train.*_every must be at least 1",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise RecipeError(message)


def recipe_to_dict(recipe: Recipe) -> dict[str, Any]:
    """Plain data (lists, not tuples) for YAML, JSON and checkpoints."""

    def plain(v: Any) -> Any:
        if isinstance(v, tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(dataclasses.asdict(recipe))


def recipe_names() -> list[str]:
    """Names of the recipes that ship with the package (for help texts and errors)."""
    return builtin_names(RECIPE_DIR)


def read_recipe_file(name_or_path: str | Path) -> dict[str, Any]:
    """A built-in recipe by name (`digits`), or a YAML file."""
    path, values = load_named_yaml(name_or_path, RECIPE_DIR, "recipe", RecipeError)
    values = values or {}
    if not isinstance(values, dict):
        raise RecipeError(f"recipe {path} must be a mapping of sections")
    values.setdefault("name", path.stem)
    return values


def load_recipe(name_or_path: str | Path = "digits", overrides: list[str] | None = None) -> Recipe:
    """A built-in recipe by name or a YAML file by path, with dotted overrides applied first."""
    values = apply_overrides(read_recipe_file(name_or_path), overrides or [])
    try:
        return recipe_from_dict(values)
    except RecipeError as exc:
        raise RecipeError(f"{exc} (in recipe {name_or_path})") from None
