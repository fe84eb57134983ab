"""The two scorers, CNN1D and LSTM: (B, 30, N) tensor + (B, N) mask -> three answers.

    >>> import torch
    >>> from fitscore_core.scorers.networks import CNN1D, LSTMScorer
    >>> net = CNN1D(n_exercises=8, n_faults=30)
    >>> out = net(torch.zeros(2, 30, 150), torch.ones(2, 150, dtype=torch.bool))
    >>> out.exercise_logits.shape, out.score.shape, out.fault_logits.shape
    (torch.Size([2, 8]), torch.Size([2]), torch.Size([2, 30]))

Both ignore padding exactly: the CNN zeroes every padded step after each layer and pools over
real steps only; the LSTM runs on packed sequences of the true lengths. So the same clip
padded to any N gives the same answer.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

N_INPUTS = 30  # 15 joints × (x, y)


@dataclass
class ScorerOutput:
    exercise_logits: torch.Tensor  # (B, n_exercises): softmax -> which exercise
    score: torch.Tensor            # (B,): quality 0-100
    fault_logits: torch.Tensor     # (B, n_faults): sigmoid -> probability of each fault


class Heads(nn.Module):
    """Exercise class, score 0-100 and multi-label faults from one clip embedding."""

    def __init__(self, width: int, n_exercises: int, n_faults: int, dropout: float):
        super().__init__()
        self.body = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, width), nn.GELU())
        self.exercise = nn.Linear(width, n_exercises)
        self.score = nn.Linear(width, 1)
        self.faults = nn.Linear(width, n_faults)

    def forward(self, embedding: torch.Tensor) -> ScorerOutput:
        h = self.body(embedding)
        return ScorerOutput(self.exercise(h), 100 * torch.sigmoid(self.score(h)).squeeze(-1),
                            self.faults(h))


def masked_mean_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, C, N) features, (B, N) mask -> (B, 2C): mean and max over real steps only."""
    m = mask.unsqueeze(1).to(x.dtype)
    mean = (x * m).sum(-1) / m.sum(-1).clamp(min=1)
    peak = x.masked_fill(~mask.unsqueeze(1), float("-inf")).amax(-1)
    return torch.cat([mean, peak], dim=1)


class CNN1D(nn.Module):
    """Temporal convolutions with the 30 joint coordinates as input channels: each filter
    learns how joints move together over a few frames; dilations widen the view to ~2 s."""

    def __init__(self, n_exercises: int, n_faults: int, width: int = 96,
                 dilations: tuple[int, ...] = (1, 2, 4, 8), kernel: int = 5,
                 dropout: float = 0.2):
        super().__init__()
        channels = [N_INPUTS] + [width] * len(dilations)
        self.convs = nn.ModuleList(
            nn.Conv1d(c_in, c_out, kernel, padding=d * (kernel - 1) // 2, dilation=d)
            for c_in, c_out, d in zip(channels, channels[1:], dilations))
        self.act = nn.GELU()
        self.heads = Heads(2 * width, n_exercises, n_faults, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> ScorerOutput:
        return self.heads(self.embed(x, mask))

    def embed(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, 30, N), (B, N) -> (B, 2·width): the clip embedding the heads read."""
        m = mask.unsqueeze(1).to(x.dtype)
        h = x * m
        for i, conv in enumerate(self.convs):
            out = self.act(conv(h)) * m   # padded steps stay exactly zero
            h = out + h if i > 0 else out  # residual after the first layer
        return masked_mean_max(h, mask)


class LSTMScorer(nn.Module):
    """A bidirectional LSTM over time steps, packed to the true lengths so padding never
    enters. Each step first embeds a pair of frames (a stride-2 convolution over three
    frames): half the steps, half the training time, no detail of a 15 fps rep lost. The clip
    embedding is the mean and max of the LSTM outputs over real steps."""

    def __init__(self, n_exercises: int, n_faults: int, hidden: int = 96, layers: int = 2,
                 dropout: float = 0.2):
        super().__init__()
        self.inp = nn.Sequential(nn.Conv1d(N_INPUTS, hidden, 3, stride=2, padding=1),
                                 nn.GELU())
        self.lstm = nn.LSTM(hidden, hidden, num_layers=layers, batch_first=True,
                            bidirectional=True, dropout=dropout if layers > 1 else 0.0)
        self.heads = Heads(4 * hidden, n_exercises, n_faults, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> ScorerOutput:
        return self.heads(self.embed(x, mask))

    def embed(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, 30, N), (B, N) -> (B, 4·hidden): the clip embedding the heads read."""
        steps = self.inp(x * mask.unsqueeze(1).to(x.dtype)).transpose(1, 2)  # (B, ⌈N/2⌉, h)
        step_mask = mask[:, ::2]   # step j sees frames 2j-1..2j+1: real while frame 2j is
        lengths = step_mask.sum(-1).clamp(min=1).cpu()
        packed = pack_padded_sequence(steps, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps.shape[1])
        return masked_mean_max(out.transpose(1, 2), step_mask)


ARCHITECTURES = {"cnn1d": CNN1D, "lstm": LSTMScorer}
