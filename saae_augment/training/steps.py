"""The three SAAE steps of one iteration, on one batch.

(1) reconstruction: G(glyph(y), s) ≈ x, where s is x itself (the paper) or another image;
(2) discriminator: real x → its class y, G(glyph(y'), x) → fake;
(3) generator: D must read G(glyph(y'), x) as y' (cross content, y' ≠ y), plus reconstruction.

Steps 2 and 3 share one generator forward pass: step 2 updates only D, so G's output and graph
are still exactly those step 3 needs.

G and D may be DDP-wrapped (distributed training): their forward passes then average the
gradients over ranks. Step 3 runs the *unwrapped* D, whose weights are frozen there: only G's
gradient flows through it, and DDP must not wait for D gradients that never come.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch
from torch import nn

from saae_augment.config import LossConfig
from saae_augment.distributed import unwrap
from saae_augment.training.losses import discriminator_loss, generator_adversarial_loss, reconstruction


@dataclass
class Batch:
    """One step's tensors: real images and classes, the glyphs for reconstruction and cross content."""

    real: torch.Tensor  # x, B×C×H×W
    targets: torch.Tensor  # y
    glyph_own: torch.Tensor  # glyph(y)
    style_rec: torch.Tensor  # the style image of step 1 (x itself, or another sample)
    glyph_cross: torch.Tensor  # glyph(y'), y' ≠ y
    cross_targets: torch.Tensor  # y'


def reconstruction_step(
    G: nn.Module, opt_g: torch.optim.Optimizer, b: Batch, loss: LossConfig, autocast: AbstractContextManager
) -> dict[str, float]:
    """Step 1: G(glyph(y), x) must rebuild x; updates G."""
    opt_g.zero_grad(set_to_none=True)
    with autocast:
        out = G(b.glyph_own, b.style_rec)
        rec = reconstruction(loss.rec, out, b.real)
    (loss.w_rec * rec).backward()
    opt_g.step()
    return {"rec": rec.item()}


def adversarial_steps(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    b: Batch,
    loss: LossConfig,
    autocast: AbstractContextManager,
    d_view: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
    content_loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, float]:
    """`d_view` is what D sees of a batch (DiffAugment, or the images as they are). `content_loss`
    (lines) scores the generated batch against its requested texts; it joins G's step-3 loss."""
    n = b.real.shape[0]
    with autocast:
        if loss.w_rec_g > 0:
            glyphs = torch.cat([b.glyph_cross, b.glyph_own])
            # both halves in the real images' styles (style_source self): encoded once, 1.05x it/s
            shared = b.style_rec is b.real
            out = G(glyphs, b.real, repeat=2) if shared else G(glyphs, torch.cat([b.real, b.style_rec]))
            fake, rec_out = out[:n], out[n:]
        else:
            fake, rec_out = G(b.glyph_cross, b.real), None

    # (2) discriminator
    opt_d.zero_grad(set_to_none=True)
    with autocast:
        logits = D(d_view(torch.cat([b.real, fake.detach()])))
        d_loss = discriminator_loss(logits[:n], b.targets, logits[n:])
    d_loss.backward()
    opt_d.step()
    with torch.no_grad():
        if logits.shape[1] > 1:
            d_real_acc = (logits[:n].argmax(1) == b.targets).float().mean().item()
            d_fake_acc = (logits[n:].argmax(1) == logits.shape[1] - 1).float().mean().item()
        else:
            d_real_acc = (logits[:n] > 0).float().mean().item()
            d_fake_acc = (logits[n:] <= 0).float().mean().item()

    # (3) generator
    opt_g.zero_grad(set_to_none=True)
    D_frozen = unwrap(D)
    D_frozen.requires_grad_(False)
    try:
        with autocast:
            fake_logits = D_frozen(d_view(torch.cat([b.real, fake])))[n:]
            adv = generator_adversarial_loss(fake_logits, b.cross_targets)
            total = loss.w_adv * adv
            rec = reconstruction(loss.rec, rec_out, b.real) if rec_out is not None else None
            if rec is not None:
                total = total + loss.w_rec_g * rec
            read_loss = content_loss(fake) if content_loss is not None else None
            if read_loss is not None:
                total = total + read_loss
            style_gap = None
            if loss.w_style > 0:  # the sample must carry its style image's style (style consistency)
                encode_style = unwrap(G).encode_style
                style_gap = (encode_style(fake) - encode_style(b.real).detach()).abs().mean()
                total = total + loss.w_style * style_gap
        total.backward()
    finally:
        D_frozen.requires_grad_(True)
    opt_g.step()
    out = {"d": d_loss.item(), "g_adv": adv.item(), "d_real_acc": d_real_acc, "d_fake_acc": d_fake_acc}
    if rec is not None:
        out["g_rec"] = rec.item()
    if style_gap is not None:
        out["style"] = style_gap.item()
    if read_loss is not None:
        out["g_read"] = read_loss.item()
    return out
